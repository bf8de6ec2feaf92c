"""The database: opening it (SQLite by default, any SQLAlchemy URL), migrating it, and
every read and write the rest of the program needs.

Writes happen in short transactions of one ingest or one batch of check results, so a
crash or Ctrl-C leaves either all of a batch or none of it. SQLite runs in WAL mode with a
busy timeout, so `monitor status` can read while `monitor run` writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, bindparam, case, create_engine, event, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, col, select

from monitor import extract as ex
from monitor.archive import anchor_date
from monitor.check import CheckResult, Context
from monitor.config import ScheduleSettings

if TYPE_CHECKING:
    from monitor.archive import Fallback
    from monitor.save import SaveResult

from monitor.due import Confirmation, Status, UrlState, next_state
from monitor.models import (
    ArchiveLink,
    ArchiveLookup,
    Citation,
    Document,
    JobState,
    Run,
    SaveRequest,
    Url,
    UrlCheck,
    VerifiedAccess,
    utcnow,
)
from monitor.urls import host_of
from monitor.verdict import GOOD, Verdict

MIGRATIONS = Path(__file__).parent / "migrations"
STATE_KEYS = ("consecutive_failures", "first_failure_at", "last_good_at", "next_due_at", "status")


class StoreError(Exception):
    """The database cannot be opened or used; the message is for the user."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_store(url: str, migrate: bool = True) -> Store:
    """Open (creating if needed) the database at SQLAlchemy `url` and bring it up to date."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            parent = Path(db).expanduser().resolve().parent
            try:
                parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create directory {parent} for the database: {exc}"
                ) from None
        kwargs["connect_args"] = {"timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot use database {_redact(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine)
    if migrate:
        store.migrate()
    return store


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


def citation_keys(citations: Sequence[ex.Citation]) -> list[str]:
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


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise StoreError(
                f"cannot open database {_redact(str(self.engine.url))}: {reason}"
            ) from None

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # ------------------------------------------------------------ ingest

    def ensure_urls(self, s: Session, urls: Iterable[str]) -> dict[str, int]:
        urls = sorted(set(urls))
        if not urls:
            return {}
        now = utcnow()
        rows = [{"url": u, "host": host_of(u), "first_seen_at": now} for u in urls]
        for i in range(0, len(rows), 1000):
            stmt = self._insert(Url.__table__).on_conflict_do_nothing(index_elements=["url"])
            s.execute(stmt, rows[i : i + 1000])
        ids: dict[str, int] = {}
        for i in range(0, len(urls), 1000):
            chunk = urls[i : i + 1000]
            for uid, u in s.exec(select(Url.id, Url.url).where(col(Url.url).in_(chunk))):
                ids[u] = uid  # type: ignore[assignment]
        return ids

    def sync_document(
        self,
        source: str,
        kind: str,
        extraction: ex.Extraction,
        content_hash: str,
    ) -> IngestStats:
        """Store a page's citations: add new ones, update changed ones, mark vanished ones."""
        stats = IngestStats(skipped=Counter(extraction.skipped))
        now = utcnow()
        cits = extraction.citations
        with self.session() as s, s.begin():
            doc = s.exec(select(Document).where(Document.source == source)).first()
            if doc is None:
                doc = Document(source=source, kind=kind, format=extraction.format)
                s.add(doc)
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
        cits: Sequence[ex.Citation],
        url_ids: dict[str, int],
        now: dt.datetime,
        stats: IngestStats,
    ) -> None:
        """Citations of one page in bulk statements (a 100,000-link page took 49 s and
        400 MB as one ORM object per citation)."""
        t = Citation.__table__  # type: ignore[attr-defined]
        fields = ["url_id", "position", "title", "publisher", "note", "excerpt", "raw_url",
                  "stamps", "stamped_on"]  # fmt: skip
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
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        unchanged: list[int] = []
        links: list[dict[str, Any]] = []
        for key, c in zip(keys, cits, strict=True):
            values = {
                "url_id": url_ids.get(c.url) if c.url else None,
                "position": c.position,
                "title": c.title,
                "publisher": c.publisher,
                "note": c.note,
                "excerpt": c.excerpt,
                "raw_url": c.raw_url,
                "stamps": [st.as_dict() for st in c.stamps],
                "stamped_on": max((st.date for st in c.stamps if st.date), default=None),
            }
            row = existing.get(key)
            if row is None:
                new.append({"document_id": doc_id, "key": key, "first_seen_at": now,
                            "last_seen_at": now, **values})  # fmt: skip
            elif row.removed_at is not None or any(getattr(row, k) != v for k, v in values.items()):
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
        stats.added, stats.updated, stats.unchanged = len(new), len(changed), len(unchanged)
        for i in range(0, len(new), 1000):
            conn.execute(t.insert(), new[i : i + 1000])
        if changed:
            conn.execute(
                t.update()
                .where(t.c.id == bindparam("_id"))
                .values(
                    {
                        **{f: bindparam(f"v_{f}") for f in fields},
                        "last_seen_at": now,
                        "removed_at": None,
                    }
                ),
                changed,
            )
        for i in range(0, len(unchanged), 1000):
            conn.execute(
                t.update().where(t.c.id.in_(unchanged[i : i + 1000])).values(last_seen_at=now)
            )
        seen = set(keys)
        gone = [r.id for k, r in existing.items() if k not in seen and r.removed_at is None]
        for i in range(0, len(gone), 1000):
            conn.execute(t.update().where(t.c.id.in_(gone[i : i + 1000])).values(removed_at=now))
        stats.removed = len(gone)
        stmt = self._insert(ArchiveLink.__table__).on_conflict_do_nothing(
            index_elements=["url_id", "archive_url"]
        )
        for link in links:  # few; one by one so the count of new ones is exact
            stats.archive_links += conn.execute(stmt, link).rowcount or 0

    # ------------------------------------------------------------ checking

    def due_urls(self, now: dt.datetime, everything: bool = False) -> list[str]:
        """URLs cited by at least one live citation whose next check is due."""
        q = self._due_filter(select(Url.url), None if everything else now)
        with self.session() as s:
            return list(s.exec(q.order_by(Url.host, Url.id)))

    def _due_filter(self, q: Any, now: dt.datetime | None) -> Any:
        """Cited by at least one live citation and, unless `now` is None, due by `now`."""
        cited = (
            select(Citation.url_id)
            .where(col(Citation.removed_at).is_(None), col(Citation.url_id).is_not(None))
            .distinct()
        )
        q = q.where(col(Url.id).in_(cited))
        if now is None:
            return q
        return q.where(or_(col(Url.next_due_at).is_(None), col(Url.next_due_at) <= now))

    def due_batches(
        self,
        now: dt.datetime,
        per_host: int,
        busy: Iterable[int] = (),
        skip_hosts: Iterable[str] = (),
    ) -> dict[str, list[int]]:
        """For each host with due URLs, the ids of its first `per_host` due URLs, leaving out
        URL ids already in a job (`busy`) and hosts that already have one waiting.

        A window function caps each host in SQL, so a host with a million due URLs costs a
        batch, not a million rows in memory.
        """
        busy_ids, skip = set(busy), set(skip_hosts)
        rank = func.row_number().over(partition_by=Url.host, order_by=Url.id).label("rank")
        inner = self._due_filter(select(Url.id, Url.host, rank), now).subquery()
        # busy URLs are at most one running batch per host: fetch enough to skip past them
        q = select(inner.c.id, inner.c.host).where(inner.c.rank <= 2 * per_host)
        out: dict[str, list[int]] = defaultdict(list)
        with self.session() as s:
            for uid, host in s.execute(q.order_by(inner.c.host, inner.c.id)):
                if host in skip or uid in busy_ids or len(out[host]) >= per_host:
                    continue
                out[host].append(uid)
        return {h: ids for h, ids in out.items() if ids}

    def still_due(self, ids: Sequence[int], now: dt.datetime) -> list[str]:
        """Which of these URL ids are still due and cited, as URLs (a retried or repeated
        job must not check what another job already checked)."""
        out: list[str] = []
        with self.session() as s:
            for i in range(0, len(ids), 1000):
                q = self._due_filter(select(Url.url), now).where(
                    col(Url.id).in_(list(ids[i : i + 1000]))
                )
                out.extend(s.exec(q.order_by(Url.id)))
        return out

    def open_runs(self, status: str) -> list[int]:
        with self.session() as s:
            return list(s.exec(select(Run.id).where(Run.status == status)))  # type: ignore[arg-type]

    def close_run_from_checks(self, run_id: int, status: str = "done") -> Counter[str]:
        """Finish a run whose checks were written by other processes: count them."""
        with self.session() as s:
            rows = s.exec(
                select(UrlCheck.verdict, func.count())
                .where(UrlCheck.run_id == run_id)
                .group_by(UrlCheck.verdict)
            )
            counts: Counter[str] = Counter({v: n for v, n in rows})
        self.finish_run(run_id, counts, status)
        return counts

    def start_run(self, status: str = "running") -> int:
        with self.session() as s, s.begin():
            run = Run(status=status)
            s.add(run)
            s.flush()
            assert run.id is not None
            return run.id

    def finish_run(self, run_id: int, counts: Counter[str], status: str = "done") -> None:
        with self.session() as s, s.begin():
            run = s.get(Run, run_id)
            if run is None:
                return
            run.finished_at = utcnow()
            run.status = status
            run.checked = sum(counts.values())
            run.counts = dict(counts)

    def check_context(self, urls: Sequence[str]) -> Context:
        """Cited titles and last good fingerprints of `urls`, to sharpen their verdicts."""
        titles: dict[str, list[str]] = defaultdict(list)
        prints: dict[str, str] = {}
        with self.session() as s:
            for i in range(0, len(urls), 1000):
                chunk = list(urls[i : i + 1000])
                q = (
                    select(Url.url, Citation.title)
                    .join(Citation, col(Citation.url_id) == Url.id)
                    .where(col(Url.url).in_(chunk), col(Citation.removed_at).is_(None))
                )
                for url, title in s.exec(q):
                    if title and title not in titles[url]:
                        titles[url].append(title)
                q2 = select(Url.url, Url.last_fingerprint).where(
                    col(Url.url).in_(chunk), col(Url.last_fingerprint).is_not(None)
                )
                for url, fp in s.exec(q2):
                    prints[url] = fp  # type: ignore[assignment]
        return Context(titles=dict(titles), fingerprints=prints)

    def record_results(
        self,
        results: Sequence[CheckResult],
        schedule: ScheduleSettings,
        run_id: int | None = None,
        rule: Confirmation = Confirmation(),  # noqa: B008 - frozen
    ) -> None:
        """Store a batch of checks atomically: history rows, URL state, verified access dates.

        Written with a handful of bulk statements per batch (executemany, INSERT ... RETURNING
        and ON CONFLICT through SQLAlchemy's SQLite and PostgreSQL dialects), not one ORM
        object per row: the per-row ORM version cost 4 ms a result, more than the check.
        """
        if not results:
            return
        url_t, check_t = Url.__table__, UrlCheck.__table__  # type: ignore[attr-defined]
        cit_t = Citation.__table__  # type: ignore[attr-defined]
        state_cols = [
            url_t.c.id, url_t.c.url, url_t.c.consecutive_failures, url_t.c.first_failure_at,
            url_t.c.last_good_at, url_t.c.next_due_at, url_t.c.status, url_t.c.status_since,
        ]  # fmt: skip
        with self.session() as s, s.begin():
            conn = s.connection()
            rows = conn.execute(
                select(*state_cols).where(url_t.c.url.in_(list({r.url for r in results})))
            )
            known = {row.url: row._asdict() for row in rows}
            checks: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            alive: list[tuple[int, int]] = []  # (index into checks, url id)
            for r in results:
                u = known.get(r.url)
                if u is None:  # a URL forgotten since the run began: nothing to attach to
                    continue
                prev = UrlState(
                    u["consecutive_failures"],
                    u["first_failure_at"],
                    u["last_good_at"],
                    u["next_due_at"],
                    Status(u["status"]),
                )
                st = next_state(r.url, prev, r.verdict, r.checked_at, schedule, rule)
                r.status, r.failures = st.status.value, st.consecutive_failures
                checks.append(
                    {
                        "url_id": u["id"],
                        "run_id": run_id,
                        "checked_at": r.checked_at,
                        "verdict": r.verdict.value,
                        "reason": r.reason,
                        "http_status": r.http_status,
                        "final_url": r.final_url,
                        "redirect_chain": [
                            {"url": h.url, "status": h.status} for h in r.redirect_chain
                        ],
                        "elapsed_ms": r.elapsed_ms,
                        "error_class": r.error_class,
                        "fingerprint": r.fingerprint,
                        "page_title": r.page_title,
                        "status": r.status,
                        "failures": r.failures,
                        "title_score": r.title_score,
                        "changed": r.changed,
                        "attempts": r.attempts,
                    }
                )
                since = u["status_since"]
                if u["status"] != st.status.value or since is None:
                    since = r.checked_at
                upd = {
                    "_id": u["id"],
                    "consecutive_failures": st.consecutive_failures,
                    "first_failure_at": st.first_failure_at,
                    "last_good_at": st.last_good_at,
                    "next_due_at": st.next_due_at,
                    "status": st.status.value,
                    "status_since": since,
                    "last_checked_at": r.checked_at,
                    "last_verdict": r.verdict.value,
                    "last_status": r.http_status,
                    "last_reason": r.reason,
                    "last_final_url": r.final_url,
                }
                # the baseline for "changed": only a good check's fingerprint replaces it
                upd["last_fingerprint"] = (
                    r.fingerprint if r.verdict in GOOD and r.fingerprint else None
                )
                updates.append(upd)
                # a URL twice in one batch: the second sees the first
                u.update({k: upd[k] for k in STATE_KEYS}, status_since=since)
                if r.verdict is Verdict.ALIVE:
                    alive.append((len(checks) - 1, u["id"]))
            if not checks:
                return
            ids = (
                conn.execute(
                    check_t.insert().returning(check_t.c.id, sort_by_parameter_order=True), checks
                )
                .scalars()
                .all()
            )
            keep_print = [u for u in updates if u["last_fingerprint"] is not None]
            for group in (keep_print, [u for u in updates if u["last_fingerprint"] is None]):
                if not group:
                    continue
                cols = [k for k in group[0] if k != "_id"]
                if group is not keep_print:
                    cols.remove("last_fingerprint")
                conn.execute(
                    url_t.update()
                    .where(url_t.c.id == bindparam("_id"))
                    .values({k: bindparam(f"v_{k}") for k in cols}),
                    [{"_id": u["_id"], **{f"v_{k}": u[k] for k in cols}} for u in group],
                )
            if alive:
                self._verify_access(conn, cit_t, alive, ids, checks)

    def _verify_access(
        self,
        conn: Any,
        cit_t: Any,
        alive: list[tuple[int, int]],
        ids: Sequence[int],
        checks: list[dict[str, Any]],
    ) -> None:
        """Alive checks are verified access dates of every live citation of their URL."""
        citations: dict[int, list[int]] = defaultdict(list)
        url_ids = list({uid for _, uid in alive})
        for i in range(0, len(url_ids), 1000):
            for cid, uid in conn.execute(
                select(cit_t.c.id, cit_t.c.url_id).where(
                    cit_t.c.url_id.in_(url_ids[i : i + 1000]), cit_t.c.removed_at.is_(None)
                )
            ):
                citations[uid].append(cid)
        rows: list[dict[str, Any]] = []
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for k, uid in alive:
            day = checks[k]["checked_at"].astimezone(dt.UTC).date()
            for cid in citations.get(uid, []):
                rows.append({"citation_id": cid, "check_id": ids[k], "accessed_on": day})
                by_day[day].append(cid)
        if not rows:
            return
        conn.execute(
            self._insert(VerifiedAccess.__table__).on_conflict_do_nothing(
                index_elements=["citation_id", "accessed_on"]
            ),
            rows,
        )
        for day, cids in by_day.items():
            for i in range(0, len(cids), 1000):
                conn.execute(
                    cit_t.update()
                    .where(
                        cit_t.c.id.in_(cids[i : i + 1000]),
                        or_(cit_t.c.verified_on.is_(None), cit_t.c.verified_on < day),
                    )
                    .values(verified_on=day)
                )

    # ------------------------------------------------------------ reading

    def documents(self) -> list[Document]:
        with self.session() as s:
            return list(s.exec(select(Document).order_by(Document.id)))

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
        with self.session() as s:
            return list(s.exec(q.order_by(Citation.document_id, Citation.position)))  # type: ignore[arg-type]

    def iter_citation_rows(self) -> Iterator[tuple[Citation, Url | None, Document]]:
        """Live citations by page (document id, position), fetched in chunks of 1,000."""
        q = (
            select(Citation, Url, Document)
            .join(Document, col(Document.id) == Citation.document_id)
            .outerjoin(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None))
            .order_by(Citation.document_id, Citation.position, Citation.id)
            .execution_options(yield_per=1000)
        )
        with self.session() as s:
            yield from s.exec(q)  # type: ignore[misc]

    def citations_by_url(self, urls: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """For the JSON contract: the titles and documents citing each URL."""
        urls = list(urls)
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        with self.session() as s:
            q = (
                select(Url.url, Citation.title, Document.source)
                .join(Citation, col(Citation.url_id) == Url.id)
                .join(Document, col(Document.id) == Citation.document_id)
                .where(col(Url.url).in_(urls), col(Citation.removed_at).is_(None))
            )
            for url, title, source in s.exec(q):
                out[url].append({"title": title, "document": source})
        return out

    def url(self, url: str) -> Url | None:
        with self.session() as s:
            return s.exec(select(Url).where(Url.url == url)).first()

    def history(self, url: str, limit: int = 50) -> list[UrlCheck]:
        with self.session() as s:
            q = (
                select(UrlCheck)
                .join(Url, col(Url.id) == UrlCheck.url_id)
                .where(Url.url == url)
                .order_by(col(UrlCheck.checked_at).desc(), col(UrlCheck.id).desc())
                .limit(limit)
            )
            return list(s.exec(q))

    def verified_dates(self) -> dict[int, dt.date]:
        """citation id -> newest date our checks verified it."""
        with self.session() as s:
            q = select(VerifiedAccess.citation_id, func.max(VerifiedAccess.accessed_on)).group_by(
                VerifiedAccess.citation_id
            )
            return {cid: day for cid, day in s.exec(q)}  # type: ignore[misc]

    def archive_links(self, url_ids: Iterable[int]) -> dict[int, list[ArchiveLink]]:
        out: dict[int, list[ArchiveLink]] = defaultdict(list)
        ids = list(url_ids)
        if not ids:
            return out
        with self.session() as s:
            for a in s.exec(select(ArchiveLink).where(col(ArchiveLink.url_id).in_(ids))):
                out[a.url_id].append(a)
        return out

    def last_run(self) -> Run | None:
        with self.session() as s:
            return s.exec(
                select(Run).where(col(Run.finished_at).is_not(None)).order_by(col(Run.id).desc())
            ).first()

    def table_counts(self) -> dict[str, int]:
        with self.session() as s:
            return {
                m.__tablename__: s.exec(select(func.count()).select_from(m)).one()  # type: ignore[attr-defined]
                for m in (Document, Citation, Url, UrlCheck, VerifiedAccess, ArchiveLink, Run)
            }

    # ------------------------------------------------------------ archives

    def archive_targets(
        self, now: dt.datetime, lookup_days: float, urls: Sequence[str] | None = None
    ) -> list[tuple[str, dt.date, list[str]]]:
        """(url, anchor date, cited titles) of links that need a fallback lookup.

        Without `urls`: every cited URL whose last verdict is dead, soft404 or drifted and
        that had no lookup within `lookup_days` (failed lookups are retried). With `urls`:
        exactly those, regardless of verdict and of earlier lookups.
        """
        since = now - dt.timedelta(days=lookup_days)
        with self.session() as s:
            q = select(Url).where(
                col(Url.id).in_(select(Citation.url_id).where(col(Citation.removed_at).is_(None)))
            )
            if urls is not None:
                q = q.where(col(Url.url).in_(list(urls)))
            else:
                recent = select(ArchiveLookup.url_id).where(
                    col(ArchiveLookup.looked_up_at) >= since, ArchiveLookup.outcome != "error"
                )
                q = q.where(
                    col(Url.last_verdict).in_(["dead", "soft404", "drifted"]),
                    col(Url.id).not_in(recent),
                )
            targets = list(s.exec(q.order_by(Url.id)))
            ids = [u.id for u in targets]
            cits: dict[int, list[Citation]] = defaultdict(list)
            for c in s.exec(
                select(Citation).where(
                    col(Citation.url_id).in_(ids), col(Citation.removed_at).is_(None)
                )
            ):
                cits[c.url_id].append(c)  # type: ignore[index]
            verified = dict(
                s.exec(
                    select(Citation.url_id, func.max(VerifiedAccess.accessed_on))
                    .join(Citation, col(Citation.id) == VerifiedAccess.citation_id)
                    .where(col(Citation.url_id).in_(ids))
                    .group_by(Citation.url_id)
                ).all()
            )
        out = []
        for u in targets:
            rows = cits.get(u.id, [])  # type: ignore[arg-type]
            stamps = [
                (dt.date.fromisoformat(st["date"]), st["precision"])
                for c in rows
                for st in c.stamps
                if st.get("date")
            ]
            first = min((c.first_seen_at for c in rows), default=u.first_seen_at).date()
            anchor = anchor_date(verified.get(u.id), stamps, first)
            titles = list(dict.fromkeys(c.title for c in rows if c.title))
            out.append((u.url, anchor, titles))
        return out

    def record_lookup(self, fallback: Fallback) -> None:
        """Store a lookup and every candidate it verified (one transaction)."""
        now = utcnow()
        with self.session() as s, s.begin():
            u = s.exec(select(Url).where(Url.url == fallback.url)).first()
            if u is None:
                return
            chosen_id = None
            for cand in fallback.candidates:
                link = s.exec(
                    select(ArchiveLink).where(
                        ArchiveLink.url_id == u.id, ArchiveLink.archive_url == cand.archive_url
                    )
                ).first()
                if link is None:
                    link = ArchiveLink(
                        url_id=u.id,  # type: ignore[arg-type]
                        archive_url=cand.archive_url,
                        source="lookup",
                        first_seen_at=now,
                    )
                    s.add(link)
                link.captured_at = cand.capture.captured_at
                link.endpoint = cand.endpoint
                link.verified = cand.verification.ok
                link.verify_reason = cand.verification.reason
                link.verified_at = now
                s.flush()
                if fallback.chosen is cand:
                    chosen_id = link.id
            s.add(
                ArchiveLookup(
                    url_id=u.id,  # type: ignore[arg-type]
                    looked_up_at=now,
                    anchor=fallback.anchor,
                    outcome=fallback.outcome,
                    reason=fallback.reason,
                    candidates=len(fallback.candidates),
                    archive_link_id=chosen_id,
                )
            )

    def page_links_to_verify(
        self, now: dt.datetime, days: float, urls: Sequence[str] | None = None
    ) -> list[tuple[int, str, list[str]]]:
        """(link id, archive URL, cited titles) of archive links found on pages and not
        verified within `days`."""
        since = now - dt.timedelta(days=days)
        with self.session() as s:
            q = (
                select(ArchiveLink, Url.url)
                .join(Url, col(Url.id) == ArchiveLink.url_id)
                .where(
                    ArchiveLink.source == "page",
                    or_(
                        col(ArchiveLink.verified_at).is_(None), col(ArchiveLink.verified_at) < since
                    ),
                )
            )
            if urls is not None:
                q = q.where(col(Url.url).in_(list(urls)))
            rows = list(s.exec(q))
            titles = self.check_context([url for _, url in rows]).titles
        return [(a.id, a.archive_url, titles.get(url, [])) for a, url in rows]  # type: ignore[misc]

    def record_link_verification(self, link_id: int, ok: bool, reason: str) -> None:
        with self.session() as s, s.begin():
            link = s.get(ArchiveLink, link_id)
            if link is not None:
                link.verified, link.verify_reason, link.verified_at = ok, reason, utcnow()

    def fallbacks(self, urls: Iterable[str]) -> dict[str, ArchiveLink]:
        """The best verified archive copy of each URL: the latest lookup's choice, else a
        verified link from the page."""
        out: dict[str, ArchiveLink] = {}
        urls = list(urls)
        if not urls:
            return out
        with self.session() as s:
            q = (
                select(Url.url, ArchiveLink)
                .join(ArchiveLink, col(ArchiveLink.url_id) == Url.id)
                .where(col(Url.url).in_(urls), ArchiveLink.verified == True)  # noqa: E712
                .order_by(col(ArchiveLink.source).desc(), col(ArchiveLink.verified_at).desc())
            )
            for url, link in s.exec(q):
                out.setdefault(url, link)
            chosen = (
                select(Url.url, ArchiveLink)
                .join(ArchiveLookup, col(ArchiveLookup.url_id) == Url.id)
                .join(ArchiveLink, col(ArchiveLink.id) == ArchiveLookup.archive_link_id)
                .where(col(Url.url).in_(urls))
                .order_by(col(ArchiveLookup.looked_up_at))
            )
            for url, link in s.exec(chosen):
                out[url] = link  # the newest lookup's choice wins
        return out

    def lookups(self, url: str) -> list[ArchiveLookup]:
        with self.session() as s:
            q = (
                select(ArchiveLookup)
                .join(Url, col(Url.id) == ArchiveLookup.url_id)
                .where(Url.url == url)
                .order_by(col(ArchiveLookup.looked_up_at).desc())
            )
            return list(s.exec(q))

    def save_candidates(self, now: dt.datetime, min_age_days: float, limit: int = 500) -> list[str]:
        """Alive cited links with no known capture (and no save request) newer than
        `min_age_days`: the ones worth a Save Page Now request."""
        since = now - dt.timedelta(days=min_age_days)
        with self.session() as s:
            recent_capture = select(ArchiveLink.url_id).where(col(ArchiveLink.captured_at) >= since)
            recent_save = select(SaveRequest.url_id).where(col(SaveRequest.requested_at) >= since)
            cited = select(Citation.url_id).where(col(Citation.removed_at).is_(None))
            q = (
                select(Url.url)
                .where(
                    Url.last_verdict == "alive",
                    col(Url.id).in_(cited),
                    col(Url.id).not_in(recent_capture),
                    col(Url.id).not_in(recent_save),
                )
                .order_by(Url.id)
                .limit(limit)
            )
            return list(s.exec(q))

    def record_save(self, result: SaveResult) -> None:
        with self.session() as s, s.begin():
            u = s.exec(select(Url).where(Url.url == result.url)).first()
            if u is None:
                return
            s.add(
                SaveRequest(
                    url_id=u.id,  # type: ignore[arg-type]
                    ok=result.ok,
                    reason=result.reason,
                    archive_url=result.archive_url,
                    captured_at=result.captured_at,
                    job_id=result.job_id,
                )
            )
            if result.ok and result.archive_url:
                exists = s.exec(
                    select(ArchiveLink).where(
                        ArchiveLink.url_id == u.id, ArchiveLink.archive_url == result.archive_url
                    )
                ).first()
                if exists is None:
                    s.add(
                        ArchiveLink(
                            url_id=u.id,  # type: ignore[arg-type]
                            archive_url=result.archive_url,
                            captured_at=result.captured_at,
                            source="save",
                        )
                    )

    # ------------------------------------------------------------ service

    def job_last(self, name: str) -> dt.datetime | None:
        with self.session() as s:
            row = s.get(JobState, name)
            return row.last_at if row else None

    def job_done(self, name: str, when: dt.datetime) -> None:
        with self.session() as s, s.begin():
            row = s.get(JobState, name)
            if row is None:
                s.add(JobState(name=name, last_at=when))
            else:
                row.last_at = when

    def due_count(self, now: dt.datetime) -> int:
        return self.due_total(now)

    def prune(self, keep_days: float, now: dt.datetime) -> int:
        """Delete checks older than `keep_days`, keeping each URL's latest; then compact."""
        cutoff = now - dt.timedelta(days=keep_days)
        latest = select(func.max(UrlCheck.id)).group_by(UrlCheck.url_id)
        referenced = select(VerifiedAccess.check_id)
        with self.session() as s, s.begin():
            res = s.execute(
                UrlCheck.__table__.delete().where(  # type: ignore[attr-defined]
                    col(UrlCheck.checked_at) < cutoff,
                    col(UrlCheck.id).not_in(latest),
                    col(UrlCheck.id).not_in(referenced),
                )
            )
            removed = res.rowcount or 0
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.exec_driver_sql("VACUUM")
            elif self.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("VACUUM ANALYZE")
        return removed

    def close_stale_runs(self) -> int:
        """Runs left 'running' by a killed process (call with the instance lock held)."""
        with self.session() as s, s.begin():
            stale = list(s.exec(select(Run).where(Run.status == "running")))
            for run in stale:
                run.status = "killed"
        return len(stale)

    def document_by_source(self, source: str) -> Document | None:
        with self.session() as s:
            return s.exec(select(Document).where(Document.source == source)).first()

    def page_archive_links(self, document_id: int) -> dict[str, ArchiveLink]:
        """Archive links cited on one page, by their address."""
        with self.session() as s:
            q = (
                select(ArchiveLink)
                .join(Citation, col(Citation.url_id) == ArchiveLink.url_id)
                .where(Citation.document_id == document_id, ArchiveLink.source == "page")
            )
            return {a.archive_url: a for a in s.exec(q)}

    # ------------------------------------------------------------ reports at scale

    def citation_counts(self) -> list[tuple[Document, Counter[str], Counter[str], int]]:
        """Per page: citations by last verdict, by status, and unlinked ones; one GROUP BY,
        so a million citations cost one indexed scan, not a million objects."""
        q = (
            select(
                Citation.document_id,
                Url.last_verdict,
                Url.status,
                col(Citation.url_id).is_(None),
                func.count(),
            )
            .outerjoin(Url, col(Url.id) == Citation.url_id)
            .where(col(Citation.removed_at).is_(None))
            .group_by(
                Citation.document_id, Url.last_verdict, Url.status, col(Citation.url_id).is_(None)
            )
        )
        verdicts: dict[int, Counter[str]] = defaultdict(Counter)
        statuses: dict[int, Counter[str]] = defaultdict(Counter)
        unlinked: Counter[int] = Counter()
        with self.session() as s:
            docs = list(s.exec(select(Document).order_by(Document.id)))
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
        with self.session() as s:
            if total is None:
                total = s.exec(counted).one()
            # newest change first: walks the (status, status_since) index, stops at `limit`
            order = (col(Url.status_since).desc(), Url.id, Citation.id)
            rows = list(s.exec(base.order_by(*order).limit(limit)))
        return total, rows  # type: ignore[return-value]

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
        with self.session() as s:
            total = s.exec(select(func.count()).select_from(Citation).where(*where)).one()
            rows = list(
                s.exec(
                    select(Citation, Url, Document)
                    .join(Url, col(Url.id) == Citation.url_id)
                    .join(Document, col(Document.id) == Citation.document_id)
                    .where(*where)
                    .order_by(Citation.document_id, Citation.position)
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
            .group_by(bucket, UrlCheck.status)
        )
        out: dict[int, dict[str, int]] = defaultdict(dict)
        with self.session() as s:
            for i, status, n in s.execute(q):
                if i >= 0:
                    out[i][status or "unverified"] = n
        if not out:
            return []
        first = min(out)
        return [(starts[i], out.get(i, {})) for i in range(first, len(starts))]

    def due_total(self, now: dt.datetime) -> int:
        with self.session() as s:
            return s.exec(self._due_filter(select(func.count()).select_from(Url), now)).one()

    def status_history(self) -> list[tuple[str, dt.datetime, str]]:
        """(url, checked_at, status) of every stored check, oldest first: for trends."""
        with self.session() as s:
            q = (
                select(Url.url, UrlCheck.checked_at, UrlCheck.status)
                .join(Url, col(Url.id) == UrlCheck.url_id)
                .order_by(UrlCheck.checked_at, UrlCheck.id)
            )
            return [(u, t, st or "unverified") for u, t, st in s.exec(q)]  # type: ignore[misc]

    def backup(self, target: Path) -> None:
        """A consistent copy of the SQLite database, safe while the daemon writes (SQLite's
        online backup API, page by page); PostgreSQL has pg_dump for that."""
        import sqlite3

        url = make_url(str(self.engine.url))
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            raise StoreError(
                "monitor backup copies SQLite files; for PostgreSQL use "
                "pg_dump --format=custom --file=monitor.dump <database>"
            )
        target = target.expanduser()
        tmp = target.with_name(target.name + ".partial")
        tmp.unlink(missing_ok=True)
        try:
            src = sqlite3.connect(url.database, timeout=30)
            dst = sqlite3.connect(tmp)
            with dst:
                src.backup(dst, pages=256, sleep=0.01)
            dst.close()
            src.close()
            tmp.replace(target)
        except (sqlite3.Error, OSError) as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"backup to {target} failed: {exc}") from None
