"""The service: what runs when, as a daemon (`monitor serve`) or one run at a time (cron).

Design (see ../shared/research/libraries.md, APScheduler):
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
from monitor.config import Settings
from monitor.due import rule_of
from monitor.lock import InstanceLock
from monitor.report import build_report, render, send_email
from monitor.store import Store

log = logging.getLogger(__name__)
REPORT_JOB, PRUNE_JOB, REINGEST_JOB = "weekly-report", "prune", "reingest"


def report_due(last: dt.datetime | None, now: dt.datetime, cron: str) -> bool:
    """Has the report's cron time come since the last report? (Never run: the first time
    comes within a week.)"""
    trigger = CronTrigger.from_crontab(cron, timezone=dt.UTC)
    since = last or (now - dt.timedelta(days=7))
    fire = trigger.get_next_fire_time(None, since + dt.timedelta(seconds=1))
    return fire is not None and fire <= now


def write_report(
    store: Store,
    settings: Settings,
    now: dt.datetime,
    formats: list[str] | None = None,
    since: dt.datetime | None = None,
    mark: bool = True,
) -> Path:
    """The report since the previous one, as reports/report-YYYY-MM-DD.{md,html,json,csv}
    (the formats of `[report] formats`); e-mailed when `[report.email]` is set up.
    Returns the first file written."""
    since = since or store.job_last(REPORT_JOB)
    report = build_report(store, rule_of(settings.check), since, settings.report.max_items, now)
    written = []
    for fmt in formats or settings.report.formats:
        out = Path(settings.report.dir) / f"report-{now:%Y-%m-%d}.{fmt}"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(report, fmt), "utf-8")
        written.append(out)
    if settings.report.email.smtp_host and settings.report.email.to:
        send_email(report, settings.report.email)
        log.info("report mailed to %s", ", ".join(settings.report.email.to))
    if mark:
        store.job_done(REPORT_JOB, now)
    log.info("report written: %s", ", ".join(map(str, written)))
    return written[0]


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
        dict(summary.counts) or "nothing checked",
        f"; network outage suspected ({summary.outage})" if summary.outage else "",
    )
    return OnceSummary(summary, report_if_due(store, settings, clock))


def report_if_due(store: Store, settings: Settings, now: dt.datetime) -> Path | None:
    """Write the weekly report when its cron time has come since the last one (cron mode)."""
    if report_due(store.job_last(REPORT_JOB), now, settings.schedule.report_cron):
        return write_report(store, settings, now)
    return None


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
        log.info("%s cancelled at shutdown", name)
        raise
    except Exception:  # a job failing must not stop the daemon
        log.exception("job %s failed", name)
    finally:
        if task is not None:
            CTX.active.discard(task)  # type: ignore[arg-type]


async def dispatch_once(store: Store, settings: Settings) -> None:
    """Distributed mode: queue host batches for the workers instead of checking here; the
    archive lookups for what the workers found dead stay with this one process, so the
    archive's rate limit holds fleet-wide."""
    from monitor import distributed  # the optional extra: only imported in this mode

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
        pages = [d.source for d in CTX.store.documents() if d.kind == "url"]
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
        n = CTX.store.prune(CTX.settings.schedule.keep_checks_days, now)
        CTX.store.job_done(PRUNE_JOB, now)
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
        CronTrigger.from_crontab(sched.report_cron, timezone=dt.UTC),
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


def scheduler_status(store: Store, settings: Settings) -> dict[str, object]:
    """For `monitor status`: last run, next job times, URLs due now."""
    now = dt.datetime.now(dt.UTC)
    last = store.last_run()
    jobs: dict[str, str | None] = {}
    with contextlib.suppress(Exception):  # no daemon has ever run: no job table
        jobstore = SQLAlchemyJobStore(engine=store.engine)
        for job in jobstore.get_all_jobs():
            jobs[job.id] = job.next_run_time.isoformat() if job.next_run_time else None
    return {
        "last_run": last.finished_at.isoformat() if last and last.finished_at else None,
        "last_run_checked": last.checked if last else 0,
        "due_now": store.due_count(now),
        "jobs": jobs,
        "last_report": (r.isoformat() if (r := store.job_last(REPORT_JOB)) else None),
    }


def serve_forever(store: Store, settings: Settings) -> None:
    with InstanceLock(store):
        if n := store.close_stale_runs():
            log.info("%d run(s) of a killed process marked as killed; their URLs are due", n)
        asyncio.run(serve(store, settings))
