"""Writing the report: when it is due, where it goes, who gets it by e-mail.

One writer for the daemon, cron (`run --once`) and `monitor report`; `monitor.report.build` builds
and renders it, this module decides files, periods and delivery.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from monitor.api.files import check_target, database_files, write_atomic
from monitor.config import Settings
from monitor.core.crontab import trigger as cron_trigger
from monitor.core.crontab import zone
from monitor.core.due import rule_of
from monitor.core.errors import UsageError
from monitor.report.formats import NAMES
from monitor.store import Store

log = logging.getLogger(__name__)
REPORT_JOB = "weekly-report"
FORMATS = NAMES  # the registry's names, in its order


def report_due(
    last: dt.datetime | None, now: dt.datetime, cron: str, tz: dt.tzinfo = dt.UTC
) -> bool:
    """Has the report's cron time (in zone `tz`) come since the last report? (Never run:
    the first time comes within a week.)"""
    trigger = cron_trigger(cron, tz)
    since = last or (now - dt.timedelta(days=7))
    fire = trigger.get_next_fire_time(None, since + dt.timedelta(seconds=1))
    return fire is not None and fire <= now


def report_stem(directory: Path, now: dt.datetime, formats: list[str]) -> Path:
    """DIR/report-YYYY-MM-DD, or, when a report of that day is already there (a second
    report the same day covers another period), report-YYYY-MM-DD-HHMM, then -2, -3...:
    a report never overwrites another's file."""
    candidates = [f"report-{now:%Y-%m-%d}", f"report-{now:%Y-%m-%d-%H%M}"]
    candidates += [f"report-{now:%Y-%m-%d-%H%M}-{k}" for k in range(2, 1000)]
    for name in candidates:
        if not any((directory / f"{name}.{fmt}").exists() for fmt in formats):
            return directory / name
    raise UsageError(f"{directory}: a thousand reports this minute; not writing another")


def write_report(
    store: Store,
    settings: Settings,
    now: dt.datetime,
    formats: list[str] | None = None,
    since: dt.datetime | None = None,
    mark: bool = True,
    directory: str | Path | None = None,
) -> Path:
    """The report since the previous one, as DIR/report-YYYY-MM-DD.{md,html,json,csv} (the
    formats of `[report] formats`, DIR `[report] dir` unless given); e-mailed when
    `[report.email]` is set up. Returns the first file written."""
    from monitor.report.build import build_report  # templates: on first report
    from monitor.report.email import send_email
    from monitor.report.formats import render

    since = since or store.jobs.last(REPORT_JOB)
    report = build_report(store, rule_of(settings.check), since, settings.report.max_items, now)
    written = []
    fmts = formats or settings.report.formats
    stem = report_stem(Path(directory or settings.report.dir), now, fmts)
    protected = database_files(store)
    for fmt in fmts:
        out = stem.with_name(f"{stem.name}.{fmt}")
        check_target(out, False, need_force=False, protected=protected)
        write_atomic(out, render(report, fmt))
        written.append(out)
    if settings.report.email.smtp_host and settings.report.email.to:
        send_email(report, settings.report.email)
        log.info("report mailed to %s", ", ".join(settings.report.email.to))
    if mark:
        store.jobs.done(REPORT_JOB, now)
    log.info("report written: %s", ", ".join(map(str, written)))
    return written[0]


def report_if_due(store: Store, settings: Settings, now: dt.datetime) -> Path | None:
    """Write the weekly report when its cron time has come since the last one (cron mode)."""
    sched = settings.schedule
    if report_due(store.jobs.last(REPORT_JOB), now, sched.report_cron, zone(sched.timezone)):
        return write_report(store, settings, now)
    return None


@dataclass
class ReportOutcome:
    """What `report` did: the text (when printed, not written), where it went, who got it."""

    text: str | None = None
    written: Path | None = None  # a file, or the directory of several
    mailed_to: list[str] = field(default_factory=list)


def report(
    store: Store,
    settings: Settings,
    fmt: str = "md",
    out: str | None = None,
    since: dt.datetime | None = None,
    email: bool = False,
    now: dt.datetime | None = None,
    force: bool = False,
) -> ReportOutcome:
    """`monitor report`: `fmt` one of FORMATS or "all". `out` a directory (ending in `/`, an
    existing one, or any with "all") gets report-DATE.EXT files, another path one file;
    without `out` the text is returned. Written, it counts as the previous report. `force`:
    an `out` that is a symbolic link is replaced (the link, never its target)."""
    from monitor.report.build import build_report
    from monitor.report.email import send_email
    from monitor.report.formats import render

    now = now or dt.datetime.now(dt.UTC)
    start = since or store.jobs.last(REPORT_JOB)
    formats = list(FORMATS) if fmt == "all" else [fmt]
    if out and (Path(out).is_dir() or out.endswith("/") or fmt == "all"):
        first = write_report(store, settings, now, formats, start, directory=out)
        return ReportOutcome(written=first.parent)
    r = build_report(store, rule_of(settings.check), start, settings.report.max_items, now)
    text = render(r, formats[0])
    outcome = ReportOutcome()
    if out:
        check_target(Path(out), force, need_force=False, protected=database_files(store))
        write_atomic(Path(out), text)
        store.jobs.done(REPORT_JOB, now)
        outcome.written = Path(out)
    else:
        outcome.text = text
    if email:
        send_email(r, settings.report.email)
        outcome.mailed_to = list(settings.report.email.to)
    return outcome
