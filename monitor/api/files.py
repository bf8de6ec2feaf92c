"""Files a user names for the monitor to write (`--out`, `backup PATH`, `export PATH`).

A path a user types may be anything: a device (`/dev/null`), a FIFO, a directory, a
symbolic link to a file they did not mean, or the monitor's own database and lock. So:
- only a regular file is ever replaced; a device, a FIFO or a directory is refused (as root,
  replacing `/dev/null` by a regular file broke the system's);
- a symbolic link is replaced itself (never written through to its target) and only with
  `--force`;
- the database, its journal files and its lock are never a target;
- the new content is written to a temporary file beside the target and renamed over it:
  a reader never sees half a file, and a failure leaves the old one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.core.errors import UsageError

if TYPE_CHECKING:
    from monitor.store import Store

DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def database_files(store: Store) -> list[Path]:
    """The files of the store's SQLite database that no output may replace."""
    from monitor.store.engine import sqlite_file  # the store is open: already imported
    from monitor.store.lock import lock_files

    live = sqlite_file(str(store.db.engine.url))
    if live is None:
        return []
    return [live.with_name(live.name + s) for s in DATABASE_COMPANIONS] + lock_files(live)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_target(path: Path, force: bool, need_force: bool, protected: Iterable[Path] = ()) -> None:
    """Refuse, with one clear line, a target that must not be written (module doc).
    `need_force`: an existing regular file is replaced only with `force` (backups and
    exports); reports and patched pages replace last week's file without it."""
    for p in protected:
        if _same(p, path):  # through a symbolic link too: both sides are resolved
            raise UsageError(
                f"{path} is the monitor's live database or its lock; choose another file"
            )
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        if not force:
            raise UsageError(
                f"{path} is a symbolic link; --force replaces the link itself "
                "(never the file it points to)"
            )
        return
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise UsageError(f"{path} is {kind} (a device, a FIFO?); not writing over it")
    if need_force and not force:
        raise UsageError(f"{path} exists; use --force to replace it")


def write_atomic(path: Path, data: bytes | str) -> None:
    """`data` to `path` through a temporary file beside it and a rename (the rename replaces
    a symbolic link itself, not its target). The new file gets the mode the umask gives."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600; a report is for its readers
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
