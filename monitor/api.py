"""The importable API the CLI is a thin layer over: check, ingest, run.

from monitor import check
for r in check(["https://example.org/a", "https://example.org/b"]):
    print(r.url, r.verdict, r.reason)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.archive import Fallback, Verification, anchor_date, lookup_many, verify_links
from monitor.check import (
    CheckResult,
    Context,
    OnResult,
    host_reach,
    in_order,
    make_client,
    mark_outage,
    observe,
)
from monitor.config import Settings, load_settings
from monitor.due import UrlState, next_state, rule_of
from monitor.fanout import check_spread
from monitor.ingest import (
    SourceError,
    SourceResult,
    expand_inputs,
    ingest_sources,
    is_url,
    load_source,
)
from monitor.save import SaveResult, save_many
from monitor.store import Store
from monitor.urls import UrlError, host_of, normalise
from monitor.verdict import outage_suspected


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else load_settings()


async def check_async(
    urls: Iterable[str],
    settings: Settings | None = None,
    on_result: OnResult | None = None,
    titles: Mapping[str, list[str]] | None = None,
) -> list[CheckResult]:
    """Check URLs now (no database); invalid URLs raise `urls.UrlError`.

    `titles` (URL -> cited titles) lets the check tell a live page from a drifted one. Each
    result's `status` is what this one check would make of a URL with no history: a
    failure is `failing (1 of N)`, never `dead`.
    """
    cfg = _settings(settings)
    wanted = list(dict.fromkeys(normalise(u) for u in urls))
    results: list[CheckResult] = []

    def keep(result: CheckResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    await check_spread(wanted, cfg.check, keep, Context(titles=titles or {}))
    in_order(results, wanted, cfg.check)
    rule = rule_of(cfg.check)
    for r in results:
        st = next_state(r.url, UrlState(), r.verdict, r.checked_at, cfg.schedule, rule)
        r.status, r.failures = st.status.value, st.consecutive_failures
    return results


def check(
    urls: Iterable[str],
    settings: Settings | None = None,
    on_result: OnResult | None = None,
    titles: Mapping[str, list[str]] | None = None,
) -> list[CheckResult]:
    """Synchronous `check_async`, for scripts and notebooks without an event loop."""
    return asyncio.run(check_async(list(urls), settings, on_result, titles))


@dataclass
class Targets:
    """What `monitor check` was asked to check: URLs and, for pages, who cites them."""

    urls: list[str] = field(default_factory=list)
    citations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    titles: dict[str, list[str]] = field(default_factory=dict)
    anchors: dict[str, dt.date] = field(default_factory=dict)  # newest stamp on the page
    archive_urls: dict[str, str] = field(default_factory=dict)
    problems: list[SourceResult] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def collect_targets(
    items: Iterable[str], settings: Settings | None = None, fmt: str | None = None
) -> Targets:
    """URLs given directly, plus the cited URLs of any page files or page URLs."""
    cfg = _settings(settings)
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
            out.citations.setdefault(c.url, []).append({"title": c.title, "document": src.location})
            if c.title:
                out.titles.setdefault(c.url, []).append(c.title)
            stamps = [(st.date, st.precision.value) for st in c.stamps if st.date]
            if stamps:
                day = anchor_date(None, stamps, stamps[0][0])
                out.anchors[c.url] = max(day, out.anchors.get(c.url, day))
            if c.archive_links and c.url not in out.archive_urls:
                out.archive_urls[c.url] = c.archive_links[0].archive_url
    out.urls = list(seen)
    return out


def ingest(
    store: Store,
    inputs: Iterable[str],
    settings: Settings | None = None,
    fmt: str | None = None,
) -> list[SourceResult]:
    """Read pages (files, directories, URLs) and store their citations; one result each."""
    sources, problems = expand_inputs(inputs)
    return problems + ingest_sources(store, sources, _settings(settings), fmt)


@dataclass
class RunSummary:
    run_id: int
    due: int
    counts: Counter[str]
    interrupted: bool = False
    outage: str | None = None  # why a network outage is suspected; None when none is
    archives: ArchiveSummary | None = None

    @property
    def all_alive(self) -> bool:
        return set(self.counts) <= {"alive"}


log = logging.getLogger(__name__)
FLUSH_EVERY = 200
FLUSH_SECONDS = 2.0
# Give up a run early when this many distinct hosts were tried and not one answered.
EARLY_OUTAGE_HOSTS = 50


class OutageSuspected(Exception):
    """Raised inside a run to stop it: nothing can be judged while our network is down."""


async def canary_fails(url: str, settings: Settings) -> str | None:
    """Why the canary URL failed, or None if it answered."""
    async with make_client(settings.check) as client:
        obs = await observe(client, url, settings.check)
    if obs.error is None and obs.status is not None and obs.status < 500:
        return None
    return f"canary {url} failed: {obs.error.value if obs.error else f'HTTP {obs.status}'}"


async def run_async(
    store: Store,
    settings: Settings | None = None,
    everything: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: OnResult | None = None,
    now: dt.datetime | None = None,
) -> RunSummary:
    """Check every due URL and store each result; writes in batches, each atomic.

    Outage guard: results from hosts that answered are stored as they come; results of
    hosts that could not be reached at all (DNS, refused, unreachable, connect timeout)
    are held back until the end of the run. If too many hosts were unreachable (or the
    canary URL failed) they are stored as `transient` "network outage suspected", so no
    link moves one step towards dead because our own network was down.
    """
    cfg = _settings(settings)
    urls = store.due_urls(now or dt.datetime.now(dt.UTC), everything=everything)
    run_id = store.start_run()
    counts: Counter[str] = Counter()
    if cfg.check.canary_url:
        why = await canary_fails(cfg.check.canary_url, cfg)
        if why:
            store.finish_run(run_id, counts, "outage")
            return RunSummary(run_id, len(urls), counts, outage=why)
    if on_start:
        on_start(len(urls))
    context = store.check_context(urls)
    buffer: list[CheckResult] = []
    held: list[CheckResult] = []  # unreachable hosts: judged at the end of the run
    reached: set[str] = set()
    unreachable: set[str] = set()

    last_flush = time.monotonic()

    def collect(r: CheckResult) -> None:
        nonlocal last_flush
        if now is not None:  # a simulated clock (tests, replays): checks happen "now"
            r.checked_at = now
        log.debug("%s %s %s (%d ms)", r.verdict.value, r.url, r.reason, r.elapsed_ms)
        host = host_of(r.url)
        if r.reached_server:
            reached.add(host)
            buffer.append(r)
        else:
            unreachable.add(host)
            held.append(r)
        # Stored in batches: a kill -9 loses at most FLUSH_SECONDS of finished checks, which
        # are simply due again on restart (never half-written, never counted twice).
        if len(buffer) >= FLUSH_EVERY or time.monotonic() - last_flush >= FLUSH_SECONDS:
            flush(buffer)
            last_flush = time.monotonic()
        if on_result:
            on_result(r)
        if len(unreachable) >= EARLY_OUTAGE_HOSTS and not reached:
            raise OutageSuspected

    def flush(results: list[CheckResult]) -> None:
        counts.update(r.verdict.value for r in results)
        store.record_results(results, cfg.schedule, run_id, rule_of(cfg.check))
        results.clear()

    status = "done"
    outage: str | None = None
    try:
        try:
            used = await check_spread(urls, cfg.check, collect, context)
            log.info("checked %d URLs with %d process(es)", len(urls), used)
        except* OutageSuspected:
            pass
    except BaseException:
        status = "interrupted"
        raise
    finally:
        _, failed = host_reach(held)
        failed -= reached
        tried = len(reached) + len(failed)
        if outage_suspected(
            len(reached), len(failed), cfg.check.outage_share, cfg.check.outage_min_hosts
        ):
            mark_outage(held, len(failed), tried)
            outage = f"{len(failed)} of {tried} hosts unreachable"
            status = "outage" if status == "done" else status
        flush(buffer)
        flush(held)
        store.finish_run(run_id, counts, status)
    found = None
    if outage is None and cfg.archive.endpoints:
        # fallbacks for links that became dead/soft-404/drifted (cached for lookup_days)
        found = await archive_async(store, cfg)
    if outage is None and cfg.archive.save.enabled:
        await save_async(store, cfg)
    return RunSummary(run_id, len(urls), counts, outage=outage, archives=found)


@dataclass
class ArchiveSummary:
    lookups: list[Fallback] = field(default_factory=list)
    page_links: list[tuple[str, Verification]] = field(default_factory=list)

    @property
    def found(self) -> int:
        return sum(f.chosen is not None for f in self.lookups)


async def archive_async(
    store: Store, settings: Settings | None = None, urls: Iterable[str] | None = None
) -> ArchiveSummary:
    """Find and verify archive fallbacks: for the given URLs, else for every link whose last
    verdict is dead/soft404/drifted and that was not looked up within `lookup_days`; and
    verify the archive links cited on the pages ("accessible [here]")."""
    cfg = _settings(settings)
    if not cfg.archive.endpoints:
        return ArchiveSummary()
    now = dt.datetime.now(dt.UTC)
    wanted = [normalise(u) for u in urls] if urls is not None else None
    targets = store.archive_targets(now, cfg.archive.lookup_days, wanted)
    summary = ArchiveSummary()
    summary.lookups = await lookup_many(targets, cfg.archive, cfg.check)
    for fb in summary.lookups:
        store.record_lookup(fb)
    links = store.page_links_to_verify(now, cfg.archive.lookup_days, wanted)
    checks = await verify_links([(u, t) for _, u, t in links], cfg.archive, cfg.check)
    for (link_id, link, _), v in zip(links, checks, strict=True):
        store.record_link_verification(link_id, v.ok, v.reason)
        summary.page_links.append((link, v))
    return summary


async def save_async(store: Store, settings: Settings | None = None) -> list[SaveResult]:
    """Proactive archiving (opt-in, `[archive.save] enabled`): capture alive links that have
    no capture newer than `min_age_days`."""
    cfg = _settings(settings)
    if not cfg.archive.save.enabled:
        return []
    urls = store.save_candidates(dt.datetime.now(dt.UTC), cfg.archive.save.min_age_days)
    results = await save_many(urls, cfg.archive.save, cfg.check)
    for r in results:
        store.record_save(r)
    return results


def archive(
    store: Store, settings: Settings | None = None, urls: Iterable[str] | None = None
) -> ArchiveSummary:
    """Synchronous `archive_async`."""
    return asyncio.run(archive_async(store, settings, urls))


async def check_archives(
    results: Sequence[CheckResult], targets: Targets, settings: Settings
) -> dict[str, Fallback]:
    """One-off fallbacks for the failed results of `monitor check --archive`, anchored on
    the page's newest stamp (else today)."""
    failed = [r for r in results if r.verdict.value in ("dead", "soft404", "drifted")]
    today = dt.datetime.now(dt.UTC).date()
    reqs = [
        (r.url, targets.anchors.get(r.url, today), targets.titles.get(r.url, [])) for r in failed
    ]
    found = await lookup_many(reqs, settings.archive, settings.check)
    return {f.url: f for f in found}


def run(
    store: Store,
    settings: Settings | None = None,
    everything: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: OnResult | None = None,
    now: dt.datetime | None = None,
) -> RunSummary:
    """Synchronous `run_async`."""
    return asyncio.run(run_async(store, settings, everything, on_start, on_result, now))
