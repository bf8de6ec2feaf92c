"""The database itself: opening it (SQLite by default, any SQLAlchemy URL), its pragmas,
migrations, backups and pruning. The parts of the store (`pages`, `checks`, ...) share
one `Database`.

Writes happen in short transactions of one ingest or one batch of check results, so a
crash or Ctrl-C leaves either all of a batch or none of it. SQLite runs in WAL mode with a
busy timeout, so `monitor status` can read while `monitor run` writes.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import Engine, Table, create_engine, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from monitor.core.errors import LockError, StoreError
from monitor.store.models import UrlCheck, VerifiedAccess

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision (tests/test_store.py holds it to Alembic's head): a
# database already there is opened without loading Alembic and its scripts, a large part of
# every command's start-up (measured: docs/performance.md, "Figures behind the code").
HEAD = "0011"


def table(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class, for bulk statements (SQLModel declares
    `__table__` only at run time, so type checkers do not see it)."""
    return cast(Table, getattr(model, "__table__"))  # noqa: B009


def _processor(kind: Any, dialect: Any) -> Any:
    """What SQLAlchemy does to a value of this column type before the driver gets it on
    this dialect (its own processor: SQLite's DATETIME writes its own text, not the
    driver's ISO form), or None."""
    return kind.dialect_impl(dialect).bind_processor(dialect)


_NOTHING = object()  # no value seen yet


def write_many(
    conn: Any,
    tbl: Table,
    rows: Sequence[Mapping[str, Any]],
    key: str | None = None,
    unique: Sequence[str] = (),
) -> None:
    """INSERT `rows` (dicts with the same keys) into `tbl`, or with `key`, UPDATE the row
    whose `key` column has each row's value; one executemany handed to the driver. With
    `unique` (the columns of a unique constraint), a row already there is left as it is
    (ON CONFLICT ... DO NOTHING, the same words in SQLite and PostgreSQL).

    Why not SQLAlchemy's own executemany: it builds and processes a parameter dict per row
    (construct_params), a large part of storing a check result (measured:
    docs/performance.md, "Figures behind the code"). Here each value goes through
    its column type's bind processor (the same conversion: SQLite's datetime strings,
    JSON), looked up once a statement. An INSERT fills the columns the rows leave out that
    have a fixed default (`status = "unchecked"`), as SQLAlchemy's own INSERT does."""
    if not rows:
        return
    dialect = conn.dialect
    names = [n for n in rows[0] if n != key]
    fill: list[Any] = []
    if key is None:
        for c in tbl.c:
            if c.name in rows[0] or c.default is None:
                continue
            if not c.default.is_scalar:
                raise ValueError(f"write_many: give {tbl.name}.{c.name}, its default is computed")
            names.append(c.name)
            fill.append(c.default.arg)
    keys = names + ([key] if key is not None else [])
    given = len(keys) - len(fill)  # the rows' own values; the filled defaults come after
    # (position, processor) of the columns whose values are converted: a few datetimes,
    # JSON and booleans; the rest go as they are
    procs = [(i, p) for i, k in enumerate(keys) if (p := _processor(tbl.c[k].type, dialect))]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    q = dialect.identifier_preparer.quote
    if key is None:
        sql = (
            f"INSERT INTO {q(tbl.name)} ({', '.join(q(n) for n in names)}) "
            f"VALUES ({', '.join([mark] * len(names))})"
        )
        if unique:
            sql += f" ON CONFLICT ({', '.join(q(n) for n in unique)}) DO NOTHING"
    else:
        sets = ", ".join(f"{q(n)} = {mark}" for n in names)
        sql = f"UPDATE {q(tbl.name)} SET {sets} WHERE {q(key)} = {mark}"
    own = keys[:given]
    values = itemgetter(*own) if len(own) > 1 else (lambda row: (row[own[0]],))
    params = []
    # a value the row before had too, the same object (a batch's `now`), is converted once
    last: list[list[Any]] = [[_NOTHING, None] for _ in procs]
    for row in rows:
        one = [*values(row), *fill]
        for (i, convert), seen in zip(procs, last, strict=True):
            value = one[i]
            if value is not seen[0]:
                seen[0], seen[1] = value, convert(value)
            one[i] = seen[1]
        params.append(tuple(one))
    conn.exec_driver_sql(sql, params)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def redact(url: str) -> str:
    """A database URL fit to print: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (user-expanded, absolute); None for another database, an
    in-memory one, a `file:` URI, or a URL that does not parse."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    db = parsed.database
    if parsed.get_backend_name() != "sqlite" or not db or db == ":memory:":
        return None
    return None if db.startswith("file:") else Path(db).expanduser().resolve()


def _json_text(value: Any) -> str:
    """A JSON column's value as stored: orjson, several times faster than json.dumps on the
    rows of a large page or run (measured: docs/performance.md); what it will not take (an
    integer past 64 bits, a key that is not a string) as json.dumps writes it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)


def _json_value(text: str | bytes) -> Any:
    """A stored JSON column read back; json.loads for what orjson refuses (NaN, written by
    json.dumps before orjson wrote these columns)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def create(url: str) -> Engine:
    """An engine for SQLAlchemy `url`. A SQLite file's directory must exist: a mistyped path
    would otherwise create directories anywhere (as root, under a service) without a word."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r}") from None
    # the JSON columns (a citation's stamps, a check's evidence) read and written by orjson
    kwargs: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": _json_value}
    if parsed.get_backend_name() == "sqlite":
        file = sqlite_file(url)
        if file is not None and not file.parent.is_dir():
            parent = file.parent
            raise StoreError(
                f"the database's directory {parent} does not exist: create it "
                f"(mkdir -p {parent}) or set [database] url to a file in one that does"
            )
        kwargs["connect_args"] = {"timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot use database {redact(url)}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _same_file(a: Path, b: Path) -> bool:
    """Two paths naming one file: the same path once resolved, or the same inode (a link)."""
    try:
        if a.resolve() == b.resolve():
            return True
        return b.exists() and a.exists() and a.samefile(b)
    except OSError:
        return False


class Database:
    """The engine and what concerns the database as a whole."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def insert(self, table: Any) -> Any:
        """An INSERT that knows ON CONFLICT (SQLite's or PostgreSQL's dialect)."""
        # imported here: PostgreSQL's dialect would add to every command's start-up
        # (measured: docs/performance.md, "Figures behind the code")
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def close(self) -> None:
        self.engine.dispose()

    def at_head(self) -> bool:
        try:
            with self.engine.connect() as conn:
                found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except SQLAlchemyError:  # a new database, or one older than Alembic's table
            return False
        return [tuple(r) for r in found] == [(HEAD,)]

    def migrate(self) -> None:
        """Bring the schema to HEAD. Two commands started at once on a new database both
        try: the one that loses finds the schema made by the other and goes on. A database
        written by a newer monitor is refused with a clear line, never touched."""
        if self.at_head():
            return
        from alembic import command
        from alembic.config import Config
        from alembic.util.exc import CommandError

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        where = redact(str(self.engine.url))
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
                return
            except CommandError:
                raise StoreError(
                    f"{where} was written by a newer monitor (its schema revision is not "
                    f"one this version, up to {HEAD}, knows): upgrade monitor to use it"
                ) from None
            except SQLAlchemyError as exc:
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                if self.at_head():
                    return  # another command made the schema meanwhile
                if "locked" in reason.lower():
                    raise LockError(
                        f"{where} is locked by another program ({reason}); try again later"
                    ) from None
                if attempt == 2:
                    raise StoreError(f"cannot open database {where}: {reason}") from None
                time.sleep(0.2 * (attempt + 1))

    def prune(self, keep_days: float, now: dt.datetime) -> int:
        """Delete checks older than `keep_days`, keeping each URL's latest and any that
        verified an access date; then compact."""
        cutoff = now - dt.timedelta(days=keep_days)
        latest = select(func.max(UrlCheck.id)).group_by(col(UrlCheck.url_id))
        referenced = select(VerifiedAccess.check_id)
        checks = table(UrlCheck)
        with self.session() as s, s.begin():
            res = s.connection().execute(
                checks.delete().where(
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

    def refresh_statistics(self, tables: Sequence[str]) -> None:
        """After a bulk load, tell PostgreSQL's planner what the tables now hold. Until
        autovacuum gets to them it plans with the old counts: after a million citations
        were ingested it counted what was due by a million index probes, ten times slower
        than after ANALYZE (measured: docs/performance.md, "Like with like").
        SQLite plans these queries well without statistics."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")

    def backup(self, target: Path) -> None:
        """A consistent copy of the SQLite database, safe while the daemon writes (SQLite's
        online backup API, page by page); PostgreSQL has pg_dump for that."""
        url = make_url(str(self.engine.url))
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            raise StoreError(
                "monitor backup copies SQLite files; for PostgreSQL use "
                "pg_dump --format=custom --file=monitor.dump <database>"
            )
        target = target.expanduser()
        live = Path(url.database).expanduser()
        if _same_file(live, target) or any(
            _same_file(live.with_name(live.name + s), target) for s in ("-wal", "-shm", "-journal")
        ):
            # the copy would replace the database being copied: the writes of a running
            # `run` would be lost and its run row left `running`
            raise StoreError(f"{target} is the live database itself; back up to another file")
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
