"""Keeping checks in the database: run (the main job), archive fallbacks and Save Page
Now (ingest is `monitor.api.ingesting`). The daemon (`monitor.service`) and the CLI both
come through here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.api.checking import Phase, canary_fails, few_hosts_canary, quiet
from monitor.api.reporting import report_if_due
from monitor.archives.choice import lookup_requests
from monitor.archives.fallback import ArchiveHealth, lookup_many, verify_links
from monitor.archives.save import save_many
from monitor.checking.batch import OnResult
from monitor.checking.fanout import check_across_processes
from monitor.checking.runner import OutageSuspected, ResultSink
from monitor.config import Settings, load_settings
from monitor.core.collector import fewer_collections
from monitor.core.due import rule_of, transition
from monitor.core.results import CheckResult, Fallback, SaveResult, Verification
from monitor.core.urls import normalise
from monitor.core.verdict import counts_text
from monitor.store import Store
from monitor.store.lock import InstanceLock


@dataclass
class RunSummary:
    run_id: int
    due: int
    counts: Counter[str]
    interrupted: bool = False
    outage: str | None = None  # why a network outage is suspected; None when none is
    archives: ArchiveSummary | None = None
    unchanged: int = 0  # alive checks answered 304 to the last good answer's validators

    @property
    def all_alive(self) -> bool:
        return set(self.counts) <= {"alive"}


log = logging.getLogger(__name__)
# Stored in batches: a kill -9 loses at most FLUSH_SECONDS of finished checks, which are
# simply due again on restart (never half-written, never counted twice).
FLUSH_EVERY = 1000  # results a write stores at once (each write is one transaction)
FLUSH_SECONDS = 2.0
# Give up a run early when this many distinct hosts were tried and not one answered.
EARLY_OUTAGE_HOSTS = 50


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
    cfg = settings or load_settings()
    store.decisions.apply_ignores()  # the config's [[ignore]] may have changed since
    urls = store.checks.due_urls(now or dt.datetime.now(dt.UTC), everything=everything)
    run_id = store.runs.start_run()
    counts: Counter[str] = Counter()
    unchanged = 0
    if cfg.check.canary_url:
        why = await canary_fails(cfg.check.canary_url, cfg)
        if why:
            store.runs.finish_run(run_id, counts, "outage")
            return RunSummary(run_id, len(urls), counts, outage=why)
    if on_start:
        on_start(len(urls))
    step = transition(cfg.schedule, rule_of(cfg.check))

    def write(batch: list[CheckResult]) -> None:
        nonlocal unchanged
        # logged as stored: after the outage rule had its say (never "dead", then not)
        for r in batch:
            log.debug("%s %s %s (%d ms)", r.verdict.value, r.url, r.reason, r.elapsed_ms)
        counts.update(r.verdict.value for r in batch)
        unchanged += sum(r.unchanged for r in batch)
        store.checks.record_results(batch, step, run_id)

    sink = ResultSink(
        write, cfg.check, FLUSH_EVERY, FLUSH_SECONDS, give_up_after=EARLY_OUTAGE_HOSTS
    )

    def collect(r: CheckResult) -> None:
        if now is not None:  # a simulated clock (tests, replays): checks happen "now"
            r.checked_at = now
        if on_result:
            on_result(r)
        sink.add(r)

    status = "done"
    outage: str | None = None
    canary: str | None = None
    try:
        try:
            with fewer_collections():
                # what the store knows of each host's URLs is read as the host is handed
                # out (`fanout.check_across_processes`), not for the whole run at its start
                used = await check_across_processes(
                    urls, cfg.check, collect, source=store.checks.check_context
                )
            log.info("checked %d URLs with %d process(es)", len(urls), used)
        except* OutageSuspected:
            pass
        canary = await few_hosts_canary(sink.reach, cfg)
    except BaseException:
        status = "interrupted"
        raise
    finally:
        outage = sink.settle(canary)
        if outage is not None and status == "done":
            status = "outage"
        store.runs.finish_run(run_id, counts, status)
    found = None
    if outage is None and cfg.archive.endpoints:
        # fallbacks for links that became dead/soft-404/drifted (cached for lookup_days)
        found = await archive_async(store, cfg)
    if outage is None and cfg.archive.save.enabled:
        await save_async(store, cfg)
    return RunSummary(run_id, len(urls), counts, outage=outage, archives=found, unchanged=unchanged)


@dataclass
class ArchiveSummary:
    lookups: list[Fallback] = field(default_factory=list)
    page_links: list[tuple[str, Verification]] = field(default_factory=list)
    archives_down: dict[str, str] = field(default_factory=dict)  # not asked again: why

    @property
    def found(self) -> int:
        return sum(f.chosen is not None for f in self.lookups)


async def archive_async(
    store: Store, settings: Settings | None = None, urls: Iterable[str] | None = None
) -> ArchiveSummary:
    """Find and verify archive fallbacks: for the given URLs, else for every link whose last
    verdict is dead/soft404/drifted and that was not looked up within `lookup_days`; and
    verify the archive links cited on the pages ("accessible [here]")."""
    cfg = settings or load_settings()
    if not cfg.archive.endpoints:
        return ArchiveSummary()
    now = dt.datetime.now(dt.UTC)
    wanted = [normalise(u) for u in urls] if urls is not None else None
    targets = lookup_requests(store.archives.archive_targets(now, cfg.archive.lookup_days, wanted))
    summary = ArchiveSummary()
    # each lookup is stored as it completes: Ctrl-C or the budget keeps what was found
    health = ArchiveHealth(cfg.archive)
    summary.lookups = await lookup_many(
        targets, cfg.archive, cfg.check, on_result=store.archives.record_lookup, health=health
    )
    summary.archives_down = dict(health.down)
    links = store.archives.page_links_to_verify(now, cfg.archive.lookup_days, wanted)
    if len(health.down) == len(cfg.archive.endpoints):
        links = []  # every archive is down: its "[here]" links are verified next run
    checks = await verify_links([(u, t) for _, u, t in links], cfg.archive, cfg.check)
    for (link_id, link, _), v in zip(links, checks, strict=True):
        store.archives.record_link_verification(link_id, v.ok, v.reason)
        summary.page_links.append((link, v))
    return summary


async def save_async(store: Store, settings: Settings | None = None) -> list[SaveResult]:
    """Proactive archiving (opt-in, `[archive.save] enabled`): capture alive links that have
    no capture newer than `min_age_days`."""
    cfg = settings or load_settings()
    if not cfg.archive.save.enabled:
        return []
    urls = store.archives.save_candidates(dt.datetime.now(dt.UTC), cfg.archive.save.min_age_days)
    results = await save_many(urls, cfg.archive.save, cfg.check)
    for r in results:
        store.archives.record_save(r)
    return results


def save(store: Store, settings: Settings | None = None) -> list[SaveResult]:
    """Synchronous `save_async`."""
    return asyncio.run(save_async(store, settings))


def archive(
    store: Store, settings: Settings | None = None, urls: Iterable[str] | None = None
) -> ArchiveSummary:
    """Synchronous `archive_async`."""
    return asyncio.run(archive_async(store, settings, urls))


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


def run_command(
    store: Store,
    settings: Settings,
    everything: bool = False,
    once: bool = False,
    phase: Phase = quiet,
) -> tuple[RunSummary, Path | None]:
    """`monitor run`: the run under the instance lock (a second monitor on the same database
    raises `LockError`), then, with `once` (cron), the weekly report when it is due."""
    advance: list[Callable[..., None]] = []
    with InstanceLock(store):  # which also marks the runs of a killed monitor
        summary = run(
            store,
            settings,
            everything,
            on_start=lambda n: advance.append(phase("checking", n)),
            on_result=lambda r: advance[0](),
        )
        said = counts_text(summary.counts) or "nothing checked"
        log.info(
            "run %d: %d due, %s", summary.run_id, summary.due, said,
            extra={"run_id": summary.run_id, "due": summary.due, "counts": dict(summary.counts)},
        )  # fmt: skip
        written = report_if_due(store, settings, dt.datetime.now(dt.UTC)) if once else None
    return summary, written
