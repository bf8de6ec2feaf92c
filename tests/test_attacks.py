"""What an attacker or a careless operator does through the command line (issue 31), each a
reproduction of a break found, run the way it was found: the command as typed, against
local servers and files. None may lose data, leak a secret, hang, or exit 4."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import citation_page, monitor
from tests.world import World


@pytest.fixture
def ingested(env: dict[str, str], world: World, tmp_path: Path) -> Path:
    page = citation_page(world, tmp_path)
    assert monitor(env, "ingest", str(page)).returncode == 0
    return page


def clean(r: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in r.stderr and r.returncode != 4


def test_backup_and_export_never_replace_a_fifo_a_device_or_the_lock(
    env: dict[str, str],
    ingested: Path,
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (["backup", str(fifo), "--force"], ["export", str(fifo), "--force"]):
        r = monitor(env, *args)
        assert r.returncode == 2 and "not a regular file" in r.stderr and clean(r), r.stderr
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    null = tmp_path / "null"  # stands for /dev/null: a character device, through a link
    null.symlink_to("/dev/null")
    r = monitor(env, "backup", str(null), "--force")
    assert r.returncode == 0 and null.is_symlink() is False  # the link replaced, not /dev/null
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    r = monitor(env, "backup", "/dev/null", "--force")
    assert r.returncode == 2 and "not a regular file" in r.stderr
    lock = tmp_path / "m.sqlite.lock"
    lock.touch()
    r = monitor(env, "backup", str(lock), "--force")
    assert r.returncode == 2 and "live database or its lock" in r.stderr and clean(r)


def test_report_and_patch_out_never_write_through_a_link_or_into_a_fifo(
    env: dict[str, str],
    ingested: Path,
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.md"
    link.symlink_to(victim)
    for args in (["report", "--out", str(link)], ["patch", str(ingested), "--out", str(link)]):
        r = monitor(env, *args)
        assert r.returncode == 2 and "symbolic link" in r.stderr and clean(r), r.stderr
        assert victim.read_text() == "keep me"
    r = monitor(env, "report", "--out", str(link), "--force")
    assert r.returncode == 0 and victim.read_text() == "keep me" and not link.is_symlink()
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    r = monitor(env, "report", "--out", str(fifo))  # would hang on open() before
    assert r.returncode == 2 and "not a regular file" in r.stderr


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("MONITOR_SCHEDULE__ALIVE_DAYS", "1e308", "at most 36500"),
        ("MONITOR_SCHEDULE__DEAD_DAYS", "1e300", "at most 36500"),
        ("MONITOR_SCHEDULE__CHECK_EVERY_SECONDS", "1e300", "at most"),
        ("MONITOR_CHECK__PER_HOST_RATE", "1e-300", "at least 0.001"),
        ("MONITOR_CHECK__MAX_BODY_BYTES", "1000000000000000", "at most"),
        ("MONITOR_CHECK__USER_AGENT", "bot\r\nX-Evil: 1", "printable text"),
        ("MONITOR_CHECK", '{"x":', "MONITOR_CHECK"),
        ("MONITOR_IGNORE", "notjson", "MONITOR_IGNORE"),
        ("MONITOR_CHECK__HOSTS", "[1", "not valid JSON"),
        ("MONITOR_CHECK__ALLOW_NETWORKS", "{{", "not valid JSON"),
    ],
)
def test_settings_the_code_cannot_use_are_refused_at_once(
    env: dict[str, str],
    variable: str,
    value: str,
    said: str,
) -> None:
    r = monitor({**env, variable: value}, "status", "--brief")
    assert r.returncode == 2 and said in r.stderr and clean(r), r.stderr


def test_a_config_that_is_no_file_or_too_deep_is_one_clear_line(
    env: dict[str, str],
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "c.toml"
    os.mkfifo(fifo)
    deep = tmp_path / "deep.toml"
    deep.write_text("a=" + "[" * 100_000 + "]" * 100_000 + "\n")
    for cfg, said in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"),
                      (deep, "nested too deeply")):  # fmt: skip
        r = monitor(env, "--config", str(cfg), "status", "--brief")
        assert r.returncode == 2 and said in r.stderr and clean(r), r.stderr


def test_huge_numbers_and_past_days_on_the_command_line(
    env: dict[str, str],
    ingested: Path,
    world: World,
) -> None:
    url = world.url("/article/cli")
    for args in (["history", url, "--limit", "9" * 30], ["decisions", "--undo", "9" * 30]):
        r = monitor(env, *args)
        assert r.returncode == 2 and "range" in r.stderr and clean(r), r.stderr
    r = monitor(env, "override", url, "alive", "--reason", "x", "--until", "2001-01-01")
    assert r.returncode == 2 and "is past" in r.stderr


def test_a_refresh_loop_is_a_loop_not_alive(env: dict[str, str], world: World) -> None:
    a, b = "/attack/refresh-a", "/attack/refresh-b"
    world.pages[a] = (200, f'<meta http-equiv="refresh" content="0;url={b}"><title>A</title>', {})
    world.pages[b] = (200, f'<meta http-equiv="refresh" content="0;url={a}"><title>B</title>', {})
    r = monitor(env, "check", world.url(a), "--format", "json")
    (row,) = json.loads(r.stdout)
    assert row["verdict"] == "dead" and "refreshes back" in row["reason"], row


def test_control_characters_from_a_page_never_reach_a_terminal(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    """A cited title with ESC]0; (retitles the window), ESC]8;; (a hidden hyperlink) and the
    8-bit CSI U+009B: stripped from CSV, escaped in JSON."""
    evil = "Kazak Women\x1b]0;owned\x07 Sold\x1b]8;;http://evil/\x1b\\ as\x9b2J Sex Slaves"
    page = tmp_path / "evil.html"
    page.write_text(f'<ul><li><a href="{world.url("/article/cli")}">{evil}</a> 2011</li></ul>')
    for fmt in ("csv", "json"):
        r = monitor(env, "check", str(page), "--format", fmt)
        assert r.returncode in (0, 1) and clean(r), r.stderr
        assert not any(c in r.stdout for c in "\x1b\x07\x9b"), repr(r.stdout)
    rows = json.loads(monitor(env, "check", str(page), "--format", "json").stdout)
    assert "\x9b" in rows[0]["citations"][0]["title"]  # escaped, not lost


def test_secrets_never_printed_by_config_or_in_an_error_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    cfg = tmp_path / "secret.toml"
    cfg.write_text(
        "[database]\nurl = 'postgresql+psycopg://alice:pw1@127.0.0.1:9/db?password=pw2'\n"
        "[check]\ncanary_url = 'https://bob:pw3@canary.example/ping?token=pw4&x=1'\n"
        "[[archive.endpoints]]\nname = 'mine'\ncdx = 'https://cdx.example/cdx?apikey=pw5'\n"
        "replay = 'https://cdx.example/{timestamp}/{url}'\n"
    )
    shown = monitor(env, "--config", str(cfg), "config")
    assert shown.returncode == 0 and "canary.example" in shown.stdout, shown.stderr
    failed = monitor(env, "--config", str(cfg), "status")  # the database does not answer
    assert failed.returncode == 2 and clean(failed), failed.stderr
    for out in (shown.stdout + shown.stderr, failed.stdout + failed.stderr):
        assert not any(f"pw{i}" in out for i in range(1, 6)), out
    typed = tmp_path / "typed.toml"
    typed.write_text("[report.email]\npassword = 12345678\n")
    r = monitor(env, "--config", str(typed), "status")
    assert r.returncode == 2 and "12345678" not in r.stderr and "password" in r.stderr


def test_one_monitor_per_database_through_a_symlink_or_a_hard_link(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from monitor.core.errors import LockError
    from monitor.store import open_store
    from monitor.store.lock import InstanceLock

    db = tmp_path / "m.sqlite"
    first = open_store(f"sqlite:///{db}")
    (tmp_path / "sym.sqlite").symlink_to(db)
    (tmp_path / "hard.sqlite").hardlink_to(db)
    held = InstanceLock(first).acquire()
    try:
        for name in ("sym.sqlite", "hard.sqlite", "m.sqlite"):
            # (SQLite itself cannot open a hard link to a database in WAL mode: what matters
            # is that the lock would stop a second monitor before it tried)
            other = SimpleNamespace(engine=SimpleNamespace(url=f"sqlite:///{tmp_path / name}"))
            with pytest.raises(LockError, match="already using"):
                InstanceLock(other).acquire()  # type: ignore[arg-type]
    finally:
        held.release()
    again = InstanceLock(first).acquire()  # released: the next one gets it
    again.release()
    first.close()


def test_a_newer_or_locked_database_and_two_first_commands_at_once(
    env: dict[str, str], ingested: Path, tmp_path: Path
) -> None:
    import sqlite3

    db = tmp_path / "m.sqlite"
    hold = sqlite3.connect(db)
    hold.execute("BEGIN EXCLUSIVE")  # another program writing
    r = monitor(env, "ignore", "https://nowhere.example/*")
    hold.rollback()
    assert r.returncode == 5 and "locked" in r.stderr and clean(r), r.stderr
    newer = tmp_path / "newer.sqlite"
    newer.write_bytes(db.read_bytes())
    with sqlite3.connect(newer) as c:
        c.execute("UPDATE alembic_version SET version_num = '9999'")
    for args in (["status", "--brief"], ["backup", str(tmp_path / "b.sqlite")]):
        r = monitor({**env, "MONITOR_DATABASE__URL": f"sqlite:///{newer}"}, *args)
        assert r.returncode == 2 and "newer monitor" in r.stderr and clean(r), r.stderr
    fresh = {**env, "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'fresh.sqlite'}"}
    cmd = [sys.executable, "-m", "monitor", "ingest", str(ingested)]
    procs = [subprocess.Popen(cmd, env=fresh, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        # "table document already exists", then "UNIQUE constraint failed: document.source"
        assert p.returncode == 0, err
    with sqlite3.connect(tmp_path / "fresh.sqlite") as c:  # one page, its citations once
        assert c.execute("SELECT count(*) FROM document").fetchone() == (1,)
        assert c.execute("SELECT count(*) FROM citation").fetchone() == (3,)


def test_an_ignore_pattern_too_long_to_match_is_refused(
    env: dict[str, str], ingested: Path, tmp_path: Path
) -> None:
    huge = "*" + "a*" * 5_000_000  # 10 MB: a run of 17 URLs took 117 s and 5 GB with it
    cfg = tmp_path / "ignore.toml"
    cfg.write_text(f"[[ignore]]\npattern = '{huge[:3000]}'\n")
    r = monitor(env, "--config", str(cfg), "status", "--brief")
    assert r.returncode == 2 and "2000" in r.stderr and clean(r), r.stderr[-300:]
    r = monitor(env, "ignore", huge[:5000])
    assert r.returncode == 2 and "2,000 characters" in r.stderr and clean(r)


def test_a_response_head_sent_a_byte_at_a_time_meets_the_whole_deadline(
    env: dict[str, str],
) -> None:
    """`ingest URL` against a server sending its head a byte every half second waited
    hundreds of seconds (each byte reset the read timeout). Now [check] timeout holds from
    the first byte sent."""
    import socket
    import threading
    import time

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def drip() -> None:
        srv.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" * 50:
                    if stop.is_set():
                        break
                    try:
                        conn.send(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.5)

    threading.Thread(target=drip, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.getsockname()[1]}/page.html"
        started = time.monotonic()
        r = monitor({**env, "MONITOR_CHECK__TIMEOUT": "3"}, "ingest", url)
        took = time.monotonic() - started
    finally:
        stop.set()
        srv.close()
    assert r.returncode == 2 and "within 3 s" in r.stderr and clean(r), r.stderr
    assert took < 30, took


def test_import_of_an_endless_input_is_refused_not_read_until_memory_runs_out(
    env: dict[str, str], tmp_path: Path
) -> None:
    fresh = {**env, "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'new.sqlite'}"}
    r = monitor(fresh, "import", "/dev/zero")
    assert r.returncode == 2 and "not an export" in r.stderr and clean(r), r.stderr
    with open("/dev/zero", "rb") as zero:
        p = subprocess.run(
            [sys.executable, "-m", "monitor", "import", "-"], env=fresh, stdin=zero,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert p.returncode == 2 and "not an export" in p.stderr and clean(p), p.stderr


def test_checking_processes_that_cannot_start_leave_the_work_to_this_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ulimit -n 8` or an interpreter that will not run: the run printed a traceback and
    exited 1 (cron read "some links are not alive"). Now the hosts go to the processes
    that did start, this one at least."""
    import asyncio

    from monitor.checking import fanout, standby
    from tests.conftest import make_settings

    def cannot(*_: object) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(standby, "spawn", cannot)
    hosts = [World() for _ in range(3)]
    for i, w in enumerate(hosts):
        w.start(f"127.0.0.{40 + i}")
    try:
        urls = [w.url(f"/article/fan-{k}") for w in hosts for k in range(2)]
        got: list[object] = []
        cfg = make_settings(per_host_rate=0).check
        n = asyncio.run(fanout.check_across_processes(urls, cfg, got.append, processes=3))
    finally:
        for w in hosts:
            w.stop()
    assert n == 3 and len(got) == len(urls)  # every URL checked, here


@pytest.mark.parametrize(
    "host",
    [b"exa\xffmple.com", b"exa\xc3mple.com", b"exa\xed\xa0\x80mple.com", b"exa\xe2\x80\xaemple.com",
     b"exa%ffmple.com", b"exa%00mple.com", b"[::1", b"xn--a.com", b"a" * 300 + b".com"],
)  # fmt: skip
def test_check_of_a_page_whose_link_has_invalid_bytes_in_its_host(
    env: dict[str, str], tmp_path: Path, host: bytes
) -> None:
    """`check PAGE` of such a page gave exit 4 (ingest handled the same page): now it is
    skipped or judged, as ingest does."""
    page = tmp_path / "bad-host.html"
    page.write_bytes(
        b'<html><head><meta charset="utf-8"></head><body><ul><li><a href="http://'
        + host + b'/report">A report on migration</a> 2011</li></ul></body></html>'
    )  # fmt: skip
    r = monitor({**env, "MONITOR_CHECK__TIMEOUT": "3"}, "check", str(page), "--format", "json")
    assert r.returncode in (0, 1, 3) and clean(r), r.stderr
    assert monitor(env, "ingest", str(page)).returncode in (0, 2)
