"""The `monitor` command's entry point: a standby checking process is started (for `monitor
run`, `monitor.checking.standby`) before the command line and everything behind it are imported, so
the two start-ups overlap; and the process ends without tearing its modules down.

Why the quick exit: once the command is done and its files, database and log handlers are
closed, the interpreter's own shutdown still clears some 800 modules and collects their
objects, 0.13-0.17 s of CPU on this 2-core machine for nothing (a re-check of 10,000 URLs
takes 3.5 s). `exit_now` does what a clean exit needs (threads done, atexit handlers, the
standard streams flushed) and then `os._exit`.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading

from monitor.checking import standby


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


def main() -> None:
    standby.start(standby.wanted(sys.argv[1:]))
    # The imports make some 165,000 objects that live as long as the process: the collector
    # ran through them while they were made and found nothing to free (8% of the imports'
    # CPU, 12 alternating runs). Frozen, later collections pass them by.
    gc.disable()
    try:
        from monitor.app.cli import main as cli_main

        gc.freeze()
    finally:
        gc.enable()
    try:
        cli_main()
    except SystemExit as exc:
        exit_now(exit_code(exc))
