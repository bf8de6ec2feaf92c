"""The `monitor` command's entry point: a standby checking process is started (for `monitor
run`, `monitor.standby`) before the command line and everything behind it are imported, so
the two start-ups overlap."""

from __future__ import annotations

import sys

from monitor import standby


def main() -> None:
    standby.start(standby.wanted(sys.argv[1:]))
    from monitor.cli import main as cli_main

    cli_main()
