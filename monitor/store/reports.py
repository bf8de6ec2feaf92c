"""What reports and `status` read: aggregates, capped sections, the weekly trend.

Everything here is an aggregate query or a capped, index-ordered section, so a million
citations cost one indexed scan, not a million objects.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from monitor.models import (
    ArchiveLink,
    Citation,
    Document,
    Run,
    Url,
    UrlCheck,
    VerifiedAccess,
)
from monitor.store.engine import Database, table


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
                func.count(),
            )
            .outerjoin(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None))
            .group_by(
                col(Citation.document_id),
                col(Url.last_verdict),
                col(Url.status),
                col(Citation.url_id).is_(None),
            )
        )
        verdicts: dict[int, Counter[str]] = defaultdict(Counter)
        statuses: dict[int, Counter[str]] = defaultdict(Counter)
        unlinked: Counter[int] = Counter()
        with self.db.session() as s:
            docs = list(s.exec(select(Document).order_by(col(Document.id))))
            for doc_id, verdict, status, no_url, n in s.execute(q):
                if no_url:
                    unlinked[doc_id] += n
                else:
                    verdicts[doc_id][verdict or "unchecked"] += n
                    statuses[doc_id][status or "unchecked"] += n
        return [(d, verdicts[d.id], statuses[d.id], unlinked[d.id]) for d in docs]  # type: ignore[index]

    def section(
        self, where: Any, limit: int, total: int | None = None
    ) -> tuple[int, list[tuple[Citation, Url, Document]]]:
        """Citations whose URL matches `where`: how many (unless the caller knows), and the
        first `limit` of them."""
        base = (
            select(Citation, Url, Document)
            .join(Url, col(Url.id) == Citation.url_id)
            .join(Document, col(Document.id) == Citation.document_id)
            .where(col(Citation.removed_at).is_(None), where)
        )
        counted = (
            select(func.count())
            .select_from(Citation)
            .join(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None), where)
        )
        with self.db.session() as s:
            if total is None:
                total = s.exec(counted).one()
            # newest change first: walks the (status, status_since) index, stops at `limit`
            order = (col(Url.status_since).desc(), col(Url.id), col(Citation.id))
            rows = list(s.exec(base.order_by(*order).limit(limit)))
        return total, rows

    def refreshable(self, limit: int) -> tuple[int, list[tuple[Citation, Url, Document, dt.date]]]:
        """Citations whose newest verified access is newer than their newest stamp: how many,
        and the first `limit` of them (two columns kept by ingest and by each check batch)."""
        where = (
            col(Citation.removed_at).is_(None),
            col(Citation.verified_on).is_not(None),
            or_(
                col(Citation.stamped_on).is_(None),
                col(Citation.stamped_on) < col(Citation.verified_on),
            ),
        )
        with self.db.session() as s:
            total = s.exec(select(func.count()).select_from(Citation).where(*where)).one()
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

    def weekly_counts(
        self, now: dt.datetime, weeks: int = 26
    ) -> list[tuple[dt.date, dict[str, int]]]:
        """Checks per week (Monday) by the status they left the URL in, for the trend chart;
        buckets are computed in SQL over the checked_at index."""
        today = now.astimezone(dt.UTC).date()
        monday = today - dt.timedelta(days=today.weekday())
        starts = [monday - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
        edges = [dt.datetime.combine(d, dt.time.min, tzinfo=dt.UTC) for d in starts]
        bucket = case(
            *[(col(UrlCheck.checked_at) >= e, i) for i, e in reversed(list(enumerate(edges)))],
            else_=-1,
        )
        q = (
            select(bucket, UrlCheck.status, func.count())
            .where(col(UrlCheck.checked_at) >= edges[0])
            .group_by(bucket, col(UrlCheck.status))
        )
        out: dict[int, dict[str, int]] = defaultdict(dict)
        with self.db.session() as s:
            for i, status, n in s.execute(q):
                if i >= 0:
                    out[i][status or "unverified"] = n
        if not out:
            return []
        first = min(out)
        return [(starts[i], out.get(i, {})) for i in range(first, len(starts))]

    def table_counts(self) -> dict[str, int]:
        with self.db.session() as s:
            return {
                table(m).name: s.exec(select(func.count()).select_from(m)).one()
                for m in (Document, Citation, Url, UrlCheck, VerifiedAccess, ArchiveLink, Run)
            }
