"""The service: locks, cron mode, eight simulated weeks, kill -9 and restart, systemd units."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from monitor import api
from monitor.api import report_due
from monitor.app.daemon import run_once
from monitor.config import Settings
from monitor.store import Store, open_store
from monitor.store.lock import InstanceLock, LockError
from tests.conftest import make_settings
from tests.world import World

ROOT = Path(__file__).resolve().parents[1]
UTC = dt.UTC


# ---------------------------------------------------------------- locks


def test_a_second_monitor_on_the_same_database_refuses(store: Store) -> None:
    first = InstanceLock(store).acquire()
    other = open_store(str(store.engine.url.render_as_string(hide_password=False)))
    try:
        with pytest.raises(LockError, match="another monitor is already using"):
            InstanceLock(other).acquire()
    finally:
        first.release()
    InstanceLock(other).acquire().release()  # free again once the first let go
    other.close()


def test_overlapping_cron_run_refuses_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "m.sqlite"
    store = open_store(f"sqlite:///{db}")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MONITOR_") or k == "MONITOR_ALLOW_NETWORKS"
    }
    env["MONITOR_DATABASE__URL"] = f"sqlite:///{db}"
    with InstanceLock(store):
        r = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--once"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 5  # busy: distinct from a configuration error (2)
    assert "another monitor is already using" in r.stderr and f"pid {os.getpid()}" in r.stderr
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------- time


def test_report_due_follows_the_cron_expression() -> None:
    cron = "0 6 * * mon"
    monday_7 = dt.datetime(2026, 1, 5, 7, tzinfo=UTC)  # a Monday
    assert report_due(None, monday_7, cron)
    assert not report_due(monday_7, monday_7 + dt.timedelta(days=6), cron)
    assert report_due(monday_7, monday_7 + dt.timedelta(days=7), cron)
    assert not report_due(monday_7, monday_7 + dt.timedelta(days=6, hours=22), cron)


def test_eight_simulated_weeks(store: Store, world: World, tmp_path: Path) -> None:
    """A clock advanced in 6-hour ticks for 56 days, `run --once` at every tick."""
    base = make_settings()
    settings = Settings(
        check=base.check,
        database={"url": "sqlite://"},
        archive={"endpoints": []},
        schedule={"jitter": 0, "report_cron": "0 6 * * mon"},
        report={"dir": str(tmp_path / "reports")},
    )
    alive = [world.url(f"/article/week-{i}") for i in range(3)]
    failing = [world.url(f"/nothere/week-{i}") for i in range(2)]
    page = tmp_path / "links.urls"
    page.write_text("\n".join(alive + failing) + "\n")
    api.ingest(store, [str(page)], settings)
    start = dt.datetime(2026, 1, 5, 7, tzinfo=UTC)  # Monday 07:00
    import asyncio

    for tick in range(56 * 4):
        asyncio.run(run_once(store, settings, now=start + dt.timedelta(hours=6 * tick)))
    checks = {u: [c.checked_at for c in store.checks.history(u, 100)] for u in alive + failing}
    for u in alive:  # once a week, no more, no less
        days = sorted((t - start).days for t in checks[u])
        assert days == [0, 7, 14, 21, 28, 35, 42, 49]
    for u in failing:  # day 0, 3, 6 (confirmed dead: 3 checks over 6 days), then monthly
        days = sorted((t - start).days for t in checks[u])
        assert days == [0, 3, 6, 36]
        rec = store.pages.url(u)
        assert rec.status == "dead" and rec.first_failure_at == start
        assert [h.status for h in store.checks.history(u)][::-1] == [
            "failing",
            "failing",
            "dead",
            "dead",
        ]
    reports = sorted(p.name for p in (tmp_path / "reports").iterdir())
    weekly = [r for r in reports if r.endswith(".md")]
    assert len(weekly) == 8 and weekly[0] == "report-2026-01-05.md"
    assert len(reports) == 32  # md, html, json, csv each week


# ---------------------------------------------------------------- kill -9 and restart


def _db_checks(db: Path) -> dict[str, tuple[int, str, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT url.url, count(url_check.id), url.status, url.consecutive_failures "
            "FROM url LEFT JOIN url_check ON url_check.url_id = url.id GROUP BY url.id"
        ).fetchall()
    return {u: (n, status, failures) for u, n, status, failures in rows}


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM url_check").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_kill_9_mid_run_then_restart_checks_every_url_exactly_once(
    world: World, tmp_path: Path
) -> None:
    urls = [world.url(f"/pause/k{i}") for i in range(24)] + [
        world.url(f"/nothere/k{i}") for i in range(6)
    ]
    page = tmp_path / "links.urls"
    page.write_text("\n".join(urls) + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        "[check]\nper_host_concurrency = 1\nper_host_rate = 0\nretry_wait = 0.05\n"
        "contact = 'mailto:serve-test@example.org'\n"
        "[schedule]\ncheck_every_seconds = 1\ngrace_seconds = 5\n"
        "[archive]\nendpoints = []\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MONITOR_") or k == "MONITOR_ALLOW_NETWORKS"
    }
    env["MONITOR_CONFIG"] = str(config)

    def monitor(db: Path, *args: str, **kw):
        e = dict(env, MONITOR_DATABASE__URL=f"sqlite:///{db}")
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            env=e,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kw,
        )

    # control: one uninterrupted cron-style run
    control = tmp_path / "control.sqlite"
    assert monitor(control, "ingest", str(page)).wait(60) == 0
    assert monitor(control, "run", "--once").wait(120) == 1
    expected = _db_checks(control)
    assert {n for n, _, _ in expected.values()} == {1}

    db = tmp_path / "killed.sqlite"
    assert monitor(db, "ingest", str(page)).wait(60) == 0
    daemon = monitor(db, "serve")
    try:
        assert _until(lambda: _count(db) >= 4, 30), "no checks stored in 30 s"
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    stored = _count(db)
    assert 4 <= stored < len(urls), "the kill should land mid-run"
    daemon = monitor(db, "serve")
    try:
        assert _until(lambda: _count(db) >= len(urls), 60), "restart did not finish the run"
        time.sleep(2.5)  # two more check intervals: nothing may be checked twice
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert _db_checks(db) == expected
    with sqlite3.connect(db) as conn:
        statuses = Counter(s for (s,) in conn.execute("SELECT status FROM run"))
    assert statuses["killed"] == 1  # the run the kill interrupted is marked, not left running


# ---------------------------------------------------------------- deployment

UNITS = ["monitor.service", "monitor-run.service", "monitor-run.timer"]


def _units_for_this_machine(tmp_path: Path) -> list[Path]:
    exe = str(Path(sys.executable).parent / "monitor")
    out = []
    for name in UNITS:
        text = (ROOT / "deploy" / name).read_text().replace("/opt/monitor/.venv/bin/monitor", exe)
        (tmp_path / name).write_text(text)
        out.append(tmp_path / name)
    return out


def test_systemd_units_verify(tmp_path: Path) -> None:
    units = _units_for_this_machine(tmp_path)
    for unit in units:
        text = unit.read_text()
        if unit.suffix == ".service":
            for key in (
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                "StateDirectory=monitor",
                "User=monitor",
                "StateDirectoryMode=0750",
                "UMask=0027",
                "StandardOutput=journal",
            ):
                assert key in text, (unit.name, key)
    assert "run --once" in (tmp_path / "monitor-run.service").read_text()
    assert "Persistent=true" in (tmp_path / "monitor-run.timer").read_text()
    tool = shutil.which("systemd-analyze")
    if tool is None:
        import configparser

        for unit in units:  # no systemd here: at least a strict parse of the sections
            cp = configparser.ConfigParser(strict=False, interpolation=None)
            cp.optionxform = str  # type: ignore[assignment,method-assign]
            cp.read_string(unit.read_text())
            assert cp.sections()[0] == "Unit"
        pytest.skip("systemd-analyze not installed: unit files only parsed")
    r = subprocess.run(
        [tool, "verify", *map(str, units)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "", r.stderr
    # and the check can fail: a bad value is reported
    bad = tmp_path / "bad.service"
    bad.write_text(
        (tmp_path / "monitor.service")
        .read_text()
        .replace("ProtectSystem=strict", "ProtectSystem=bogus")
    )
    r = subprocess.run([tool, "verify", str(bad)], capture_output=True, text=True, timeout=60)
    assert "bogus" in r.stderr
    # hardened: an exposure of 2.5 or lower on systemd's own scale (issue 18)
    for name in ("monitor.service", "monitor-run.service"):
        r = subprocess.run(
            [tool, "security", "--offline=true", "--threshold=25", name],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr
        score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", r.stdout).group(1))
        assert score <= 2.5, (name, score)


def _unit_service(text: str) -> dict[str, list[str]]:
    """The [Service] keys of a unit, each with its values in order."""
    out: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip()
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def test_the_units_leave_settings_to_the_config_file(world: World, tmp_path: Path) -> None:
    """What the unit runs, run as systemd would (its command, working directory and
    environment): the database the config file names is the one used (the units once set
    MONITOR_DATABASE__URL, which silently beat the file)."""
    for name in ("monitor.service", "monitor-run.service"):
        unit = _unit_service((ROOT / "deploy" / name).read_text())
        assert not [e for e in unit.get("Environment", []) if e.startswith("MONITOR_")], name
    unit = _unit_service((ROOT / "deploy" / "monitor-run.service").read_text())
    assert unit["TimeoutStartSec"] == ["3h"]
    state = tmp_path / "state"  # stands for /var/lib/monitor, the unit's working directory
    state.mkdir()
    chosen = tmp_path / "chosen.sqlite"
    config = tmp_path / "config.toml"
    config.write_text(
        f"[database]\nurl = 'sqlite:///{chosen}'\n[archive]\nendpoints = []\n"
        "[check]\ncontact = 'mailto:admin@example.org'\n"
    )
    page = tmp_path / "urls.txt"
    page.write_text(world.url("/article/unit") + "\n")
    argv = unit["ExecStart"][0].split()
    argv[0] = str(Path(sys.executable).parent / "monitor")
    argv[argv.index("--config") + 1] = str(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= dict(e.split("=", 1) for e in unit.get("Environment", []))
    env["MONITOR_ALLOW_NETWORKS"] = "127.0.0.0/8"
    run = {"cwd": state, "env": env, "capture_output": True, "text": True, "timeout": 120}
    ingest = [*argv[: argv.index("run")], "ingest", str(page)]
    assert subprocess.run(ingest, **run).returncode == 0
    r = subprocess.run(argv, **run)
    assert r.returncode in (0, 1), r.stderr
    assert _db_checks(chosen)[world.url("/article/unit")][0] == 1  # checked, in that file
    assert not (state / "monitor.sqlite").exists()  # the built-in default was not used


def test_backup_while_writing(tmp_path: Path) -> None:
    """The SQLite online backup gives a consistent copy while another connection writes."""
    import threading

    db = tmp_path / "live.sqlite"
    store = open_store(f"sqlite:///{db}")
    links = tmp_path / "l.urls"
    links.write_text("".join(f"http://h{i}.example/p\n" for i in range(500)))
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            links.write_text("".join(f"http://h{i}.example/p\n" for i in range(n % 300, 500)))
            api.ingest(store, [str(links)], make_settings())
            n += 37

    api.ingest(store, [str(links)], make_settings())  # 500 URLs in, then writes go on
    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.3)
    try:
        store.backup(tmp_path / "copy.sqlite")
    finally:
        stop.set()
        t.join(30)
    with sqlite3.connect(tmp_path / "copy.sqlite") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM url").fetchone()[0] == 500
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0011"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATABASE__URL"] = f"sqlite:///{db}"
    r = subprocess.run(
        [sys.executable, "-m", "monitor", "backup", str(tmp_path / "copy.sqlite")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "exists; use --force" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "monitor", "backup", "--force", str(tmp_path / "copy.sqlite")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "backup written" in r.stderr
    store.close()


def test_the_units_reports_are_readable_by_the_monitor_group(world: World, tmp_path: Path) -> None:
    """Under the unit's UMask the weekly report and the database are readable by the
    `monitor` group (maintainers), by nobody else; the report is written in the state
    directory, where `run --once` of the unit writes it."""
    unit = _unit_service((ROOT / "deploy" / "monitor-run.service").read_text())
    mask = int(unit["UMask"][0], 8)
    state = tmp_path / "state"
    state.mkdir()
    config = tmp_path / "config.toml"
    config.write_text("[archive]\nendpoints = []\n[check]\ncontact = 'mailto:admin@example.org'\n")
    page = tmp_path / "urls.txt"
    page.write_text(world.url("/article/unit") + "\n")
    argv = [str(Path(sys.executable).parent / "monitor"), "--config", str(config)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_ALLOW_NETWORKS"] = "127.0.0.0/8"
    run = {"cwd": state, "env": env, "capture_output": True, "text": True, "timeout": 120}
    as_unit = {**run, "preexec_fn": lambda: os.umask(mask)}
    assert subprocess.run([*argv, "ingest", str(page)], **as_unit).returncode == 0
    r = subprocess.run([*argv, *unit["ExecStart"][0].split()[3:]], **as_unit)
    assert r.returncode in (0, 1), r.stderr
    reports = sorted((state / "reports").glob("report-*"))
    assert reports, r.stderr
    for f in [*reports, state / "monitor.sqlite"]:
        mode = f.stat().st_mode & 0o777
        assert mode & 0o040 and not mode & 0o007, (f.name, oct(mode))
