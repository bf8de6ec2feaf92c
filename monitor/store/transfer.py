"""Export and import the whole history as JSON lines: between SQLite and PostgreSQL, to a
new machine, or into a file a person can read.

One line per row, `{"table": ..., "row": {...}}`, tables in foreign-key order, after a
header line that names the format and the schema revision, and before a trailer line with
the rows per table and a SHA-256 of the row lines: a file cut short at a line boundary
(`head -n 3000`) still parses, and only the trailer tells it is not whole. Ids are kept,
so every link between rows survives; dates and times are ISO 8601 (times with their UTC
offset). Both directions stream in chunks: memory follows the chunk, not the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from sqlalchemy import Date, DateTime, Table, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel

from monitor.core.errors import TransferError
from monitor.core.times import iso, utcnow
from monitor.store import (
    Store,
    models,  # noqa: F401 - registers the tables on SQLModel.metadata
)

FORMAT = "monitor-export"
VERSION = 1
CHUNK = 1000


def tables() -> list[Table]:
    """Our tables, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def _revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return iso(value)
    return value


def export(store: Store, out: IO[str], progress: Callable[[str, int], None] | None = None) -> int:
    """Write every row; returns how many."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema": _revision(store),
        "exported_at": iso(utcnow()),
        "source": store.engine.dialect.name,
    }
    out.write(json.dumps(header) + "\n")
    total = 0
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    with store.engine.connect() as conn:
        for table in tables():
            key = list(table.primary_key.columns)
            rows = conn.execution_options(yield_per=CHUNK).execute(select(table).order_by(*key))
            n = 0
            for row in rows.mappings():
                line = json.dumps(
                    {"table": table.name, "row": {k: _plain(v) for k, v in row.items()}},
                    ensure_ascii=False,
                )
                digest.update(line.encode("utf-8") + b"\n")
                out.write(line + "\n")
                n += 1
            counts[table.name] = n
            total += n
            if progress:
                progress(table.name, n)
    trailer = {"trailer": {"rows": counts, "total": total, "sha256": digest.hexdigest()}}
    out.write(json.dumps(trailer) + "\n")
    return total


def _converters(table: Table) -> dict[str, Callable[[Any], Any]]:
    conv: dict[str, Callable[[Any], Any]] = {}
    for col in table.columns:
        kind = getattr(col.type, "impl", col.type)  # SQLModel's UTCDateTime decorates DateTime
        if isinstance(kind, DateTime):
            conv[col.name] = lambda v: None if v is None else dt.datetime.fromisoformat(v)
        elif isinstance(kind, Date):
            conv[col.name] = lambda v: None if v is None else dt.date.fromisoformat(v)
    return conv


MAX_LINE = 64 << 20  # one row of an export: a check's evidence, a page's citations


def _lines(src: IO[str], digest: Any = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """The export's lines, each read with a bound: `/dev/zero` (a line that never ends)
    is refused after MAX_LINE characters, not read until memory runs out."""
    n = 0
    while True:
        line = src.readline(MAX_LINE + 1)
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE and not line.endswith("\n"):
            raise TransferError(f"line {n}: longer than {MAX_LINE:,} characters; not an export")
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TransferError(f"line {n}: not JSON ({exc.msg})") from None
        if digest is not None and isinstance(item, dict) and "table" in item:
            digest.update(line.rstrip("\r\n").encode("utf-8") + b"\n")
        yield n, item


def _check_trailer(trailer: Any, counts: dict[str, int], digest: str) -> None:
    """The trailer's counts and checksum against what was read: which table came up short."""
    if not isinstance(trailer, dict):
        raise TransferError("the trailer is not readable")
    expected = trailer.get("rows") or {}
    for name, n in expected.items():
        got = counts.get(name, 0)
        if got != n:
            raise TransferError(
                f"table {name} came up short: the export has {n:,} rows, {got:,} read"
            )
    if trailer.get("sha256") != digest:
        raise TransferError("the rows do not match the export's checksum (the file was changed)")


def import_(store: Store, src: IO[str], progress: Callable[[str, int], None] | None = None) -> int:
    """Load an export into an empty database (same schema revision); one transaction, so a
    bad line leaves the database as it was. Returns the rows loaded."""
    digest = hashlib.sha256()
    lines = _lines(src, digest)
    first = next(lines, None)
    if first is None:
        raise TransferError("the file is empty")
    _, header = first
    if header.get("format") != FORMAT:
        raise TransferError("not a monitor export (its first line names no monitor-export)")
    if header.get("version") != VERSION:
        raise TransferError(f"export format version {header.get('version')} is not {VERSION}")
    ours = _revision(store)
    if header.get("schema") != ours:
        raise TransferError(
            f"the export has schema {header.get('schema')}, this database {ours}: "
            "export again with the same monitor version, or upgrade both"
        )
    by_name = {t.name: t for t in tables()}
    with store.engine.begin() as conn:
        for t in tables():
            if conn.execute(select(func.count()).select_from(t)).scalar():
                raise TransferError(
                    f"the database is not empty (table {t.name} has rows): import into a new one"
                )
        pending: list[dict[str, Any]] = []
        current: str | None = None
        total = counted = 0

        def flush() -> None:
            if pending and current:
                try:
                    conn.execute(by_name[current].insert(), pending)
                except SQLAlchemyError as exc:
                    why = str(getattr(exc, "orig", exc)).splitlines()[0]
                    raise TransferError(
                        f"table {current}: the database refused a row: {why}"
                    ) from None
                pending.clear()

        trailer: Any = None
        counts: dict[str, int] = {}
        for n, item in lines:
            if "trailer" in item:
                trailer = item["trailer"]
                break
            name, row = item.get("table"), item.get("row")
            if name not in by_name or not isinstance(row, dict):
                raise TransferError(f"line {n}: unknown table {name!r} or no row")
            if name != current:
                flush()
                if current and progress:
                    progress(current, counted)
                current, counted = name, 0
                conv = _converters(by_name[name])
            known = by_name[name].columns.keys()
            if set(row) - set(known):
                raise TransferError(
                    f"line {n}: {name} has no column {sorted(set(row) - set(known))[0]}"
                )
            try:
                pending.append({k: conv.get(k, lambda v: v)(v) for k, v in row.items()})
            except (TypeError, ValueError) as exc:
                raise TransferError(f"line {n}: {exc}") from None
            counted += 1
            total += 1
            counts[name] = counts.get(name, 0) + 1
            if len(pending) >= CHUNK:
                flush()
        flush()
        if trailer is None:
            raise TransferError(
                f"the export ends without its trailer after {total:,} rows: it was cut short"
            )
        _check_trailer(trailer, counts, digest.hexdigest())
        if current and progress:
            progress(current, counted)
        if conn.dialect.name == "postgresql":  # ids were given: move the sequences past them
            for t in tables():
                pk = list(t.primary_key.columns)
                if (
                    len(pk) == 1
                    and pk[0].autoincrement is not False
                    and pk[0].type.python_type is int
                ):
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{t.name}', '{pk[0].name}'),"
                            f" coalesce((SELECT max({pk[0].name}) FROM {t.name}), 0) + 1, false)"
                        )
                    )
    return total
