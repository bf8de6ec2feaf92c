"""The service: what runs when, as a daemon (`monitor serve`) or one run at a time (cron).

Design (APScheduler 3.x user guide and FAQ):
- APScheduler 3.x (4.0 is alpha) as an in-process trigger only: an AsyncIOScheduler with
  its jobs in the same database (SQLAlchemyJobStore, table `apscheduler_jobs`), so a
  restart resumes them. A handful of jobs, not one job per URL: per-URL due times live in
  our own `url.next_due_at` (with a stable jitter), so 10,000 URLs never fall due at once.
- Every job: `coalesce=True`, `max_instances=1`, a long misfire grace: a machine that slept
  through three check intervals runs one check, not three.
- A job store must never be shared by two schedulers (APScheduler's FAQ; the research saw
  duplicated executions): `InstanceLock` makes a second `serve` or an overlapping cron
  `run` refuse to start.
- Crash safety comes from the data, not from the scheduler: results are stored in atomic
  batches that also move each URL's next due time, so after a kill -9 a restart checks
  exactly the URLs whose results were not stored, once.
- SIGTERM/SIGINT: stop taking work, give a run in progress `grace_seconds` to finish, then
  cancel it (its finished checks are flushed), and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from dataclasses import dataclass
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor import api
from monitor.api.reporting import REPORT_JOB, report_if_due, write_report
from monitor.config import Settings
from monitor.core.verdict import counts_text
from monitor.store import Store
from monitor.store.lock import InstanceLock

log = logging.getLogger(__name__)
PRUNE_JOB, REINGEST_JOB = "prune", "reingest"


@dataclass
class OnceSummary:
    run: api.RunSummary
    report: Path | None


async def run_once(store: Store, settings: Settings, now: dt.datetime | None = None) -> OnceSummary:
    """What cron runs: check what is due, then write the report if its time has come."""
    clock = now or dt.datetime.now(dt.UTC)
    summary = await api.run_async(store, settings, now=now)
    log.info(
        "run %d: %d due, %s%s",
        summary.run_id,
        summary.due,
        counts_text(summary.counts) or "nothing checked",
        f"; network outage suspected ({summary.outage})" if summary.outage else "",
    )
    return OnceSummary(summary, report_if_due(store, settings, clock))


# ---------------------------------------------------------------- the daemon


class _Context:
    """What the jobs need; set by `serve` (jobs are stored by name, so no arguments)."""

    store: Store
    settings: Settings
    busy: asyncio.Lock
    active: set[asyncio.Task[object]]


CTX = _Context()


async def _guarded(name: str, coro_fn: object) -> None:
    """Run one job body at a time (checks, re-ingest and prune never overlap)."""
    task = asyncio.current_task()
    if task is not None:
        CTX.active.add(task)  # type: ignore[arg-type]
    try:
        async with CTX.busy:
            await coro_fn()  # type: ignore[operator]
    except asyncio.CancelledError:
        # the shutdown cancelled it on purpose (its finished checks are stored): the job
        # ends here, quietly, instead of APScheduler logging a cancelled job as a failure
        log.info("%s cancelled at shutdown", name)
    except Exception:  # a job failing must not stop the daemon
        log.exception("job %s failed", name)
    finally:
        if task is not None:
            CTX.active.discard(task)  # type: ignore[arg-type]


async def dispatch_once(store: Store, settings: Settings) -> None:
    """Distributed mode: queue host batches for the workers instead of checking here; the
    archive lookups for what the workers found dead stay with this one process, so the
    archive's rate limit holds fleet-wide."""
    from monitor.app import distributed  # the optional extra: only imported in this mode

    s = await distributed.dispatch(settings, store)
    log.info(
        "dispatched %d URLs in %d host batches; %d queued or running; %d handed back",
        s.urls,
        s.jobs,
        s.active,
        s.retried,
    )
    if settings.archive.endpoints:
        await api.archive_async(store, settings)
    if settings.archive.save.enabled:
        await api.save_async(store, settings)


async def job_check_due() -> None:
    async def body() -> None:
        if CTX.settings.distributed.enabled:
            await dispatch_once(CTX.store, CTX.settings)
        else:
            await run_once(CTX.store, CTX.settings)

    await _guarded("check", body)


async def job_reingest() -> None:
    async def body() -> None:
        pages = await asyncio.to_thread(api.pages_to_reread, CTX.store)
        if pages:
            results = await asyncio.to_thread(api.ingest, CTX.store, pages, CTX.settings)
            for r in results:
                log.info("re-ingest %s: %s", r.source, r.error or "ok")

    await _guarded("reingest", body)


async def job_report() -> None:
    async def body() -> None:
        write_report(CTX.store, CTX.settings, dt.datetime.now(dt.UTC))

    await _guarded("report", body)


async def job_prune() -> None:
    async def body() -> None:
        now = dt.datetime.now(dt.UTC)
        n = CTX.store.db.prune(CTX.settings.schedule.keep_checks_days, now)
        CTX.store.jobs.done(PRUNE_JOB, now)
        log.info("pruned %d old checks", n)

    await _guarded("prune", body)


def build_scheduler(settings: Settings) -> AsyncIOScheduler:
    sched = settings.schedule
    scheduler = AsyncIOScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=settings.database.url)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=dt.UTC,
    )
    # Interval jitter goes on the trigger: add_job(jitter=) is ignored with a trigger object.
    scheduler.add_job(
        job_check_due,
        IntervalTrigger(seconds=sched.check_every_seconds, timezone=dt.UTC),
        id="check-due",
        replace_existing=True,
        next_run_time=dt.datetime.now(dt.UTC),  # look at once on start, then every interval
    )
    scheduler.add_job(
        job_reingest,
        IntervalTrigger(hours=sched.reingest_hours, jitter=300, timezone=dt.UTC),
        id=REINGEST_JOB,
        replace_existing=True,
    )
    scheduler.add_job(
        job_report,
        sched.report_trigger(),
        id=REPORT_JOB,
        replace_existing=True,
        misfire_grace_time=None,  # a report missed while the machine slept still comes
    )
    scheduler.add_job(
        job_prune,
        CronTrigger(day_of_week="sun", hour=3, jitter=600, timezone=dt.UTC),
        id=PRUNE_JOB,
        replace_existing=True,
    )
    return scheduler


async def serve(store: Store, settings: Settings) -> None:
    """Run the daemon until SIGTERM/SIGINT; the caller holds the instance lock."""
    CTX.store, CTX.settings = store, settings
    CTX.busy, CTX.active = asyncio.Lock(), set()
    scheduler = build_scheduler(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    scheduler.start()
    log.info(
        "monitor serving %s; jobs: %s",
        settings.database.url.split("@")[-1],
        ", ".join(
            f"{j.id} next {j.next_run_time:%Y-%m-%d %H:%M}"
            for j in scheduler.get_jobs()
            if j.next_run_time
        ),
    )
    await stop.wait()
    log.info("stopping: no new work; %d job(s) in progress", len(CTX.active))
    scheduler.pause()
    if CTX.active:
        _done, pending = await asyncio.wait(
            set(CTX.active), timeout=settings.schedule.grace_seconds
        )
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task
    scheduler.shutdown(wait=False)
    log.info("stopped")


def serve_forever(store: Store, settings: Settings) -> None:
    with InstanceLock(store):  # which also marks the runs of a killed monitor
        asyncio.run(serve(store, settings))
