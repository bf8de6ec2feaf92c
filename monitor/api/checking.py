"""Checking now, without a database: URLs and the cited URLs of pages (`monitor check`).

from monitor import check
for r in check(["https://example.org/a", "https://example.org/b"]):
    print(r.url, r.verdict, r.reason)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from monitor.archives.choice import anchor_date
from monitor.checking.batch import OnResult
from monitor.checking.fanout import check_across_processes
from monitor.checking.http import check_fetcher, transport_for
from monitor.checking.observe import observe
from monitor.checking.runner import Reach, in_order, needs_canary, reach_of
from monitor.config import CheckSettings, Settings, load_settings
from monitor.core.collector import fewer_collections
from monitor.core.due import UrlState, next_state, rule_of
from monitor.core.errors import UsageError
from monitor.core.results import CheckResult, Context, Fallback
from monitor.core.urls import UrlError, UrlFilter, normalise
from monitor.core.verdict import GONE, OUTAGE_PREFIX
from monitor.pages.ingest import (
    SourceError,
    SourceResult,
    expand_inputs,
    is_url,
    load_source,
    read_bounded,
)

# a phase of long work: (what, how many or None) -> a callable to call once per item done;
# the CLI draws a progress bar per phase, other callers pass `quiet`
Phase = Callable[[str, int | None], Callable[..., None]]


def quiet(label: str, total: int | None) -> Callable[..., None]:
    return lambda *_: None


def canary_of(settings: Settings) -> str | None:
    """What to ask when too few hosts were tried to judge an outage: the configured canary,
    else the first archive's CDX endpoint (a well-kept server on the open internet)."""
    if settings.check.canary_url:
        return settings.check.canary_url
    return settings.archive.endpoints[0].cdx if settings.archive.endpoints else None


async def few_hosts_canary(reach: Reach, settings: Settings) -> str | None:
    """Why the canary failed, when the outage rule cannot judge (`needs_canary`); None when
    it answered, was not needed, or there is none."""
    if not needs_canary(reach, settings.check) or (url := canary_of(settings)) is None:
        return None
    return await canary_fails(url, settings)


async def canary_fails(url: str, settings: Settings) -> str | None:
    """Why the canary URL failed, or None if it answered."""
    async with check_fetcher(settings.check, transport=transport_for(settings.check, 1)) as client:
        obs = await observe(client, url, settings.check)
    if obs.error is None and obs.status is not None and obs.status < 500:
        return None
    return f"canary {url} failed: {obs.error.value if obs.error else f'HTTP {obs.status}'}"


async def check_async(
    urls: Iterable[str],
    settings: Settings | None = None,
    on_result: OnResult | None = None,
    titles: Mapping[str, list[str]] | None = None,
    passages: Mapping[str, list[str]] | None = None,
    fingerprints: bool = True,
) -> list[CheckResult]:
    """Check URLs now (no database); invalid URLs raise `urls.UrlError`.

    `titles` (URL -> cited titles) lets the check tell a live page from a drifted one;
    `passages` (URL -> quoted passages) are looked for on the pages that answer, as a run
    does (`passage_found`). Each result's `status` is what this one check would make of a
    URL with no history: a failure is `failing (1 of N)`, never `dead`. `fingerprints`:
    each good page's fingerprint (`CheckResult.fingerprint`), for a caller that keeps
    results to compare; `monitor check` keeps none and leaves them out (a tenth of a
    check's CPU: docs/performance.md).
    """
    cfg = settings or load_settings()
    wanted = list(dict.fromkeys(normalise(u) for u in urls))
    results: list[CheckResult] = []

    def keep(result: CheckResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    context = Context(titles=titles or {}, passages=passages or {}, stored=fingerprints)
    with fewer_collections():  # as a run: results and pages are not cyclic garbage
        await check_across_processes(wanted, cfg.check, keep, context)
    in_order(results, wanted, cfg.check, await few_hosts_canary(reach_of(results), cfg))
    rule = rule_of(cfg.check)
    for r in results:
        st = next_state(r.url, UrlState(), r.verdict, r.checked_at, cfg.schedule, rule)
        r.status, r.failures = st.status.value, st.consecutive_failures
    return results


# `monitor check`'s options -> the CheckSettings field they set
CHECK_OPTIONS = {
    "timeout": "--timeout",
    "concurrency": "--max-concurrency",
    "max_redirects": "--max-redirects",
    "headers": "--header",
    "accept": "--accept",
    "exclude": "--exclude",
    "include": "--include",
}


def with_check_options(
    settings: Settings,
    *,
    exclude: Iterable[str] = (),
    include: Iterable[str] = (),
    headers: Iterable[tuple[str, str]] = (),
    accept: str | None = None,
    timeout: float | None = None,
    max_concurrency: int | None = None,
    max_redirects: int | None = None,
) -> Settings:
    """`settings` with `monitor check`'s options (lychee's names) applied: patterns and
    headers are added to the configured ones, the rest replace them; `UsageError` naming
    the option when a value cannot be used."""
    base = settings.check
    changes: dict[str, Any] = {
        "exclude": [*base.exclude, *exclude],
        "include": [*base.include, *include],
        "headers": {**base.headers, **dict(headers)},
    }
    if accept is not None:
        changes["accept"] = accept
    if timeout is not None:  # lychee's timeout is one request's: no phase may outlast it
        changes["timeout"] = timeout
        if timeout > 0:
            changes["connect_timeout"] = min(base.connect_timeout, timeout)
            changes["read_timeout"] = min(base.read_timeout, timeout)
    if max_concurrency is not None:
        changes["concurrency"] = max_concurrency
    if max_redirects is not None:
        changes["max_redirects"] = max_redirects
    try:
        check = CheckSettings.model_validate({**base.model_dump(), **changes})
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = str(err["loc"][0]) if err["loc"] else ""
        option = CHECK_OPTIONS.get(field_name, field_name)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        shown = f" (got {got!r})" if got is not None and not isinstance(got, list | dict) else ""
        raise UsageError(f"{option}: {msg}{shown}") from None
    return settings.model_copy(update={"check": check})


def select_urls(urls: Iterable[str], cfg: CheckSettings) -> tuple[list[str], dict[str, str]]:
    """The URLs `check.include`/`exclude` let through (`core.urls.UrlFilter`), and the
    excluded ones with why."""
    left_out = UrlFilter.of(cfg.include, cfg.exclude).left_out
    keep: list[str] = []
    excluded: dict[str, str] = {}
    for url in urls:
        if why := left_out(url):
            excluded[url] = why
        else:
            keep.append(url)
    return keep, excluded


def check(
    urls: Iterable[str],
    settings: Settings | None = None,
    on_result: OnResult | None = None,
    titles: Mapping[str, list[str]] | None = None,
    passages: Mapping[str, list[str]] | None = None,
    fingerprints: bool = True,
) -> list[CheckResult]:
    """Synchronous `check_async`, for scripts and notebooks without an event loop."""
    return asyncio.run(check_async(list(urls), settings, on_result, titles, passages, fingerprints))


@dataclass
class Targets:
    """What `monitor check` was asked to check: URLs and, for pages, who cites them."""

    urls: list[str] = field(default_factory=list)
    citations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    titles: dict[str, list[str]] = field(default_factory=dict)
    passages: dict[str, list[str]] = field(default_factory=dict)  # the passages they quote
    anchors: dict[str, dt.date] = field(default_factory=dict)  # newest stamp on the page
    archive_urls: dict[str, str] = field(default_factory=dict)
    problems: list[SourceResult] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def collect_targets(
    items: Iterable[str],
    settings: Settings | None = None,
    fmt: str | None = None,
    stdin: IO[bytes] | None = None,
) -> Targets:
    """URLs given directly, plus the cited URLs of any page files or page URLs; `-` reads
    URLs or page text from `stdin`."""
    cfg = settings or load_settings()
    items = list(items)
    if "-" in items and stdin is not None:
        try:
            data = read_bounded(stdin, "standard input")
        except SourceError as exc:
            rest = collect_targets([i for i in items if i != "-"], cfg, fmt)
            rest.problems.append(SourceResult("-", error=str(exc)))
            return rest
        with tempfile.TemporaryDirectory(prefix="monitor-") as tmp:
            path = Path(tmp) / "stdin.txt"
            path.write_bytes(data)
            got = collect_targets([str(path) if i == "-" else i for i in items], cfg, fmt)
        # messages and citations name standard input as the user did: "-"
        got.problems = [
            SourceResult("-", error=p.error) if p.source == str(path) else p for p in got.problems
        ]
        for cites in got.citations.values():
            for c in cites:
                if c["document"] == str(path):
                    c["document"] = "-"
        return got
    out = Targets()
    seen: dict[str, None] = {}
    pages: list[str] = []
    for item in items:
        if is_url(item) and fmt is None:
            try:
                seen.setdefault(normalise(item))
            except UrlError as exc:
                out.problems.append(SourceResult(item, error=f"invalid URL: {exc}"))
        elif re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", item) and not Path(item).exists():
            try:  # "javascript:..." or "htp://x": say what is wrong with it as a URL
                normalise(item)
                reason = "not an http(s) URL"
            except UrlError as exc:
                reason = str(exc)
            out.problems.append(SourceResult(item, error=f"invalid URL: {reason}"))
        else:
            pages.append(item)
    sources, problems = expand_inputs(pages)
    out.problems.extend(problems)
    for src in sources:
        try:
            extraction, _ = load_source(src, cfg, fmt)
        except SourceError as exc:
            out.problems.append(SourceResult(src.location, error=str(exc)))
            continue
        out.skipped.update(extraction.skipped)
        for c in extraction.citations:
            if c.url is None:
                continue
            seen.setdefault(c.url)
            out.citations.setdefault(c.url, []).append(
                {
                    "title": c.title,
                    "document": src.location,
                    "line": c.source_line,
                    "column": c.source_column,
                }
            )
            if c.title:
                out.titles.setdefault(c.url, []).append(c.title)
            if c.excerpt and c.excerpt not in out.passages.get(c.url, []):
                out.passages.setdefault(c.url, []).append(c.excerpt)
            stamps = [(st.date, st.precision.value) for st in c.stamps if st.date]
            if stamps:
                day = anchor_date(None, stamps, stamps[0][0])
                out.anchors[c.url] = max(day, out.anchors.get(c.url, day))
            if c.archive_links and c.url not in out.archive_urls:
                out.archive_urls[c.url] = c.archive_links[0].archive_url
    out.urls = list(seen)
    return out


async def check_archives(
    results: Sequence[CheckResult], targets: Targets, settings: Settings
) -> dict[str, Fallback]:
    """One-off fallbacks for the failed results of `monitor check --archive`, anchored on
    the page's newest stamp (else today)."""
    failed = [r for r in results if r.verdict in GONE]
    today = dt.datetime.now(dt.UTC).date()
    reqs = [
        (r.url, targets.anchors.get(r.url, today), targets.titles.get(r.url, [])) for r in failed
    ]
    from monitor.archives.fallback import lookup_many  # start-up: only `--archive` asks

    found = await lookup_many(reqs, settings.archive, settings.check)
    return {f.url: f for f in found}


def fallbacks_for(
    results: Sequence[CheckResult], targets: Targets, settings: Settings
) -> dict[str, Fallback]:
    """Synchronous `check_archives`."""
    return asyncio.run(check_archives(results, targets, settings))


def check_rows(
    results: Sequence[CheckResult], targets: Targets, fallbacks: Mapping[str, Fallback]
) -> list[dict[str, Any]]:
    """The JSON contract's rows: each result with who cites it and its archive copy (a
    verified fallback found now, else the archive link the page gives)."""
    rows = []
    for r in results:
        fb = fallbacks.get(r.url)
        archive: dict[str, Any] = {"archive_url": targets.archive_urls.get(r.url)}
        if fb is not None and fb.chosen is not None:
            archive = {
                "archive_url": fb.chosen.archive_url,
                "archive_captured_at": fb.chosen.capture.captured_at,
                "archive_verified": True,
                "archive_reason": fb.reason,
            }
        elif fb is not None:
            archive.update(archive_verified=False, archive_reason=fb.reason)
        rows.append(r.as_json(targets.citations.get(r.url), archive))
    return rows


@dataclass
class CheckOutcome:
    """What `monitor check` found: the targets (with problems and skipped links), the
    results in the order asked, and their JSON contract rows."""

    targets: Targets
    results: list[CheckResult] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    # the URLs `exclude`/`include` left out: url, reason, citations (who cites it)
    excluded: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.verdict.value for r in self.results)

    @property
    def all_alive(self) -> bool:
        return all(r.verdict.value == "alive" for r in self.results)

    @property
    def outage(self) -> str | None:
        """Why our own network looks down (the first such reason), or None."""
        return next((r.reason for r in self.results if r.reason.startswith(OUTAGE_PREFIX)), None)


def check_command(
    items: Iterable[str],
    settings: Settings,
    fmt: str | None = None,
    stdin: IO[bytes] | None = None,
    archive: bool = False,
    phase: Phase = quiet,
    dump: bool = False,
) -> CheckOutcome:
    """`monitor check`: collect the targets, leave out what `check.exclude`/`include` say,
    check the rest and, with `archive` and archive endpoints configured, find verified
    fallbacks for the failed ones. `dump`: collect and select only, request nothing (the
    URLs that would be checked are `targets.urls`)."""
    with fewer_collections():  # reading a page of citations, as ingest does
        found = collect_targets(items, settings, fmt, stdin)
    found.urls, left_out = select_urls(found.urls, settings.check)
    excluded = [
        {"url": u, "reason": why, "citations": found.citations.get(u, [])}
        for u, why in left_out.items()
    ]
    if not found.urls or dump:
        return CheckOutcome(found, excluded=excluded)
    advance = phase("checking", len(found.urls))
    results = check(
        found.urls,
        settings,
        on_result=advance,
        titles=found.titles,
        passages=found.passages,
        fingerprints=False,  # a one-off check keeps nothing to compare them with
    )
    fallbacks: dict[str, Fallback] = {}
    if archive and settings.archive.endpoints:
        phase("archives", None)
        fallbacks = fallbacks_for(results, found, settings)
    return CheckOutcome(found, results, check_rows(results, found, fallbacks), excluded)
