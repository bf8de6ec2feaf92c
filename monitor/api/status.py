"""What is known, for people: per-page counts, every citation with its state, one URL's
history, and where the scheduler stands (`monitor status`, `monitor history`)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from monitor.api.reporting import REPORT_JOB
from monitor.config import Settings
from monitor.core.due import Confirmation, Status, describe, rule_of
from monitor.core.errors import NotCited
from monitor.core.stamps import AccessStamp
from monitor.core.times import as_utc, iso
from monitor.core.urls import normalise
from monitor.store import Store
from monitor.store.models import Citation, Document, Url, UrlCheck


@dataclass
class PageCounts:
    id: int
    source: str
    format: str
    counts: Counter[str]  # citations by confirmed status, "unlinked" for those without a URL


@dataclass
class StatusRow:
    """One live citation and the state of its URL."""

    document_id: int
    document: str
    position: int
    title: str | None
    publisher: str | None
    stamps: list[dict[str, Any]]
    url: str | None
    status: str | None
    failures: int | None
    verdict: str | None
    reason: str | None
    verified_on: dt.date | None
    status_text: str | None  # the status for people: "failing (1 of 3)"
    note: str | None = None  # what ingest noticed (credentials removed, header lines)

    @property
    def stamps_text(self) -> str:
        return ", ".join(AccessStamp.from_dict(s).display() for s in self.stamps) or "none"

    def json(self) -> dict[str, Any]:
        """`monitor status --format json`'s row."""
        return {
            "document": self.document,
            "position": self.position,
            "title": self.title,
            "publisher": self.publisher,
            "stamps": self.stamps,
            "url": self.url,
            "status": self.status,
            "failures": self.failures,
            "verdict": self.verdict,
            "reason": self.reason,
            "verified_access": iso(self.verified_on),
            "note": self.note,
        }


def _row(c: Citation, u: Url | None, d: Document, rule: Confirmation) -> StatusRow:
    # an ignored URL is "ignored" in every view (the counts of `status --brief` say so too)
    ignored = u is not None and u.ignored
    return StatusRow(
        document_id=d.id,  # type: ignore[arg-type]
        document=d.source,
        position=c.position,
        title=c.title,
        publisher=c.publisher,
        stamps=c.stamps,
        url=u.url if u else None,
        status=("ignored" if ignored else u.status) if u else None,
        failures=u.consecutive_failures if u else None,
        verdict=u.last_verdict if u else None,
        reason=u.last_reason if u else None,
        verified_on=c.verified_on,
        status_text=(
            "ignored" if ignored else describe(Status(u.status), u.consecutive_failures, rule)
        )
        if u
        else None,
        note=c.note,
    )


def page_counts(store: Store) -> list[PageCounts]:
    """Every page with its citations counted by status (one GROUP BY)."""
    out = []
    for doc, _, by_status, unlinked in store.reports.citation_counts():
        here = by_status + Counter({"unlinked": unlinked} if unlinked else {})
        out.append(PageCounts(doc.id, doc.source, doc.format, here))  # type: ignore[arg-type]
    return out


def status_rows(store: Store, settings: Settings) -> Iterator[StatusRow]:
    """Every live citation by page and position, streamed from the database."""
    rule = rule_of(settings.check)
    for c, u, d in store.pages.iter_citation_rows():
        yield _row(c, u, d, rule)


@dataclass
class SchedulerStatus:
    last_run: str | None
    last_run_checked: int
    due_now: int
    jobs: dict[str, str | None] = field(default_factory=dict)
    last_report: str | None = None
    next_report: str | None = None  # in the zone of report_cron, with its name


def next_report(settings: Settings, now: dt.datetime) -> str:
    """When the weekly report comes next, in [schedule] timezone (as the cron line means)."""
    trigger = settings.schedule.report_trigger()
    fire = trigger.get_next_fire_time(None, now.astimezone(trigger.timezone))
    return f"{fire:%a %Y-%m-%d %H:%M} {trigger.timezone}" if fire else "never"


def scheduler_status(store: Store, settings: Settings | None = None) -> SchedulerStatus:
    """The last finished run, URLs due now, the daemon's next job times, the last report."""
    now = dt.datetime.now(dt.UTC)
    last = store.runs.last_run()
    jobs: dict[str, str | None] = {}
    with contextlib.suppress(Exception):  # no daemon has ever run: no job table
        jobstore = SQLAlchemyJobStore(engine=store.engine)
        for job in jobstore.get_all_jobs():
            jobs[job.id] = job.next_run_time.isoformat() if job.next_run_time else None
    return SchedulerStatus(
        last_run=last.finished_at.isoformat() if last and last.finished_at else None,
        last_run_checked=last.checked if last else 0,
        due_now=store.checks.due_total(now),
        jobs=jobs,
        last_report=(r.isoformat() if (r := store.jobs.last(REPORT_JOB)) else None),
        next_report=next_report(settings, now) if settings else None,
    )


@dataclass
class History:
    url: str
    status_text: str
    next_due_at: dt.datetime | None
    checks: list[UrlCheck]


def history(store: Store, settings: Settings, url: str, limit: int = 50) -> History:
    """A URL's state and its latest checks, newest first. Raises `urls.UrlError` for an
    invalid URL and `NotCited` for one no page cites."""
    norm = normalise(url)
    rec = store.pages.url(norm)
    if rec is None:
        raise NotCited(f"{norm} is not cited by any ingested page")
    status_text = describe(Status(rec.status), rec.consecutive_failures, rule_of(settings.check))
    return History(norm, status_text, rec.next_due_at, store.checks.history(norm, limit))


@dataclass
class StatusView:
    """`monitor status`: the pages with their counts, each citation (none when brief), and
    where the scheduler stands."""

    pages: list[PageCounts]
    rows: Iterator[StatusRow]
    scheduler: SchedulerStatus | None


def status(store: Store, settings: Settings, brief: bool = False) -> StatusView:
    pages = page_counts(store)
    if not pages:
        return StatusView([], iter(()), None)
    rows = iter(()) if brief else status_rows(store, settings)
    return StatusView(pages, rows, scheduler_status(store, settings))


# a monitor whose last finished run is older than this is overdue: cron or the daemon stopped
OVERDUE = dt.timedelta(days=2)
STUCK = dt.timedelta(hours=6)  # a run "running" longer than this is stuck (or killed)


def summary(store: Store, settings: Settings) -> dict[str, Any]:
    """Where the monitor stands, for a monitoring system (`status --brief --format json`):
    the last run, a run in progress, what is due, the reports, counts by status and by
    verdict, and `healthy` with the reasons it is not."""
    now = dt.datetime.now(dt.UTC)
    last = store.runs.last_run()
    running = store.runs.running()
    sched = scheduler_status(store, settings)
    by_status: Counter[str] = Counter()
    by_verdict: Counter[str] = Counter()
    for _, verdicts, statuses, _unlinked in store.reports.citation_counts():
        by_status.update(statuses)
        by_verdict.update(verdicts)
    problems = []
    if last is None and by_status:
        problems.append("no run has finished yet")
    elif last is not None and last.finished_at is not None:
        finished = as_utc(last.finished_at)
        if now - finished > OVERDUE:
            problems.append(f"the last run finished {finished:%Y-%m-%d %H:%M} UTC: overdue")
        if last.status in ("killed", "failed"):
            problems.append(f"the last run was {last.status}")
    if running is not None:
        started = as_utc(running.started_at)
        if now - started > STUCK:
            problems.append(f"a run started {started:%Y-%m-%d %H:%M} UTC is still running")

    def run_json(r: Any) -> dict[str, Any] | None:
        if r is None:
            return None
        return {
            "id": r.id, "started_at": iso(r.started_at), "finished_at": iso(r.finished_at),
            "state": r.status, "checked": r.checked, "counts": dict(r.counts or {}),
        }  # fmt: skip

    return {
        "healthy": not problems,
        "problems": problems,
        "last_run": run_json(last),
        "running": run_json(running),
        "due_now": sched.due_now,
        "last_report": sched.last_report,
        "next_report": sched.next_report,
        "by_status": dict(by_status),
        "by_verdict": dict(by_verdict),
        "checked_at": iso(now),
    }
