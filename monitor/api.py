"""The importable API the CLI is a thin layer over: check, ingest, run.

from monitor import check
for r in check(["https://example.org/a", "https://example.org/b"]):
    print(r.url, r.verdict, r.reason)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.check import CheckResult, OnResult, apply_offline_rule, check_urls
from monitor.config import Settings, load_settings
from monitor.ingest import (
    SourceError,
    SourceResult,
    expand_inputs,
    ingest_sources,
    is_url,
    load_source,
)
from monitor.store import Store
from monitor.urls import UrlError, normalise


def _settings(settings: Settings | None) -> Settings:
    return settings if settings is not None else load_settings()


async def check_async(
    urls: Iterable[str], settings: Settings | None = None, on_result: OnResult | None = None
) -> list[CheckResult]:
    """Check URLs now (no database); invalid URLs raise `urls.UrlError`."""
    cfg = _settings(settings)
    return await check_urls([normalise(u) for u in urls], cfg.check, on_result)


def check(
    urls: Iterable[str], settings: Settings | None = None, on_result: OnResult | None = None
) -> list[CheckResult]:
    """Synchronous `check_async`, for scripts and notebooks without an event loop."""
    return asyncio.run(check_async(list(urls), settings, on_result))


@dataclass
class Targets:
    """What `monitor check` was asked to check: URLs and, for pages, who cites them."""

    urls: list[str] = field(default_factory=list)
    citations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
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

    @property
    def all_alive(self) -> bool:
        return set(self.counts) <= {"alive"}


FLUSH_EVERY = 200


async def run_async(
    store: Store,
    settings: Settings | None = None,
    everything: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: OnResult | None = None,
) -> RunSummary:
    """Check every due URL and store each result; writes in batches, each atomic."""
    cfg = _settings(settings)
    urls = store.due_urls(dt.datetime.now(dt.UTC), everything=everything)
    run_id = store.start_run()
    if on_start:
        on_start(len(urls))
    counts: Counter[str] = Counter()
    buffer: list[CheckResult] = []
    network_seen = False  # until one server answers, hold results back (see offline rule)

    def collect(r: CheckResult) -> None:
        nonlocal network_seen
        network_seen = network_seen or r.reached_server
        buffer.append(r)
        if network_seen and len(buffer) >= FLUSH_EVERY:
            flush()
        if on_result:
            on_result(r)

    def flush() -> None:
        if not network_seen:
            apply_offline_rule(buffer)
        counts.update(r.verdict.value for r in buffer)
        store.record_results(buffer, cfg.schedule, run_id)
        buffer.clear()

    status = "done"
    try:
        await check_urls(urls, cfg.check, collect)
    except (asyncio.CancelledError, KeyboardInterrupt):
        status = "interrupted"
        raise
    finally:
        flush()
        store.finish_run(run_id, counts, status)
    return RunSummary(run_id, len(urls), counts)


def run(
    store: Store,
    settings: Settings | None = None,
    everything: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: OnResult | None = None,
) -> RunSummary:
    """Synchronous `run_async`."""
    return asyncio.run(run_async(store, settings, everything, on_start, on_result))
