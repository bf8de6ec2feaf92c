"""The `monitor` command's entry point: a standby checking process is started (for `monitor
run`, `monitor.checking.standby`) before the command line and everything behind it are imported, so
the two start-ups overlap; and the process ends without tearing its modules down.

Why the quick exit: once the command is done and its files, database and log handlers are
closed, the interpreter's own shutdown still clears every module imported and collects
their objects, CPU spent for nothing, in every process (measured: docs/performance.md,
"Figures behind the code"). `standby.exit_now` does what a clean exit needs (threads done,
atexit handlers, the standard streams flushed) and then `os._exit`.
"""

from __future__ import annotations

import gc
import sys

from monitor.checking import standby
from monitor.checking.standby import exit_code, exit_now


def main() -> None:
    standby.start(standby.wanted(sys.argv[1:]))
    # The imports make many objects that live as long as the process: the collector ran
    # through them while they were made and found nothing to free, CPU of the imports spent
    # for nothing (measured: docs/performance.md, "Figures behind the code"). Frozen, later
    # collections pass them by.
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
