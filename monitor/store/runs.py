"""Runs: one row per checking run (embedded, cron or dispatched), so reports can say what
a run found and a killed run is visible as such."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func
from sqlmodel import col, select

from monitor.core.times import utcnow
from monitor.store.engine import Database
from monitor.store.models import Run, UrlCheck


class Runs:
    """Starting, finishing and finding runs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def start_run(self, status: str = "running") -> int:
        with self.db.session() as s, s.begin():
            run = Run(status=status)
            s.add(run)
            s.flush()
            assert run.id is not None
            return run.id

    def finish_run(self, run_id: int, counts: Counter[str], status: str = "done") -> None:
        with self.db.session() as s, s.begin():
            run = s.get(Run, run_id)
            if run is None:
                return
            run.finished_at = utcnow()
            run.status = status
            run.checked = sum(counts.values())
            run.counts = dict(counts)

    def open_runs(self, status: str) -> list[int]:
        with self.db.session() as s:
            return list(s.exec(select(Run.id).where(Run.status == status)))  # type: ignore[arg-type]

    def close_run_from_checks(self, run_id: int, status: str = "done") -> Counter[str]:
        """Finish a run whose checks were written by other processes: count them."""
        with self.db.session() as s:
            rows = s.exec(
                select(UrlCheck.verdict, func.count())
                .where(UrlCheck.run_id == run_id)
                .group_by(UrlCheck.verdict)
            )
            counts: Counter[str] = Counter({v: n for v, n in rows})
        self.finish_run(run_id, counts, status)
        return counts

    def close_stale_runs(self) -> int:
        """Runs left 'running' by a killed process (call with the instance lock held)."""
        with self.db.session() as s, s.begin():
            stale = list(s.exec(select(Run).where(Run.status == "running")))
            for run in stale:
                run.status = "killed"
                # what it did before it died counts: its stored checks, until the last one
                checked, last = s.exec(
                    select(func.count(col(UrlCheck.id)), func.max(UrlCheck.checked_at)).where(
                        UrlCheck.run_id == run.id
                    )
                ).one()
                run.checked = int(checked or 0)
                run.finished_at = last or run.started_at
        return len(stale)

    def running(self) -> Run | None:
        """The run in progress, if any (or one a killed process left `running`)."""
        with self.db.session() as s:
            return s.exec(
                select(Run).where(Run.status == "running").order_by(col(Run.id).desc())
            ).first()

    def last_run(self) -> Run | None:
        with self.db.session() as s:
            return s.exec(
                select(Run).where(col(Run.finished_at).is_not(None)).order_by(col(Run.id).desc())
            ).first()

    def outages(self, since: dt.datetime, limit: int = 20) -> list[Run]:
        """Runs since `since` that found the monitor's own network down, newest first."""
        with self.db.session() as s:
            return list(
                s.exec(
                    select(Run)
                    .where(Run.status == "outage", col(Run.started_at) >= since)
                    .order_by(col(Run.id).desc())
                    .limit(limit)
                )
            )
