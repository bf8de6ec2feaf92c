"""Distributed mode: many `monitor worker` processes, on any machines, share the checking
through procrastinate, a job queue that lives in the PostgreSQL database we already use.

Why this shape (procrastinate's documentation: locks, queueing locks, stalled jobs):
- One job = one host's batch of due URLs. procrastinate's `lock="host:<name>"` lets only one
  job per host run at a time across the whole fleet, so per-host politeness holds however
  many workers there are; `queueing_lock` keeps a host from being queued twice.
- A job blocked by a host lock is only picked up at the worker's next poll (5 s by default),
  so a batch is sized to last `batch_seconds` at the host's rate, and workers poll every
  `poll_seconds` (1 s): the lock's cost stays a few percent of a batch.
- The URL table stays the source of truth. A job re-reads which of its URLs are still due
  before checking, and results are written in atomic batches that move each URL's next due
  time: a worker killed mid-batch loses only unwritten checks; its job is handed back by
  the dispatcher (stalled-job handling, by worker heartbeat) and checks exactly the URLs
  whose results were never stored, never one twice.
- Nothing here is imported in the embedded mode (SQLite, `monitor run`/`serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import ssl
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

from monitor.checking.batch import check_host_batch
from monitor.checking.http import check_fetcher, ssl_context
from monitor.checking.runner import Reach, ResultSink
from monitor.config import Settings
from monitor.core.due import rule_of, transition
from monitor.core.errors import DistributedError
from monitor.core.results import CheckResult
from monitor.store import Store

try:
    import procrastinate
    import psycopg
    from procrastinate import exceptions as pexc
    from procrastinate.jobs import Job, Status
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        f"distributed mode needs the optional extra: pip install 'monitor[distributed]' ({exc})"
    ) from exc

log = logging.getLogger(__name__)

TASK = "monitor.check_host"
QUEUE = "monitor_checks"
RUN_STATUS = "dispatched"  # runs whose checks are spread over jobs; closed when all are done
FLUSH_SECONDS = 1.0
REACH_WINDOW = 300.0  # seconds of host outcomes a worker weighs for the outage guard


def conninfo(database_url: str) -> str:
    """libpq connection string for procrastinate, from our SQLAlchemy URL."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise DistributedError(
            "distributed mode needs PostgreSQL: set [database] url = "
            '"postgresql+psycopg://user@host/dbname" (SQLite is for one machine: monitor serve)'
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(settings: Settings, pool_size: int = 10) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(settings.database.url), min_size=1, max_size=pool_size
    )
    app = procrastinate.App(connector=connector)
    # A task that raised (database briefly away...) is retried; stalled ones are handed back
    # by the dispatcher. Either way the still-due filter makes a repeat harmless.
    app.task(name=TASK, queue=QUEUE, retry=procrastinate.RetryStrategy(max_attempts=5, wait=10))(
        check_host
    )
    return app


def ensure_schema(settings: Settings) -> bool:
    """Create procrastinate's tables once (in the database's search path); True if created.
    An advisory lock makes a fleet starting at once create them exactly once."""
    try:
        with psycopg.connect(conninfo(settings.database.url), autocommit=False) as conn:
            conn.execute("SELECT pg_advisory_xact_lock(74210531)")
            present = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            row = present.fetchone()
            if row and row[0]:
                return False
            conn.execute(procrastinate.schema.SchemaManager.get_schema())  # type: ignore[arg-type]
            conn.commit()
            return True
    except psycopg.Error as exc:
        raise DistributedError(f"cannot prepare the job queue in the database: {exc}") from None


# ------------------------------------------------------------------ the worker side


@dataclass
class _Worker:
    """What one worker process shares between the host batches it runs at once."""

    settings: Settings
    store: Store
    verify: ssl.SSLContext  # one TLS context; each batch gets its own small client
    limit: asyncio.Semaphore
    writer: _Writer
    reach: Reach  # host outcomes of the last REACH_WINDOW seconds, for the outage rule


_STATE: _Worker | None = None


class _Writer:
    """One writer per worker process: what the batches' sinks hand over is stored in a
    thread, one transaction per run, and whatever arrives while a write runs goes with the
    next one. Per-batch writes made 32 batches compete for a handful of connections."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self.step = transition(settings.schedule, rule_of(settings.check))
        self.pending: dict[int | None, list[CheckResult]] = defaultdict(list)
        self.lock = asyncio.Lock()
        self.drainer: asyncio.Task[None] | None = None

    def add(self, run_id: int | None, results: list[CheckResult]) -> None:
        self.pending[run_id].extend(results)
        if self.drainer is None or self.drainer.done():
            self.drainer = asyncio.get_running_loop().create_task(self.flush())
            self.drainer.add_done_callback(_said_if_failed)

    async def flush(self) -> None:
        """Write everything handed over so far; returns once it is stored."""
        async with self.lock:
            while self.pending:
                batches, self.pending = self.pending, defaultdict(list)
                for run_id, results in batches.items():
                    await asyncio.to_thread(
                        self.store.checks.record_results,
                        results,
                        self.step,
                        run_id,
                    )


def _said_if_failed(task: asyncio.Task[None]) -> None:
    """A background write that failed: its results are lost, so their URLs stay due and go
    out with a later batch; say so instead of leaving an unretrieved exception."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("storing a batch of results failed (its URLs stay due): %s", exc)


async def check_host(host: str, url_ids: list[int], run_id: int | None = None) -> dict[str, int]:
    """The job: check one host's batch politely; results are stored within about a second,
    and all of them before the job counts as done."""
    w = _STATE
    if w is None:
        raise DistributedError("check_host runs inside `monitor worker` only")
    cfg = w.settings
    urls = await asyncio.to_thread(w.store.checks.still_due, url_ids, dt.datetime.now(dt.UTC))
    if not urls:
        return {"checked": 0, "skipped": len(url_ids)}
    context = await asyncio.to_thread(w.store.checks.check_context, urls)
    # unreachable answers wait for the end of the batch, then face the outage rule
    sink = ResultSink(
        lambda batch: w.writer.add(run_id, batch), cfg.check, seconds=FLUSH_SECONDS, reach=w.reach
    )
    size = cfg.check.policy_for(host).concurrency + 2
    async with check_fetcher(cfg.check, w.verify, size) as client:
        results = await check_host_batch(client, urls, cfg.check, w.limit, sink.add, context)
    sink.settle()
    await w.writer.flush()
    return {"checked": len(results), "skipped": len(url_ids) - len(urls)}


async def run_worker(
    settings: Settings, store: Store, concurrency: int | None = None, wait: bool = True
) -> None:
    """Run one worker until SIGTERM/SIGINT (or, with wait=False, until the queue is empty)."""
    global _STATE
    d = settings.distributed
    conc = concurrency or d.worker_concurrency
    ensure_schema(settings)
    app = make_app(settings, pool_size=max(4, min(conc + 2, 20)))
    verify = ssl_context(settings.check)
    writer = _Writer(settings, store)
    limit = asyncio.Semaphore(settings.check.concurrency)
    _STATE = _Worker(settings, store, verify, limit, writer, Reach(window=REACH_WINDOW))
    try:
        async with app.open_async():
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=conc,
                wait=wait,
                fetch_job_polling_interval=d.poll_seconds,
                update_heartbeat_interval=d.heartbeat_seconds,
                stalled_worker_timeout=d.stalled_seconds,
                shutdown_graceful_timeout=settings.schedule.grace_seconds,
                delete_jobs="successful",  # the queue stays small; history lives in url_check
            )
    finally:
        _STATE = None
        await writer.flush()


# -------------------------------------------------------------- the dispatcher side


@dataclass
class DispatchSummary:
    run_id: int | None = None
    jobs: int = 0
    urls: int = 0
    hosts_waiting: int = 0  # hosts whose previous batch is still queued
    retried: int = 0  # stalled jobs (their worker died) handed back
    active: int = 0  # jobs queued or running after this round
    closed_runs: list[int] = field(default_factory=list)


def batch_size(settings: Settings, host: str) -> int:
    """URLs in one job for `host`: about `batch_seconds` of its rate, at least one."""
    d = settings.distributed
    rate = settings.check.policy_for(host).rate
    if rate <= 0:
        return d.max_batch
    return max(1, min(d.max_batch, int(rate * d.batch_seconds)))


async def _q(app: procrastinate.App, query: str, **args: Any) -> list[dict[str, Any]]:
    return await app.connector.execute_query_all_async(query=query, **args)  # type: ignore[arg-type]


async def retry_stalled(app: procrastinate.App, settings: Settings) -> int:
    """Hand back the jobs of workers that stopped sending heartbeats (killed, lost)."""
    jobs = await app.job_manager.get_stalled_jobs(
        queue=QUEUE, task_name=TASK, seconds_since_heartbeat=settings.distributed.stalled_seconds
    )
    n = 0
    for job in jobs:
        try:
            await app.job_manager.retry_job(job)
            log.warning("batch %s (%s): its worker is gone; retrying it", job.id, job.lock)
        except pexc.UniqueViolation:
            # the host already has a batch waiting (queueing lock): close the dead one
            # instead; its unchecked URLs are still due and go out with a later batch
            await app.job_manager.finish_job(job, Status.FAILED, delete_job=False)
            log.warning(
                "batch %s (%s): its worker is gone; its unchecked URLs go to the next batch",
                job.id,
                job.lock,
            )
        n += 1
    if n:
        await app.job_manager.prune_stalled_workers(settings.distributed.stalled_seconds)
    return n


async def dispatch_once(
    app: procrastinate.App, store: Store, settings: Settings, now: dt.datetime | None = None
) -> DispatchSummary:
    """One round: hand back stalled jobs, queue one batch per host with due URLs (hosts with
    a batch still waiting are skipped), and close runs whose jobs have all finished."""
    now = now or dt.datetime.now(dt.UTC)
    out = DispatchSummary(retried=await retry_stalled(app, settings))
    waiting = {
        r["queueing_lock"].removeprefix("host:")
        for r in await _q(
            app,
            "SELECT queueing_lock FROM procrastinate_jobs"
            " WHERE task_name = %(t)s AND status = 'todo' AND queueing_lock IS NOT NULL",
            t=TASK,
        )
    }
    busy = [
        int(i)
        for r in await _q(
            app,
            "SELECT args->'url_ids' AS ids FROM procrastinate_jobs"
            " WHERE task_name = %(t)s AND status = 'doing'",
            t=TASK,
        )
        for i in (r["ids"] or [])
    ]
    out.hosts_waiting = len(waiting)
    batches = await asyncio.to_thread(
        store.checks.due_batches, now, settings.distributed.max_batch, busy, waiting
    )
    if batches:
        out.run_id = await asyncio.to_thread(store.runs.start_run, RUN_STATUS)
        jobs = [
            Job(
                queue=QUEUE,
                lock=f"host:{host}",
                queueing_lock=f"host:{host}",
                task_name=TASK,
                task_kwargs={
                    "host": host,
                    "url_ids": ids[: batch_size(settings, host)],
                    "run_id": out.run_id,
                },
            )
            for host, ids in batches.items()
        ]
        queued = await _defer(app, jobs)
        out.jobs, out.urls = len(queued), sum(len(j.task_kwargs["url_ids"]) for j in queued)
    out.closed_runs = await close_finished_runs(app, store)
    rows = await _q(
        app,
        "SELECT count(*) AS n FROM procrastinate_jobs"
        " WHERE task_name = %(t)s AND status IN ('todo', 'doing')",
        t=TASK,
    )
    out.active = int(rows[0]["n"])
    return out


async def _defer(app: procrastinate.App, jobs: Sequence[Job]) -> list[Job]:
    """Queue jobs in chunks; a host queued meanwhile by another dispatcher is skipped."""
    done: list[Job] = []
    for i in range(0, len(jobs), 500):
        chunk = list(jobs[i : i + 500])
        try:
            await app.job_manager.batch_defer_jobs_async(chunk)
            done.extend(chunk)
        except pexc.AlreadyEnqueued:
            for job in chunk:
                with contextlib.suppress(pexc.AlreadyEnqueued):
                    await app.job_manager.defer_job_async(job)
                    done.append(job)
    return done


async def close_finished_runs(app: procrastinate.App, store: Store) -> list[int]:
    """Dispatched runs with no job left queued or running: count their checks and close."""
    open_runs = await asyncio.to_thread(store.runs.open_runs, RUN_STATUS)
    if not open_runs:
        return []
    rows = await _q(
        app,
        "SELECT DISTINCT (args->>'run_id')::bigint AS run_id FROM procrastinate_jobs"
        " WHERE task_name = %(t)s AND status IN ('todo', 'doing')",
        t=TASK,
    )
    active = {r["run_id"] for r in rows}
    closed = [r for r in open_runs if r not in active]
    for run_id in closed:
        await asyncio.to_thread(store.runs.close_run_from_checks, run_id)
    return closed


async def dispatch(
    settings: Settings,
    store: Store,
    every: float | None = None,
    until_done: bool = False,
    on_round: Any = None,
) -> DispatchSummary:
    """Dispatch once, every `every` seconds, or until nothing is due and no job is left."""
    ensure_schema(settings)
    store.decisions.apply_ignores()  # the config's [[ignore]] may have changed since
    app = make_app(settings, pool_size=4)
    async with app.open_async():
        while True:
            summary = await dispatch_once(app, store, settings)
            if on_round:
                on_round(summary)
            if until_done and summary.active == 0 and summary.jobs == 0:
                # a job may have ended between closing runs and counting jobs: with none
                # left, every run still open is finished now
                summary.closed_runs += await close_finished_runs(app, store)
                return summary
            if not until_done and every is None:
                return summary
            await asyncio.sleep(every or 2.0)
