"""Decisions a maintainer makes once: ignore a URL or a pattern, accept a snapshot or a new
address, override a verdict. Stored with who, when and why; undone, never deleted."""

from __future__ import annotations

import datetime as dt
from fnmatch import fnmatchcase

from sqlalchemy import update
from sqlmodel import col, select

from monitor.core.times import utcnow
from monitor.core.urls import UrlFilter
from monitor.store.engine import Database, table
from monitor.store.models import Decision, Url


def matches(pattern: str, url: str) -> bool:
    """A URL pattern as a maintainer writes it: the URL itself, or a glob (`*.example.org/*`,
    `http*://example.org/old/*`); the scheme may be left out."""
    if pattern == url:
        return True
    bare = url.split("://", 1)[-1]
    return fnmatchcase(url, pattern) or fnmatchcase(bare, pattern.split("://", 1)[-1])


class Decisions:
    """The maintainer's decisions, and what they mean for the URLs."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # `[[ignore]]` entries of the configuration: (pattern, reason), applied with the
        # stored ignores wherever those are
        self.config_ignores: tuple[tuple[str, str | None], ...] = ()
        # `check.include`/`exclude` of the configuration: what they leave out is ignored
        self.config_filter = UrlFilter()

    def ignore_patterns(self, now: dt.datetime | None = None) -> list[str]:
        """Every pattern in force: stored ignores and the configuration's."""
        stored = [d.pattern for d in self.active(now) if d.kind == "ignore" and d.pattern]
        return stored + [p for p, _ in self.config_ignores]

    def add(self, **fields: object) -> Decision:
        with self.db.session() as s, s.begin():
            d = Decision(**fields)  # type: ignore[arg-type]
            s.add(d)
            s.flush()
            s.expunge(d)
        if d.kind == "ignore":
            self.apply_ignores()
        return d

    def active(self, now: dt.datetime | None = None) -> list[Decision]:
        """Decisions in force: not undone, not past their `until` day."""
        today = (now or utcnow()).date()
        with self.db.session() as s:
            rows = list(s.exec(select(Decision).where(col(Decision.undone_at).is_(None))))
        return [d for d in rows if d.until is None or d.until >= today]

    def all(self) -> list[Decision]:
        with self.db.session() as s:
            return list(s.exec(select(Decision).order_by(col(Decision.id))))

    def undo(self, decision_id: int) -> Decision | None:
        with self.db.session() as s, s.begin():
            d = s.get(Decision, decision_id)
            if d is None or d.undone_at is not None:
                return d
            d.undone_at = utcnow()
            s.flush()
            s.expunge(d)
        if d.kind == "ignore":
            self.apply_ignores()
        return d

    def matching(self, pattern: str) -> int:
        """How many cited URLs `pattern` itself matches (not the other ignores')."""
        url_t = table(Url)
        with self.db.session() as s:
            urls = s.connection().execute(select(url_t.c.url)).scalars()
            return sum(1 for u in urls if matches(pattern, u))

    def apply_ignores(self) -> int:
        """Mark every URL an active ignore (or a config `[[ignore]]` pattern, or what the
        config's `check.include`/`exclude` leave out) matches, and unmark the rest; ignored
        URLs are never due. Returns how many are ignored."""
        patterns, left_out = self.ignore_patterns(), self.config_filter.left_out
        url_t = table(Url)
        with self.db.session() as s, s.begin():
            conn = s.connection()
            if not patterns and not self.config_filter:  # one statement, not a scan
                conn.execute(update(url_t).where(url_t.c.ignored.is_(True)).values(ignored=False))
                return 0
            rows = conn.execute(select(url_t.c.id, url_t.c.url, url_t.c.ignored)).all()
            on = [i for i, u, _ in rows if any(matches(p, u) for p in patterns) or left_out(u)]
            on_set = set(on)
            off = [i for i, _, was in rows if was and i not in on_set]
            for ids, value in ((on, True), (off, False)):
                for k in range(0, len(ids), 1000):
                    conn.execute(
                        update(url_t).where(url_t.c.id.in_(ids[k : k + 1000])).values(ignored=value)
                    )
        return len(on)
