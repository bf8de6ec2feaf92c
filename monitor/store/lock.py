"""One monitor per database: `serve`, `run` and cron jobs refuse to overlap.

Two processes checking the same database would check every URL twice and race on the
confirmation counts. The lock lives where the data lives:
- SQLite: an exclusive `flock` on `<database>.lock` beside the file (released by the kernel
  when the process dies, even by kill -9, so a crash never leaves a stale lock);
- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a dedicated
  connection for the life of the process (also released when the process dies).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from monitor.core.errors import LockError
from monitor.store import Store

log = logging.getLogger(__name__)
ADVISORY_KEY = 0x6D6F6E69746F72  # "monitor"


def lock_files(database: Path) -> list[Path]:
    """The lock files of a SQLite database: `<real name>.lock` beside its real file, and,
    once the file exists, one named by its device and inode (before that its first user
    creates it, alone)."""
    real = database.expanduser().resolve()
    paths = [real.with_name(real.name + ".lock")]
    try:
        st = real.stat()
        paths.append(real.with_name(f".monitor-{st.st_dev}-{st.st_ino}.lock"))
    except OSError:
        pass
    return paths


class InstanceLock:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._files: list[IO[str]] = []
        self._conn: Any = None

    def acquire(self) -> InstanceLock:
        url = make_url(str(self.store.engine.url))
        if url.get_backend_name() == "sqlite":
            self._acquire_file(url.database)
        elif url.get_backend_name() == "postgresql":
            self._acquire_advisory()
        # other databases: no lock (documented); one process per database is up to you
        return self

    def _acquire_file(self, database: str | None) -> None:
        """Two `flock`s: `<real name>.lock` beside the database's real file (a symbolic link
        to it finds the same one), and one named by the file's device and inode in its
        directory (a hard link under another name finds that one)."""
        if not database or database == ":memory:":
            return
        for path in lock_files(Path(database)):
            fh = path.open("a+")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                fh.close()
                self.release()
                raise LockError(
                    f"another monitor is already using {database} ({holder}); "
                    "not starting a second one"
                ) from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
            self._files.append(fh)

    def _acquire_advisory(self) -> None:
        conn = self.store.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        conn.commit()
        if not got:
            conn.close()
            raise LockError(
                "another monitor is already using this PostgreSQL database "
                "(advisory lock held); not starting a second one"
            )
        self._conn = conn

    def release(self) -> None:
        for fh in self._files:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()
        self._files = []
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self._conn.commit()
            self._conn.close()
            self._conn = None

    def __enter__(self) -> InstanceLock:
        lock = self.acquire()
        # holding the lock, no other monitor is running: a run row still `running` belongs
        # to a process that was killed (kill -9, a power cut) and is marked so
        if n := self.store.runs.close_stale_runs():
            log.warning("%d run(s) left running by a killed monitor marked killed", n)
        return lock

    def __exit__(self, *exc: object) -> None:
        self.release()
