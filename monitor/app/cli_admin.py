"""The database as files on the command line: `backup`, `export`, `import` (registered on
the `monitor` group by `monitor.app.cli`)."""

from __future__ import annotations

import sys
from typing import Any

import click

from monitor import api
from monitor.core.errors import EXIT_OK


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_obj
def backup(app: Any, path: str, force: bool) -> None:
    """Copy the SQLite database to PATH, consistently, even while `serve` is writing."""
    size = api.backup(app.existing_store, path, force)
    app.note(f"backup written to {path} ({size:,} bytes)")
    sys.exit(EXIT_OK)


@click.command(name="export")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_obj
def export_cmd(app: Any, path: str, force: bool) -> None:
    """Write the whole history as JSON lines (PATH, or - for stdout): pages, citations,
    URLs, every check, verified dates, archive copies. `monitor import` reads it back into
    a new database, SQLite or PostgreSQL."""
    said = lambda table, n: app.note(f"  {table}: {n:,} rows")  # noqa: E731
    n = api.export_to(app.existing_store, path, click.get_text_stream("stdout"), force, said)
    app.note(f"exported {n:,} rows" + ("" if path == "-" else f" to {path}"))
    sys.exit(EXIT_OK)


@click.command(name="import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_obj
def import_cmd(app: Any, path: str) -> None:
    """Load a `monitor export` file into this (new, empty) database, all or nothing."""
    said = lambda table, n: app.note(f"  {table}: {n:,} rows")  # noqa: E731
    n = api.import_from(app.store, path, click.get_text_stream("stdin"), said)
    app.note(f"imported {n:,} rows")
    sys.exit(EXIT_OK)


COMMANDS = [backup, export_cmd, import_cmd]
