"""When a periodic job (the weekly report, the prune) last ran, for cron-style runs."""

from __future__ import annotations

import datetime as dt

from monitor.store.engine import Database
from monitor.store.models import JobState


class Jobs:
    """Last run times of periodic jobs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def last(self, name: str) -> dt.datetime | None:
        with self.db.session() as s:
            row = s.get(JobState, name)
            return row.last_at if row else None

    def done(self, name: str, when: dt.datetime) -> None:
        with self.db.session() as s, s.begin():
            row = s.get(JobState, name)
            if row is None:
                s.add(JobState(name=name, last_at=when))
            else:
                row.last_at = when
