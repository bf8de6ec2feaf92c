"""Where an ingest's time and memory go: `monitor ingest PAGE` into a new SQLite file, run
in this process with the stages of extraction and storing wrapped, each printing the wall
clock and the resident memory (now, and the peak so far) as it starts and ends.

    .venv/bin/python bench/ingest_phases.py PAGE [--db sqlite:///tmp/phases.sqlite]

The peak of an ingest is the largest `peak` printed; `/usr/bin/time monitor ingest PAGE`
reads about the same. The last line adds the time the cyclic garbage collector took, and
how many collections it made. Compare two trees by running this with `PYTHONPATH` at each.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

T0 = time.perf_counter()
COLLECTED = {"seconds": 0.0, "runs": 0, "full": 0, "started": 0.0}


def _collection(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        COLLECTED["started"] = time.perf_counter()
        return
    COLLECTED["seconds"] += time.perf_counter() - COLLECTED["started"]
    COLLECTED["runs"] += 1
    COLLECTED["full"] += info["generation"] == 2


def memory() -> str:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    now, peak = (int(status[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM"))
    return f"{now:4d} MB now, peak {peak:4d} MB"


def timed(owner: Any, name: str) -> None:
    """Replace `owner.name` by a wrapper that reports its start and end."""
    inner: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        print(f"{time.perf_counter() - T0:6.2f} s  > {name:14s} {memory()}", file=sys.stderr)
        try:
            return inner(*args, **kwargs)
        finally:
            print(f"{time.perf_counter() - T0:6.2f} s  < {name:14s} {memory()}", file=sys.stderr)

    setattr(owner, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page")
    ap.add_argument("--db", help="a database URL (default: a new SQLite file)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="phases-")
    os.environ["MONITOR_DATABASE__URL"] = args.db or f"sqlite:///{tmp}/phases.sqlite"
    from monitor.pages import extract, ingest
    from monitor.store.pages import Pages

    for owner, name in [
        (ingest, "extract"), (extract, "parse_html"), (extract, "html_lines"),
        (extract, "_assemble"), (extract, "locate"), (Pages, "sync_document"),
    ]:  # fmt: skip
        timed(owner, name)
    from monitor.app.launch import main as monitor_main

    sys.argv = ["monitor", "--config", "/dev/null", "-q", "ingest", args.page]
    # the command ends by os._exit after the atexit handlers (`standby.exit_now`)
    gc.callbacks.append(_collection)
    atexit.register(
        lambda: print(
            f"{time.perf_counter() - T0:6.2f} s  end {memory()}; the collector "
            f"{COLLECTED['seconds']:.2f} s in {COLLECTED['runs']} collections "
            f"({COLLECTED['full']} full)",
            file=sys.stderr,
        )
    )
    monitor_main()


if __name__ == "__main__":
    main()
