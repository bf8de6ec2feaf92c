"""Checking processes started at the top of `monitor run`, before it is known they are needed.

A child's start-up is mostly imports (aiohttp, numpy, pydantic, the checker), and so is the
parent's (SQLAlchemy, the command line), then the parent opens the database and reads what
is due. Started one after the other, the second core idled through the parent's start-up
and the parent then worked alone through the child's, so the child took its first host
well after the parent (measured: docs/performance.md, "Figures behind the code"). A
standby child imports while the parent does, then waits on its stdin; the run hands it
hosts (`fanout.run_child`) or, when it needs fewer processes, stops it (it has done nothing
but import, and had a core of its own to do it on).

`monitor run` starts one, and so does `monitor check` of a page file large enough to cite
the thousands of URLs a run spreads over processes (`BIG_PAGE_BYTES`): its parent spends
its first second importing and reading the page, the child's imports fit in that second.
Only on a machine with more than one core, and not when the configuration says one
process (`[check] processes = 1`). This module imports only the standard library: it runs
before the rest of monitor is imported.

Both kinds of process, the command and a checking child, end with `exit_now`: once the work
is done and files, database and log handlers are closed, the interpreter's own shutdown
still clears every module imported and collects their objects, CPU spent for nothing
(measured: docs/performance.md, "Figures behind the code").
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Sequence
from pathlib import Path

_waiting: list[subprocess.Popen[bytes]] = []
_VALUED = ("--config", "--log-format")  # the command line's global options taking a value
# A page file this large cites more URLs than one process takes (`fanout.AUTO_MIN_URLS`,
# 2,000) at the 100 to 200 bytes of markup a citation takes at least. A smaller page with
# as many URLs starts its child later; a larger one citing fewer costs an unused start-up.
BIG_PAGE_BYTES = 256 * 1024


def child_command() -> list[str]:
    return [sys.executable, "-m", "monitor.checking.fanout"]


def spawn(command: Sequence[str]) -> subprocess.Popen[bytes]:
    """A checking child with its three pipes (`fanout` speaks over stdin and stdout)."""
    return subprocess.Popen(
        list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _configured_processes(config: str | None) -> int:
    """`[check] processes` as far as it can be read without the settings' machinery (the
    environment, then the configuration file); 0 (automatic) when unknown."""
    raw = os.environ.get("MONITOR_CHECK__PROCESSES")
    if raw is None:
        path = config or os.environ.get("MONITOR_CONFIG") or "config.toml"
        try:
            raw = tomllib.loads(Path(path).read_text()).get("check", {}).get("processes")
        except (OSError, ValueError, AttributeError):
            raw = None
    try:
        return int(raw) if raw is not None else 0
    except (TypeError, ValueError):
        return 0


def wanted(argv: Sequence[str]) -> int:
    """Standby children for this command line: one fewer than the processes a run may use,
    for `monitor run` and the `monitor check` of a large page file. A misread command line
    costs at most an unused start-up."""
    config: str | None = None
    command = None
    args = iter(argv)
    for arg in args:
        if arg in _VALUED:
            value = next(args, None)
            config = value if arg == "--config" else config
        elif arg.startswith("--config="):
            config = arg.split("=", 1)[1]
        elif not arg.startswith("-"):
            command = arg
            break
    runs = command == "run" or (command == "check" and any(_big_page(arg) for arg in args))
    if not runs or cores() < 2:
        return 0
    processes = _configured_processes(config)
    if processes == 1:
        return 0
    return min(processes or 2, cores()) - 1


def _big_page(arg: str) -> bool:
    """`arg` names a page file of at least `BIG_PAGE_BYTES` (an option's value may be
    read as one too: a misread costs an unused start-up)."""
    if arg.startswith("-") or "://" in arg:
        return False
    try:
        return os.stat(arg).st_size >= BIG_PAGE_BYTES
    except (OSError, ValueError):
        return False


def start(n: int) -> None:
    """Start `n` checking children ahead; one that cannot be started (no file descriptors
    left, an interpreter that will not run) is simply not there: the run checks in fewer
    processes, this one at least."""
    for _ in range(n):
        try:
            _waiting.append(spawn(child_command()))
        except OSError:
            break
    if n:
        atexit.register(stop_rest)


def take() -> subprocess.Popen[bytes] | None:
    """A standby child still alive, if any (each is taken once)."""
    while _waiting:
        proc = _waiting.pop(0)
        if proc.poll() is None:
            return proc
    return None


def stop_rest(keep: int = 0) -> None:
    """Stop the standby children beyond the first `keep`: this run does not need them."""
    while len(_waiting) > keep:
        proc = _waiting.pop()
        proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def exit_code(exc: SystemExit) -> int:
    """The status `sys.exit(x)` would give: None is 0, an int itself, anything else is
    printed on stderr and is 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def exit_now(code: int) -> None:
    """End the process with `code` after atexit handlers and flushed streams, skipping the
    modules' teardown. With a thread still running that is not a daemon, the interpreter's
    ordinary exit runs instead (it waits for that thread)."""
    main = threading.main_thread()
    if any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.exit(code)
    # CPython's own call (multiprocessing's children use it too): logging.shutdown, the
    # standby children, whatever else registered
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe
            stream.flush()
    os._exit(code)
