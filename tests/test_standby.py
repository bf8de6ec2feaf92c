"""Standby checking processes: started for `monitor run` before its imports, used by the
run's fan-out when it needs them, stopped when it does not, gone when the parent is."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.checking import fanout, standby
from monitor.checking.fanout import check_across_processes
from monitor.core.results import CheckResult
from tests.conftest import make_settings
from tests.fleet_world import FleetWorld, spread_over_two


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetWorld]:
    w = FleetWorld(6, delay=0.05).start()
    yield w
    w.stop()


@pytest.fixture(autouse=True)
def _none_left() -> Iterator[None]:
    yield
    standby.stop_rest()


def test_a_run_over_two_processes_feeds_the_standby_child(
    fleet: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    standby.start(1)
    (waiting,) = standby._waiting
    spawned: list[object] = []
    monkeypatch.setattr(standby, "spawn", lambda cmd: spawned.append(cmd))  # must not be used
    urls = [fleet.url(h, n) for h in range(6) for n in range(6)]
    got = spread_over_two(urls)
    assert sorted(r.url for r in got) == sorted(urls)
    assert spawned == [] and waiting.returncode == 0  # it did its part and ended
    assert not standby._waiting


def test_a_run_that_needs_one_process_stops_the_standby_children(
    fleet: FleetWorld,
) -> None:
    standby.start(2)
    children = list(standby._waiting)
    urls = [fleet.url(0, 100 + n) for n in range(3)]
    got: list[CheckResult] = []
    cfg = make_settings(processes=1, sibling_probe=False).check
    assert asyncio.run(check_across_processes(urls, cfg, got.append)) == 1
    assert len(got) == 3
    assert all(c.returncode is not None for c in children) and not standby._waiting


def test_a_standby_child_whose_parent_goes_away_ends_by_itself() -> None:
    child = standby.spawn(fanout.child_command())
    assert child.stdin is not None
    child.stdin.close()  # what the parent's exit does
    try:
        assert child.wait(timeout=60) == 0
    except subprocess.TimeoutExpired:
        child.kill()
        raise
    assert child.stderr is not None and child.stderr.read() == b""  # quietly


def test_the_command_starts_a_standby_child_for_run(tmp_path: Path) -> None:
    """`python -m monitor run` goes through the launcher: its standby child is a child of
    the command's process, and nothing is left behind when the command ends (the launcher
    ends the process itself, after the atexit handlers: the last one prints)."""
    script = (
        "import atexit, sys\n"
        "from monitor.checking import standby\n"
        "standby.cores = lambda: 2\n"
        "started, pids = [], []\n"
        "real = standby.start\n"
        "def start(n):\n"
        "    started.append(n)\n"
        "    real(n)\n"
        "    pids.extend(p.pid for p in standby._waiting)\n"
        "standby.start = start\n"
        "atexit.register(lambda: print(started, pids))\n"
        "sys.argv = ['monitor', '--config', sys.argv[1], 'run', '--help']\n"
        "from monitor.app.launch import main\n"
        "main()\n"
    )
    (tmp_path / "c.toml").write_text("")
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "c.toml")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    started, pids = out.stdout.strip().splitlines()[-1].split(" ", 1)
    assert started == "[1]" and pids.startswith("[") and pids != "[]"
    for pid in ast.literal_eval(pids):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # stopped and reaped when the command ended


def test_a_checking_child_preloads_what_its_first_check_would_import() -> None:
    """aiohttp and numpy are imported on demand (a command that checks nothing never pays
    for them); `hosts.preload` is how a waiting child gets them out of the way."""
    script = (
        "import sys\n"
        "from monitor.checking import fanout\n"
        "from monitor.checking.hosts import preload\n"
        "lazy = [m for m in ('aiohttp', 'numpy') if m not in sys.modules]\n"
        "preload()\n"
        "print(lazy, [m for m in ('aiohttp', 'numpy') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['aiohttp', 'numpy'] ['aiohttp', 'numpy']"
