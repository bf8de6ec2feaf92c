"""Keeping the service: the database, backups, exports, where each setting came from.
(The daemon and the distributed worker and dispatcher are programs: `monitor.app.modes`.)"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from monitor.api.files import check_target, database_files
from monitor.config import Settings
from monitor.config_origin import Origin, origins
from monitor.core.errors import AdminError
from monitor.core.urls import UrlFilter
from monitor.store import Store, StoreError, open_store, sqlite_file
from monitor.store.transfer import TransferError, export, import_

Progress = Callable[[str, int], None]


def open_database(settings: Settings) -> Store:
    """The configured database, migrated; `StoreError` with a message when it cannot be.
    The config's `[[ignore]]` patterns go with it, so every ignore rule applies both."""
    store = open_store(settings.database.url)
    store.decisions.config_ignores = tuple((e.pattern, e.reason) for e in settings.ignore)
    store.decisions.config_filter = UrlFilter.of(settings.check.include, settings.check.exclude)
    return store


def config_origins(settings: Settings) -> list[Origin]:
    """`monitor config`: each effective setting (secrets masked) and where it came from."""
    file = None if settings.source == "built-in defaults" else settings.source
    return origins(settings, file)


def open_existing(settings: Settings) -> Store:
    """The configured database for a command that only reads it (or acts on what it holds):
    a SQLite file that is not there is an error, not a new empty database ("no pages yet"
    from `status` run in the wrong directory, and a stray monitor.sqlite left behind)."""
    file = sqlite_file(settings.database.url)  # None: open_database judges the URL
    if file is not None and not file.exists():
        raise StoreError(
            f"no database at {file}; run `monitor ingest` first "
            "(or point [database] url, --config or MONITOR_DATABASE__URL at yours)"
        )
    return open_database(settings)


def backup(store: Store, path: str, force: bool = False) -> int:
    """Copy the SQLite database to `path` consistently; returns its size in bytes."""
    target = Path(path)
    check_target(target, force, need_force=True, protected=database_files(store))
    store.backup(target)
    return target.stat().st_size


def export_to(
    store: Store, path: str, stdout: IO[str], force: bool = False, progress: Progress | None = None
) -> int:
    """The whole history as JSON lines to `path` (`-`: `stdout`); a file appears under its
    real name only once complete. Returns the rows written."""
    if path == "-":
        try:
            n = export(store, stdout, progress)
            stdout.flush()
        except BrokenPipeError:
            # the reader went away (`| head`): what it got is not an export; say so, and
            # let Python's exit-time flush write to nothing instead of failing quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise AdminError(
                "standard output was closed before the export was complete; "
                "what was written is not an export (import refuses it)"
            ) from None
        return n
    target = Path(path)
    check_target(target, force, need_force=True, protected=database_files(store))
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            n = export(store, out, progress)
        partial.replace(target)  # never a half-written export under the real name
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise AdminError(f"cannot write {path}: {exc.strerror or exc}") from None
    return n


def import_from(store: Store, path: str, stdin: IO[str], progress: Progress | None = None) -> int:
    """Load an export into this (new, empty) database, all or nothing; returns the rows."""
    try:
        if path == "-":
            return import_(store, stdin, progress)
        with open(path, encoding="utf-8") as src:
            return import_(store, src, progress)
    except TransferError as exc:
        raise AdminError(f"{path}: {exc}; nothing was imported") from None
    except OSError as exc:
        raise AdminError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise AdminError(f"{path}: not a UTF-8 text file; nothing was imported") from None


__all__ = [
    "AdminError",
    "StoreError",
    "backup",
    "export_to",
    "import_from",
    "open_database",
]
