"""Checks: which URLs are due, what they are checked with, and storing the results.

`record_results` stores a batch atomically with a handful of bulk statements (executemany,
INSERT ... RETURNING and ON CONFLICT through SQLAlchemy's SQLite and PostgreSQL dialects),
not one ORM object per row: the per-row ORM version cost more a result than the check
(measured: docs/performance.md, "Figures behind the code"). What a check does to a URL's
confirmed status is not decided here: the caller passes the transition (`due.transition`),
the store only keeps its outcome.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import col, select

from monitor.core.access import ACCESS_VERDICTS, Earned, access_day, earned
from monitor.core.due import Status, Transition, UrlState
from monitor.core.results import CheckResult, Context
from monitor.core.verdict import GOOD
from monitor.store.engine import Database, table, write_many
from monitor.store.models import Citation, Url, UrlCheck, VerifiedAccess

# the good verdicts as URL.last_verdict stores them: their answer's validators are sent
# with the next check
_GOOD_VALUES = frozenset(v.value for v in GOOD)
# up to this many waiting hosts are left out in the query (fewer rows to rank); past it,
# as they come (a statement's parameters are limited: SQLite's to 32,766)
_SKIP_IN_SQL = 5000
STATE_KEYS = ("consecutive_failures", "first_failure_at", "last_good_at", "next_due_at", "status")


class Checks:
    """Due URLs, the context of their checks, and the checks' history."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def due_urls(self, now: dt.datetime, everything: bool = False) -> list[str]:
        """URLs cited by at least one live citation whose next check is due."""
        q = self._due_filter(select(Url.url), None if everything else now)
        # Core rows: the ORM's own loading was slower (measured: docs/performance.md,
        # "Figures behind the code")
        with self.db.session() as s:
            return list(s.connection().execute(q.order_by(Url.host, Url.id)).scalars())

    def _due_filter(self, q: Any, now: dt.datetime | None) -> Any:
        """Cited by at least one live citation and, unless `now` is None, due by `now`.

        "Cited" is a correlated EXISTS, answered by the index on citation.url_id for each
        URL the rest of the query keeps: `url.id IN (SELECT DISTINCT url_id ...)` made the
        database gather every cited id first, for each query, and at a million citations
        on PostgreSQL a worker's claim of a batch took longer than checking it (measured:
        docs/performance.md, "Like with like")."""
        cited = (
            select(Citation.id)
            .where(col(Citation.url_id) == Url.id, col(Citation.removed_at).is_(None))
            .exists()
        )
        q = q.where(cited, col(Url.ignored).is_(False))
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
        rank = func.row_number().over(partition_by=Url.host, order_by=col(Url.id)).label("rank")
        inner = self._due_filter(select(Url.id, Url.host, rank), now)
        if 0 < len(skip) <= _SKIP_IN_SQL:  # hosts already waiting are not ranked at all
            inner = inner.where(col(Url.host).not_in(sorted(skip)))
        inner = inner.subquery()
        # busy URLs are at most one running batch per host: fetch enough to skip past them
        q = select(inner.c.id, inner.c.host).where(inner.c.rank <= 2 * per_host)
        out: dict[str, list[int]] = defaultdict(list)
        with self.db.session() as s:
            for uid, host in s.execute(q.order_by(inner.c.host, inner.c.id)):
                if host in skip or uid in busy_ids or len(out[host]) >= per_host:
                    continue
                out[host].append(uid)
        return {h: ids for h, ids in out.items() if ids}

    def still_due(self, ids: Sequence[int], now: dt.datetime) -> list[str]:
        """Which of these URL ids are still due and cited, as URLs (a retried or repeated
        job must not check what another job already checked)."""
        out: list[str] = []
        with self.db.session() as s:
            for i in range(0, len(ids), 1000):
                q = self._due_filter(select(Url.url), now).where(
                    col(Url.id).in_(list(ids[i : i + 1000]))
                )
                out.extend(s.exec(q.order_by(Url.id)))
        return out

    def due_total(self, now: dt.datetime) -> int:
        with self.db.session() as s:
            return s.exec(self._due_filter(select(func.count()).select_from(Url), now)).one()

    def check_context(self, urls: Sequence[str]) -> Context:
        """Cited titles and passages, last good fingerprints and validators of `urls`, to
        sharpen their verdicts and make re-checks conditional.

        One Core query a thousand URLs for all four (a URL and its live citations, joined):
        three ORM queries took longer, time a run waits before its first check (measured:
        docs/performance.md, "Figures behind the code")."""
        titles: dict[str, list[str]] = defaultdict(list)
        passages: dict[str, list[str]] = defaultdict(list)
        prints: dict[str, str] = {}
        validators: dict[str, tuple[str | None, str | None, str]] = {}
        url_t, cit_t = table(Url), table(Citation)
        live = (cit_t.c.url_id == url_t.c.id) & cit_t.c.removed_at.is_(None)
        cols = (
            url_t.c.url, url_t.c.last_fingerprint, url_t.c.etag, url_t.c.last_modified,
            url_t.c.last_verdict, url_t.c.last_final_url, cit_t.c.title, cit_t.c.excerpt,
        )  # fmt: skip
        with self.db.session() as s:
            conn = s.connection()
            for i in range(0, len(urls), 1000):
                q = (
                    select(*cols)
                    .select_from(url_t.outerjoin(cit_t, live))
                    .where(url_t.c.url.in_(list(urls[i : i + 1000])))
                )
                for url, fp, etag, modified, verdict, final, title, excerpt in conn.execute(q):
                    if title and title not in titles[url]:
                        titles[url].append(title)
                    if excerpt and excerpt not in passages[url]:
                        passages[url].append(excerpt)
                    if fp is not None:
                        prints[url] = fp
                    if verdict in _GOOD_VALUES and (etag or modified):
                        validators[url] = (etag, modified, final or url)
        return Context(
            titles={u: t for u, t in titles.items() if t},
            fingerprints=prints,
            passages={u: p for u, p in passages.items() if p},
            validators=validators,
        )

    def record_results(
        self,
        results: Sequence[CheckResult],
        transition: Transition,
        run_id: int | None = None,
    ) -> None:
        """Store a batch of checks atomically: history rows, URL state, verified access
        dates. `transition` gives each URL's state after its check (`due.transition`); each
        result's `status` and `failures` are set from it."""
        if not results:
            return
        url_t, check_t, cit_t = table(Url), table(UrlCheck), table(Citation)
        state_cols = [
            url_t.c.id, url_t.c.url, url_t.c.consecutive_failures, url_t.c.first_failure_at,
            url_t.c.last_good_at, url_t.c.next_due_at, url_t.c.status, url_t.c.status_since,
        ]  # fmt: skip
        with self.db.session() as s, s.begin():
            conn = s.connection()
            rows = conn.execute(
                select(*state_cols).where(url_t.c.url.in_(list({r.url for r in results})))
            )
            known = {row.url: row._asdict() for row in rows}
            checks: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            # the checks that may earn access dates: (index into checks, url id, result)
            alive: list[tuple[int, int, CheckResult]] = []
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
                st = transition(r.url, prev, r.verdict, r.checked_at)
                r.status, r.failures = st.status.value, st.consecutive_failures
                checks.append({"url_id": u["id"], "run_id": run_id, **r.as_row()})
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
                    "last_http_status": r.http_status,
                    "last_reason": r.reason,
                    "last_final_url": r.final_url,
                }
                # the baseline for "changed": only a good check's fingerprint replaces it
                upd["last_fingerprint"] = (
                    r.fingerprint if r.verdict in GOOD and r.fingerprint else None
                )
                # validators: a good 200 brings new ones (the URL's own page, or the one
                # its redirects lead to), a 304 keeps them, anything else drops them (the
                # next check asks for the whole page)
                if not r.unchanged:
                    good = r.verdict in GOOD and r.http_status == 200
                    upd["etag"] = r.etag if good else None
                    upd["last_modified"] = r.last_modified if good else None
                updates.append(upd)
                # a URL twice in one batch: the second sees the first
                u.update({k: upd[k] for k in STATE_KEYS}, status_since=since)
                if r.verdict in ACCESS_VERDICTS:
                    alive.append((len(checks) - 1, u["id"], r))
            if not checks:
                return
            # one UPDATE per shape of row (a kept fingerprint or validators are not written)
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for u in updates:
                cols_of = tuple(
                    k for k in u if k != "_id" and not (k == "last_fingerprint" and u[k] is None)
                )
                shapes[cols_of].append(u)
            for cols, group in shapes.items():
                rows = [{"id": u["_id"], **{k: u[k] for k in cols}} for u in group]
                write_many(conn, url_t, rows, key="id")
            ids = self._insert_checks(conn, check_t, checks)
            if alive:
                self._verify_access(conn, cit_t, alive, ids)

    def _insert_checks(self, conn: Any, check_t: Any, checks: list[dict[str, Any]]) -> list[int]:
        """Insert the history rows; their ids, in order.

        SQLite cannot match the rows of a batched INSERT ... RETURNING to its parameters, so
        SQLAlchemy sends such an insert one row at a time, a large part of storing a result
        (measured: docs/performance.md, "Figures behind the code"). On SQLite the ids are
        chosen here instead: this transaction has already written (the URL rows), so it
        holds the database's only write lock until it commits and no other id can appear
        past the largest; the primary key would refuse a clash.
        """
        if conn.dialect.name != "sqlite":
            insert = check_t.insert().returning(check_t.c.id, sort_by_parameter_order=True)
            return list(conn.execute(insert, checks).scalars())
        last = conn.execute(select(func.coalesce(func.max(check_t.c.id), 0))).scalar_one()
        ids = list(range(last + 1, last + 1 + len(checks)))
        write_many(conn, check_t, [{"id": i, **c} for i, c in zip(ids, checks, strict=True)])
        return ids

    def _verify_access(
        self,
        conn: Any,
        cit_t: Any,
        alive: list[tuple[int, int, CheckResult]],
        ids: Sequence[int],
    ) -> None:
        """Record what each check earns the live citations of its URL (`access.earned`):
        verified access dates, and the day a quoted passage went missing."""
        citations: dict[int, list[tuple[int, str | None, bool]]] = defaultdict(list)
        url_ids = list({uid for _, uid, _ in alive})
        for i in range(0, len(url_ids), 1000):
            for cid, uid, excerpt, gone_since in conn.execute(
                select(
                    cit_t.c.id, cit_t.c.url_id, cit_t.c.excerpt, cit_t.c.passage_gone_since
                ).where(cit_t.c.url_id.in_(url_ids[i : i + 1000]), cit_t.c.removed_at.is_(None))
            ):
                citations[uid].append((cid, excerpt, gone_since is not None))
        rows: list[dict[str, Any]] = []
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        gone: dict[dt.date, list[int]] = defaultdict(list)
        for k, uid, r in alive:
            day = access_day(r.checked_at)
            missing, unchanged = r.passages_missing, r.unchanged
            for cid, excerpt, was_gone in citations.get(uid, []):
                got = earned(
                    r.verdict,
                    excerpt=excerpt,
                    passages_missing=missing,
                    unchanged=unchanged,
                    passage_was_gone=was_gone,
                    by_accept=r.accepted_by_status,
                )
                if got is Earned.PASSAGE_GONE:
                    gone[day].append(cid)
                elif got is Earned.ACCESS:
                    rows.append({"citation_id": cid, "check_id": ids[k], "accessed_on": day})
                    by_day[day].append(cid)
        for day, cids in gone.items():
            for i in range(0, len(cids), 1000):
                conn.execute(
                    cit_t.update()
                    .where(cit_t.c.id.in_(cids[i : i + 1000]), cit_t.c.passage_gone_since.is_(None))
                    .values(passage_gone_since=day)
                )
        back = [cid for cids in by_day.values() for cid in cids]  # passages found again
        for i in range(0, len(back), 1000):
            conn.execute(
                cit_t.update()
                .where(cit_t.c.id.in_(back[i : i + 1000]), cit_t.c.passage_gone_since.is_not(None))
                .values(passage_gone_since=None)
            )
        if not rows:
            return
        write_many(conn, table(VerifiedAccess), rows, unique=("citation_id", "accessed_on"))
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

    def history(self, url: str, limit: int = 50) -> list[UrlCheck]:
        with self.db.session() as s:
            q = (
                select(UrlCheck)
                .join(Url, col(Url.id) == UrlCheck.url_id)
                .where(Url.url == url)
                .order_by(col(UrlCheck.checked_at).desc(), col(UrlCheck.id).desc())
                .limit(limit)
            )
            return list(s.exec(q))
