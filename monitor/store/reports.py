"""What reports and `status` read: aggregates, capped sections, the weekly trend.

Everything here is an aggregate query or a capped, index-ordered section, so a million
citations cost one indexed scan, not a million objects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from sqlalchemy import and_, case, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from monitor.core.access import ACCESS_VERDICTS
from monitor.core.results import SectionFilter
from monitor.core.times import as_utc
from monitor.store.engine import Database, table
from monitor.store.models import (
    ArchiveLink,
    Citation,
    Document,
    Run,
    Url,
    UrlCheck,
    VerifiedAccess,
)


class Reports:
    """Counts and sections for the report and `monitor status`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def citation_counts(self) -> list[tuple[Document, Counter[str], Counter[str], int]]:
        """Per page: citations by last verdict, by status, and unlinked ones; one GROUP BY,
        so a million citations cost one indexed scan, not a million objects."""
        q = (
            sa_select(
                col(Citation.document_id),
                col(Url.last_verdict),
                col(Url.status),
                col(Citation.url_id).is_(None),
                col(Url.ignored),
                func.count(),
            )
            .outerjoin(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None))
            .group_by(
                col(Citation.document_id),
                col(Url.last_verdict),
                col(Url.status),
                col(Citation.url_id).is_(None),
                col(Url.ignored),
            )
        )
        verdicts: dict[int, Counter[str]] = defaultdict(Counter)
        statuses: dict[int, Counter[str]] = defaultdict(Counter)
        unlinked: Counter[int] = Counter()
        with self.db.session() as s:
            docs = list(s.exec(select(Document).order_by(col(Document.id))))
            for doc_id, verdict, status, no_url, ignored, n in s.execute(q):
                if no_url:
                    unlinked[doc_id] += n
                elif ignored:  # the maintainer's choice, not a state of the link
                    verdicts[doc_id]["ignored"] += n
                    statuses[doc_id]["ignored"] += n
                else:
                    verdicts[doc_id][verdict or "unchecked"] += n
                    statuses[doc_id][status or "unchecked"] += n
        return [(d, verdicts[d.id], statuses[d.id], unlinked[d.id]) for d in docs]  # type: ignore[index]

    def section(
        self, wanted: SectionFilter, limit: int, total: int | None = None
    ) -> tuple[int, list[tuple[Citation, Url, Document]]]:
        """Citations a report section lists (`wanted`): how many (unless the caller knows),
        and the first `limit` of them."""
        conditions = []
        if wanted.statuses:
            conditions.append(col(Url.status).in_(wanted.statuses))
        if wanted.verdicts:
            conditions.append(col(Url.last_verdict).in_(wanted.verdicts))
        if wanted.changed_since is not None:
            conditions.append(col(Url.status_since) > wanted.changed_since)
        if wanted.passage_gone:
            conditions.append(col(Citation.passage_gone_since).is_not(None))
        where = and_(true(), *conditions)
        base = (
            select(Citation, Url, Document)
            .join(Url, col(Url.id) == Citation.url_id)
            .join(Document, col(Document.id) == Citation.document_id)
            .where(col(Citation.removed_at).is_(None), col(Url.ignored).is_(False), where)
        )
        counted = (
            select(func.count())
            .select_from(Citation)
            .join(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None), col(Url.ignored).is_(False), where)
        )
        with self.db.session() as s:
            if total is None:
                total = s.exec(counted).one()
            # newest change first: walks the (status, status_since) index, stops at `limit`
            order = (col(Url.status_since).desc(), col(Url.id), col(Citation.id))
            rows = list(s.exec(base.order_by(*order).limit(limit)))
        return total, rows

    def refreshable(self, limit: int) -> tuple[int, list[tuple[Citation, Url, Document, dt.date]]]:
        """Citations whose stamp may be refreshed (`access.stamp_due`, said here in SQL over
        two columns kept by ingest and by each check batch): how many, and the first
        `limit` of them."""
        where = (
            col(Citation.removed_at).is_(None),
            col(Url.last_verdict).in_([v.value for v in ACCESS_VERDICTS]),
            col(Citation.verified_on).is_not(None),
            or_(
                col(Citation.stamped_on).is_(None),
                col(Citation.stamped_on) < col(Citation.verified_on),
            ),
        )
        with self.db.session() as s:
            total = s.exec(
                select(func.count())
                .select_from(Citation)
                .join(Url, col(Url.id) == Citation.url_id)
                .where(*where)
            ).one()
            rows = list(
                s.exec(
                    select(Citation, Url, Document)
                    .join(Url, col(Url.id) == Citation.url_id)
                    .join(Document, col(Document.id) == Citation.document_id)
                    .where(*where)
                    .order_by(col(Citation.document_id), col(Citation.position))
                    .limit(limit)
                )
            )
        return total, [(c, u, d, c.verified_on) for c, u, d in rows]  # type: ignore[misc]

    def recent_checks(
        self, url_ids: set[int], per_url: int = 12
    ) -> dict[int, list[tuple[dt.datetime, str, str | None]]]:
        """The last `per_url` checks (time, verdict, status) of each URL, oldest first, for the
        report's history strips: one windowed query per thousand URLs."""
        out: dict[int, list[tuple[dt.datetime, str, str | None]]] = defaultdict(list)
        ids = sorted(url_ids)
        with self.db.session() as s:
            for k in range(0, len(ids), 1000):
                ranked = (
                    sa_select(
                        col(UrlCheck.url_id).label("url_id"),
                        col(UrlCheck.checked_at).label("at"),
                        col(UrlCheck.verdict).label("verdict"),
                        col(UrlCheck.status).label("status"),
                        func.row_number()
                        .over(
                            partition_by=col(UrlCheck.url_id),
                            order_by=(col(UrlCheck.checked_at).desc(), col(UrlCheck.id).desc()),
                        )
                        .label("rn"),
                    )
                    .where(col(UrlCheck.url_id).in_(ids[k : k + 1000]))
                    .subquery()
                )
                q = (
                    sa_select(ranked.c.url_id, ranked.c.at, ranked.c.verdict, ranked.c.status)
                    .where(ranked.c.rn <= per_url)
                    .order_by(ranked.c.url_id, ranked.c.at)
                )
                for url_id, at, verdict, status in s.execute(q):
                    # SQLite hands back naive UTC from a subquery
                    out[url_id].append((as_utc(at), verdict, status))
        return out

    def weekly_counts(
        self, now: dt.datetime, weeks: int = 26
    ) -> list[tuple[dt.date, dict[str, int]]]:
        """Links per week (Monday) by the status they stood in at the end of that week: the
        page's health, not how often it was checked (15 links checked 3 times are 15).

        SQL keeps each link's last check per week and, of those, only the changes (LAG), so
        what reaches Python is a handful of transition counts per week, however many links
        and checks. A link is counted from its first check in the chart's window; links not
        checked in the window at all stand in their current status throughout; ignored
        links are left out."""
        today = now.astimezone(dt.UTC).date()
        monday = today - dt.timedelta(days=today.weekday())
        starts = [monday - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
        edges = [dt.datetime.combine(d, dt.time.min, tzinfo=dt.UTC) for d in starts]
        checked_at = col(UrlCheck.checked_at)
        bucket = case(
            *[(checked_at >= e, i) for i, e in reversed(list(enumerate(edges)))], else_=-1
        )
        ignored = sa_select(col(Url.id)).where(col(Url.ignored).is_(True))
        per_week = (
            sa_select(
                col(UrlCheck.url_id).label("url_id"),
                bucket.label("b"),
                func.coalesce(col(UrlCheck.status), "unverified").label("st"),
                func.row_number()
                .over(
                    partition_by=(col(UrlCheck.url_id), bucket),
                    order_by=(checked_at.desc(), col(UrlCheck.id).desc()),
                )
                .label("rn"),
            )
            .where(checked_at >= edges[0], col(UrlCheck.url_id).not_in(ignored))
            .subquery()
        )
        last = (
            sa_select(
                per_week.c.b,
                per_week.c.st,
                func.lag(per_week.c.st)
                .over(partition_by=per_week.c.url_id, order_by=per_week.c.b)
                .label("prev"),
            )
            .where(per_week.c.rn == 1)
            .subquery()
        )
        q = (
            sa_select(last.c.b, last.c.prev, last.c.st, func.count())
            .where(or_(last.c.prev.is_(None), last.c.prev != last.c.st))
            .group_by(last.c.b, last.c.prev, last.c.st)
        )
        steady = (
            sa_select(col(Url.status), func.count())
            .where(
                col(Url.ignored).is_(False),
                col(Url.last_checked_at).is_not(None),
                col(Url.last_checked_at) < edges[0],
            )
            .group_by(col(Url.status))
        )
        changes: dict[int, list[tuple[str | None, str, int]]] = defaultdict(list)
        with self.db.session() as s:
            for b, prev, st, n in s.execute(q):
                changes[b].append((prev, st, n))
            base = Counter({st: n for st, n in s.execute(steady)})
        if not changes:
            return [(starts[-1], dict(base))] if base else []
        first = 0 if base else min(changes)
        out = []
        counts = Counter(base)
        for i in range(len(starts)):
            for prev, st, n in changes.get(i, ()):
                if prev is not None:
                    counts[prev] -= n
                counts[st] += n
            if i >= first:
                out.append((starts[i], {k: v for k, v in counts.items() if v > 0}))
        return out

    def unchanged_since(self, since: dt.datetime) -> int:
        """Checks since `since` answered 304 (not modified since the last good one)."""
        with self.db.session() as s:
            return s.exec(
                select(func.count())
                .select_from(UrlCheck)
                .where(col(UrlCheck.checked_at) >= since, col(UrlCheck.http_status) == 304)
            ).one()

    def table_counts(self) -> dict[str, int]:
        with self.db.session() as s:
            return {
                table(m).name: s.exec(select(func.count()).select_from(m)).one()
                for m in (Document, Citation, Url, UrlCheck, VerifiedAccess, ArchiveLink, Run)
            }
