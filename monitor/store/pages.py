"""Pages and their citations: what ingest stores, and what the rest reads back about them.

Citations of one page are written in bulk statements (one ORM object per citation was slow
and took much memory on a large page: docs/performance.md, "Figures behind the code"); a
re-ingest updates, never duplicates, because a citation's identity is its URL or title plus
its occurrence number (`citation_keys`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from monitor.core.results import Extraction, FoundCitation
from monitor.core.times import utcnow
from monitor.core.urls import host_of
from monitor.store.engine import Database, table, write_many
from monitor.store.models import ArchiveLink, Citation, Document, Url, VerifiedAccess


@dataclass
class IngestStats:
    citations: int = 0
    linked: int = 0
    unlinked: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    archive_links: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def citation_keys(citations: Sequence[FoundCitation]) -> list[str]:
    """Stable identities of a page's citations: URL (or title) plus its occurrence number.

    Re-ingesting a page must update, not duplicate, so identity cannot be the position
    (adding one entry at the top would renumber every other one).
    """
    seen: Counter[str] = Counter()
    keys = []
    for c in citations:
        if c.url:
            base = c.url
        elif c.title:
            base = "title:" + re.sub(r"\W+", " ", c.title.lower()).strip()
        else:
            base = f"position:{c.position}"
        seen[base] += 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys


def cited_titles(s: Session, urls: Sequence[str]) -> dict[str, list[str]]:
    """The distinct titles live citations give each of `urls` (what a check looks for)."""
    out: dict[str, list[str]] = defaultdict(list)
    for i in range(0, len(urls), 1000):
        q = (
            select(Url.url, Citation.title)
            .join(Citation, col(Citation.url_id) == Url.id)
            .where(col(Url.url).in_(list(urls[i : i + 1000])), col(Citation.removed_at).is_(None))
        )
        for url, value in s.exec(q):
            if value and value not in out[url]:
                out[url].append(value)
    return dict(out)


class Pages:
    """Pages, their citations and the URLs they cite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def ensure_urls(self, s: Session, urls: Iterable[str]) -> dict[str, int]:
        """The id of each of `urls`, each added first if it is new. Those already there are
        looked up before anything is written: a page ingested again each week cites mostly
        URLs already stored, and an insert that finds its row there costs what a new one
        does (measured: docs/performance.md)."""
        urls = sorted(set(urls))
        ids = self._url_ids(s, urls)
        new = [u for u in urls if u not in ids]
        if not new:
            return ids
        now = utcnow()
        conn, url_t = s.connection(), table(Url)
        for i in range(0, len(new), 1000):  # one added meanwhile by another ingest stays
            rows = [{"url": u, "host": host_of(u), "first_seen_at": now} for u in new[i : i + 1000]]
            write_many(conn, url_t, rows, unique=("url",))
        return ids | self._url_ids(s, new)

    @staticmethod
    def _url_ids(s: Session, urls: Sequence[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for i in range(0, len(urls), 1000):
            chunk = urls[i : i + 1000]
            for uid, u in s.exec(select(col(Url.id), Url.url).where(col(Url.url).in_(chunk))):
                if uid is not None:  # always: the id is the primary key
                    ids[u] = uid
        return ids

    def sync_document(
        self,
        source: str,
        kind: str,
        extraction: Extraction,
        content_hash: str,
    ) -> IngestStats:
        """Store a page's citations: add new ones, update changed ones, mark vanished ones."""
        stats = IngestStats(skipped=Counter(extraction.skipped))
        now = utcnow()
        cits = extraction.citations
        with self.db.session() as s, s.begin():
            # the page's row is made by an INSERT that leaves one already there, before
            # anything is read: it takes the write lock first, so two first ingests of one
            # page at once wait for each other instead of both inserting it (a UNIQUE error)
            first = {"source": source, "kind": kind, "format": extraction.format,
                     "first_ingested_at": now, "last_ingested_at": now}  # fmt: skip
            write_many(s.connection(), table(Document), [first], unique=("source",))
            doc = s.exec(select(Document).where(Document.source == source)).one()
            doc.format = extraction.format
            doc.title = extraction.title
            doc.content_hash = content_hash
            doc.last_ingested_at = now
            s.flush()
            url_ids = self.ensure_urls(s, [c.url for c in cits if c.url])
            self._sync_citations(s, doc.id, cits, url_ids, now, stats)  # type: ignore[arg-type]
        return stats

    def _sync_citations(
        self,
        s: Session,
        doc_id: int,
        cits: Sequence[FoundCitation],
        url_ids: dict[str, int],
        now: dt.datetime,
        stats: IngestStats,
    ) -> None:
        """Citations of one page in bulk statements (one ORM object per citation was slow
        and took much memory on a large page: docs/performance.md, "Figures behind the
        code")."""
        t = table(Citation)
        fields = ["url_id", "position", "title", "publisher", "note", "excerpt", "raw_url",
                  "source_line", "stamps", "stamped_on", "alternates"]  # fmt: skip
        conn = s.connection()
        existing = {
            row.key: row
            for row in conn.execute(
                select(t.c.id, t.c.key, t.c.removed_at, *[t.c[f] for f in fields]).where(
                    t.c.document_id == doc_id
                )
            )
        }
        keys = citation_keys(cits)
        width = len(fields)  # the stored rows end with `fields`, compared as one tuple
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        unchanged: list[int] = []
        links: list[dict[str, Any]] = []
        update = (
            t.update()
            .where(t.c.id == bindparam("_id"))
            .values(
                {
                    **{f: bindparam(f"v_{f}") for f in fields},
                    "last_seen_at": now,
                    "removed_at": None,
                }
            )
        )

        def flush(at_least: int) -> None:
            """Rows are written a thousand at a time as they are made: a page of 100,000
            citations never holds 100,000 row dicts at once."""
            if len(new) >= at_least:  # each column's own conversion, no dict per row
                write_many(conn, t, new)
                stats.added += len(new)
                new.clear()
            if len(changed) >= at_least:
                conn.execute(update, changed)
                stats.updated += len(changed)
                changed.clear()

        for key, c in zip(keys, cits, strict=True):
            values = {
                "url_id": url_ids.get(c.url) if c.url else None,
                "position": c.position,
                "title": c.title,
                "publisher": c.publisher,
                "note": c.note,
                "excerpt": c.excerpt,
                "raw_url": c.raw_url,
                "source_line": c.source_line,
                "stamps": [st.as_dict() for st in c.stamps],
                "stamped_on": max((st.date for st in c.stamps if st.date), default=None),
                "alternates": c.alternates or None,
            }
            row = existing.get(key)
            if row is None:
                new.append({"document_id": doc_id, "key": key, "first_seen_at": now,
                            "last_seen_at": now, **values})  # fmt: skip
            elif row.removed_at is not None or row[-width:] != tuple(values[f] for f in fields):
                changed.append({"_id": row.id, **{f"v_{k}": v for k, v in values.items()}})
            else:
                unchanged.append(row.id)
            stats.citations += 1
            stats.linked += c.url is not None
            stats.unlinked += c.url is None
            if c.url is not None:
                links.extend(
                    {"url_id": url_ids[c.url], "archive_url": a.archive_url,
                     "captured_at": a.captured_at, "source": "page", "first_seen_at": now}
                    for a in c.archive_links
                )  # fmt: skip
            flush(1000)
        flush(1)
        stats.unchanged = len(unchanged)
        for i in range(0, len(unchanged), 1000):
            conn.execute(
                t.update().where(t.c.id.in_(unchanged[i : i + 1000])).values(last_seen_at=now)
            )
        seen = set(keys)
        gone = [r.id for k, r in existing.items() if k not in seen and r.removed_at is None]
        for i in range(0, len(gone), 1000):
            conn.execute(t.update().where(t.c.id.in_(gone[i : i + 1000])).values(removed_at=now))
        stats.removed = len(gone)
        stmt = self.db.insert(table(ArchiveLink)).on_conflict_do_nothing(
            index_elements=["url_id", "archive_url"]
        )
        for link in links:  # few; one by one so the count of new ones is exact
            stats.archive_links += conn.execute(stmt, link).rowcount or 0

    def documents(self) -> list[Document]:
        with self.db.session() as s:
            return list(s.exec(select(Document).order_by(col(Document.id))))

    def move_document(self, old: str, new: str) -> None:
        """The page once ingested as `old` is now at `new` (its history goes with it)."""
        with self.db.session() as s, s.begin():
            doc = s.exec(select(Document).where(Document.source == old)).first()
            if doc is not None:
                doc.source = new

    def cited_urls(self, document_id: int) -> set[str]:
        """The URLs a page cites now (its live citations)."""
        with self.db.session() as s:
            q = (
                select(Url.url)
                .join(Citation, col(Citation.url_id) == Url.id)
                .where(Citation.document_id == document_id, col(Citation.removed_at).is_(None))
            )
            return set(s.exec(q))

    def document_by_source(self, source: str) -> Document | None:
        with self.db.session() as s:
            return s.exec(select(Document).where(Document.source == source)).first()

    def citation_rows(
        self, document_id: int | None = None, include_removed: bool = False
    ) -> list[tuple[Citation, Url | None, Document]]:
        q = (
            select(Citation, Url, Document)
            .join(Document, col(Document.id) == Citation.document_id)
            .outerjoin(Url, col(Url.id) == Citation.url_id)
        )
        if document_id is not None:
            q = q.where(Citation.document_id == document_id)
        if not include_removed:
            q = q.where(col(Citation.removed_at).is_(None))
        with self.db.session() as s:
            return list(s.exec(q.order_by(col(Citation.document_id), col(Citation.position))))

    def iter_citation_rows(self) -> Iterator[tuple[Citation, Url | None, Document]]:
        """Live citations by page (document id, position), fetched in chunks of 1,000."""
        q = (
            select(Citation, Url, Document)
            .join(Document, col(Document.id) == Citation.document_id)
            .outerjoin(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None))
            .order_by(col(Citation.document_id), col(Citation.position), col(Citation.id))
            .execution_options(yield_per=1000)
        )
        with self.db.session() as s:
            yield from s.exec(q)

    def url(self, url: str) -> Url | None:
        with self.db.session() as s:
            return s.exec(select(Url).where(Url.url == url)).first()

    def verified_days(self, citation_ids: list[int]) -> dict[int, set[dt.date]]:
        """citation id -> every date our checks verified it: how `patch` knows the stamps
        it wrote from the page's own (a stamp of one of these dates is the monitor's)."""
        out: dict[int, set[dt.date]] = {}
        with self.db.session() as s:
            for chunk in (citation_ids[i : i + 500] for i in range(0, len(citation_ids), 500)):
                q = select(VerifiedAccess.citation_id, VerifiedAccess.accessed_on).where(
                    col(VerifiedAccess.citation_id).in_(chunk)
                )
                for cid, day in s.exec(q):
                    out.setdefault(cid, set()).add(day)
        return out

    def verified_dates(self) -> dict[int, dt.date]:
        """citation id -> newest date our checks verified it."""
        with self.db.session() as s:
            q = select(VerifiedAccess.citation_id, func.max(VerifiedAccess.accessed_on)).group_by(
                col(VerifiedAccess.citation_id)
            )
            return {cid: day for cid, day in s.exec(q)}
