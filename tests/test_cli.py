"""The `monitor` command as a user runs it: a real subprocess, real files, the local web."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.world import World

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {
    "url",
    "verdict",
    "http_status",
    "final_url",
    "reason",
    "checked_at",
    "elapsed_ms",
    "citations",
    "archive_url",
}


def monitor(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path = ROOT):
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def citation_page(world: World, tmp_path: Path) -> Path:
    f = tmp_path / "page.html"
    f.write_text(
        "<html><body>"
        f'<p><a href="{world.url("/article/cli")}"><b>Kazak Women Sold as Sex Slaves</b></a><br>'
        "IWPR, 17 Nov 05<br>[accessed 16 February 2011]</p>"
        f'<p><a href="{world.url("/missing")}"><b>A vanished report</b></a><br>'
        "Somebody, 2004<br>At one time this article had been archived and may possibly still be "
        f'accessible <a href="https://web.archive.org/web/20110216000000/{world.url("/missing")}">[here]</a><br>'
        "[accessed 7 September 2011]</p>"
        f'<p><a href="{world.url("/drifted-article")}"><b>Kazak Women Sold as Sex Slaves</b></a><br>'
        "IWPR, 17 Nov 05, mirror<br>[accessed 16 February 2011]</p>"
        '<p><a href="javascript:void(0)">menu</a></p>'
        "</body></html>"
    )
    return f


def test_version_and_help(env: dict[str, str]) -> None:
    r = monitor(env, "--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout
    r = monitor(env, "--help")
    assert r.returncode == 0 and "ingest" in r.stdout and "history" in r.stdout


def test_check_page_jsonl_contract(env: dict[str, str], world: World, tmp_path: Path) -> None:
    r = monitor(env, "check", str(citation_page(world, tmp_path)), "--format", "jsonl")
    assert r.returncode == 1, r.stderr  # one link is dead
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 3
    assert all(set(row) >= CONTRACT for row in rows)
    # the page's citation title is checked against the live page: drift is caught
    drifted = next(row for row in rows if row["url"] == world.url("/drifted-article"))
    assert drifted["verdict"] == "drifted" and drifted["title_score"] < 60
    by = {row["url"]: row for row in rows}
    alive, dead = by[world.url("/article/cli")], by[world.url("/missing")]
    assert alive["verdict"] == "alive" and alive["http_status"] == 200
    assert alive["citations"] == [
        {
            "title": "Kazak Women Sold as Sex Slaves", "document": str(tmp_path / "page.html"),
            "line": 1, "column": 25,
        }
    ]  # fmt: skip
    assert alive["checked_at"].endswith("Z")
    assert dead["verdict"] == "dead" and "404" in dead["reason"]
    assert dead["archive_url"].startswith("https://web.archive.org/web/20110216000000/")
    assert "skipped 1 link(s): javascript: link" in r.stderr
    assert "Traceback" not in r.stderr


def test_check_urls_exit_codes_and_formats(env: dict[str, str], world: World) -> None:
    ok = monitor(env, "check", world.url("/article/one"))
    assert ok.returncode == 0 and "alive" in ok.stdout
    arr = monitor(env, "check", "--format", "json", world.url("/article/one"), world.url("/gone"))
    assert arr.returncode == 1
    assert [row["verdict"] for row in json.loads(arr.stdout)] == ["alive", "dead"]
    csv_out = monitor(env, "check", "--format", "csv", world.url("/article/one"))
    header, line = csv_out.stdout.splitlines()
    assert header.startswith("url,verdict,http_status") and ",alive,200," in line
    stdin = monitor(
        env, "check", "-", stdin=f"{world.url('/article/one')}\n{world.url('/article/two')}\n"
    )
    assert stdin.returncode == 0 and stdin.stdout.count("alive") == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "no/such/file.html"], "no such file or directory"),
        (["check", "--format", "xml", "http://x.example/"], "Invalid value for '--format'"),
        (["ingest"], "Missing argument"),
        (["frobnicate"], "No such command"),
        (["history", "javascript:alert(1)"], "javascript: link"),
    ],
)
def test_usage_errors_exit_2_without_traceback(env, args, message) -> None:
    r = monitor(env, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_input_files(env: dict[str, str], tmp_path: Path) -> None:
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    r = monitor(env, "ingest", str(binary), str(empty), str(tmp_path / "missing.md"))
    assert r.returncode == 2
    assert "binary file" in r.stderr and "empty page" in r.stderr and "no such file" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_config_is_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[check]\nconcurency = 5\n")
    r = monitor(env, "--config", str(bad), "status")
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f"monitor: error: {bad}, line 2: check.concurency: unknown key (did you mean concurrency?)"
    )


def test_ingest_status_run_history_report(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    r = monitor(env, "ingest", "seeds/")
    assert r.returncode == 0, r.stderr
    assert "kazakhstan.html: html, 23 citations (15 linked, 8 unlinked)" in r.stdout
    assert "kazakhstan.txt: text, 21 citations (0 linked, 21 unlinked)" in r.stdout
    st = monitor(env, "status")
    assert st.returncode == 0
    assert "Kazak Women Sold as Sex Slaves" in st.stdout
    assert "stamps: 2011-02-16, 2017-06-07" in st.stdout
    assert "stamps: 2009, 2016-02-22" in st.stdout  # year-only stamp keeps its precision
    assert "stamps: unknown" in st.stdout  # [Last access date unavailable]
    assert "(unlinked citation)" in st.stdout
    assert "total: 44 citations on 3 page(s): unchecked 15, unlinked 29" in st.stdout
    js = json.loads(monitor(env, "status", "--format", "json").stdout)
    assert len(js["citations"]) == 44 and js["summary"]["last_run"] is None

    page = citation_page(world, tmp_path)
    assert monitor(env, "ingest", str(page)).returncode == 0
    # `run` on a database holding only the local page: the seeds' hosts are on the internet.
    env2 = dict(env)
    env2["MONITOR_DATABASE__URL"] = f"sqlite:///{tmp_path / 'local.sqlite'}"
    assert monitor(env2, "ingest", str(page)).returncode == 0
    run = monitor(env2, "run")
    assert run.returncode == 1  # one dead link
    assert "3 checked: alive 1, dead 1, drifted 1" in run.stderr  # ties in verdict order
    again = monitor(env2, "run")
    assert again.returncode == 0 and "nothing due" in again.stderr
    hist = monitor(env2, "history", world.url("/missing"))
    assert hist.returncode == 0 and "failing (1 of 3)" in hist.stdout and "404" in hist.stdout
    rep = monitor(env2, "report")
    assert rep.returncode == 0
    # one failed check is not death: the link is failing (1 of 3) until confirmed
    assert "## Dead links (0)" in rep.stdout
    assert "## Failing, not yet confirmed (2)" in rep.stdout and "A vanished report" in rep.stdout
    assert "failing (1 of 3): dead, HTTP 404: not found" in rep.stdout
    assert (
        '"[here]" link on the page not verified yet: <https://web.archive.org/web/20110216000000/'
        in rep.stdout
    )
    out = tmp_path / "r" / "report.md"
    assert monitor(env2, "report", "--out", str(out)).returncode == 0
    assert out.read_text().startswith("# Link report")


def test_run_during_an_outage_exits_3(env: dict[str, str], tmp_path: Path) -> None:
    from tests.world import closed_port

    links = tmp_path / "links.urls"
    links.write_text(
        "".join(f"http://127.0.0.{i}:{closed_port(f'127.0.0.{i}')}/r\n" for i in range(30, 36))
    )
    assert monitor(env, "ingest", str(links)).returncode == 0
    r = monitor(env, "run")
    assert r.returncode == 3
    assert "network outage suspected (6 of 6 hosts unreachable)" in r.stderr
    brief = monitor(env, "status", "--brief")
    assert "unverified 6" in brief.stdout and "scheduler: last run 20" in brief.stdout
    st = json.loads(monitor(env, "status", "--format", "json").stdout)["citations"]
    assert {row["status"] for row in st} == {"unverified"} and {row["failures"] for row in st} == {
        0
    }


def test_archive_command_and_check_archive(
    env: dict[str, str], world: World, pywb, tmp_path: Path
) -> None:
    from tests.archive_world import KAZAK_URL

    cfg = Path(env["MONITOR_CONFIG"])
    cfg.write_text(
        cfg.read_text().replace("[archive]\nendpoints = []\n", "")
        + "[archive]\nreplace = true\n[[archive.endpoints]]\n"
        + "".join(f"{k} = {v!r}\n" for k, v in pywb.endpoint(rate_per_minute=6000).items())
    )
    page = tmp_path / "gone.html"
    page.write_text(
        f'<p><a href="{world.url("/gone")}"><b>Kazak Women Sold as Sex Slaves</b></a><br>'
        "IWPR<br>[accessed 16 February 2011]</p>"
    )
    r = monitor(env, "check", "--archive", "--format", "json", str(page))
    assert r.returncode == 1, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["verdict"] == "gone" or row["verdict"] == "dead"
    assert row["archive_url"] == f"{pywb.base}/20100601100000/{world.url('/gone')}"
    assert row["archive_captured_at"] == "2010-06-01T10:00:00Z"
    assert row["archive_verified"] is True and "cited title found" in row["archive_reason"]
    # the default table shows the copy too, under its link (issue 32)
    table = monitor(env, "check", "--archive", str(page))
    assert table.returncode == 1, table.stderr
    assert (
        f"archive copy: {pywb.base}/20100601100000/{world.url('/gone')} (2010-06-01, verified)"
        in table.stdout
    )
    # `monitor archive URL` for a stored citation
    kz = tmp_path / "kz.html"
    kz.write_text(
        f'<p><a href="{KAZAK_URL}"><b>Kazak Women Sold as Sex Slaves</b></a><br>IWPR<br>[accessed 16 February 2011]</p>'
    )
    assert monitor(env, "ingest", str(kz)).returncode == 0
    a = monitor(env, "archive", KAZAK_URL)
    assert a.returncode == 0, a.stderr
    url, copy, captured, outcome, _reason = a.stdout.strip().split("\t")
    assert (url, captured, outcome) == (KAZAK_URL, "2011-01-10", "verified")
    assert copy == f"{pywb.base}/20110110100000/{KAZAK_URL}"


def test_json_logs_and_scheduler_in_status(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    links = tmp_path / "l.urls"
    links.write_text(world.url("/article/json-log") + "\n")
    assert monitor(env, "ingest", str(links)).returncode == 0
    r = monitor(env, "--log-format", "json", "-vv", "run", "--once")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    assert any(x["level"] == "DEBUG" and x["message"].startswith("alive http://") for x in lines)
    assert any(x["level"] == "INFO" and x["message"].startswith("run 1: 1 due") for x in lines)
    st = monitor(env, "status")
    assert "scheduler: last run 20" in st.stdout and "due now 0" in st.stdout
    assert "last report 20" in st.stdout  # run --once wrote the first weekly report


def test_report_command_formats_and_period(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    links = tmp_path / "l.urls"
    links.write_text(world.url("/article/rep") + "\n" + world.url("/gone") + "\n")
    assert monitor(env, "ingest", str(links)).returncode == 0
    assert monitor(env, "run").returncode == 1
    js = monitor(env, "report", "--format", "json")
    data = json.loads(js.stdout)
    assert data["totals"] == {"alive": 1, "dead": 1} and data["since"] is None
    out = tmp_path / "weekly"
    r = monitor(env, "report", "--format", "all", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".html", ".json", ".md"]
    again = json.loads(monitor(env, "report", "--format", "json").stdout)
    assert again["since"] is not None  # the written report is the start of the next period
    bad = monitor(env, "report", "--format", "pdf")
    assert bad.returncode == 2


def test_embedded_mode_never_imports_the_distributed_engine(
    env: dict[str, str], world: World
) -> None:
    """procrastinate and psycopg are an optional extra: an embedded ingest + run + status
    must work without them, so none of them may be imported on that path."""
    page = world.url("/index.html")
    script = (
        "import sys\n"
        "from monitor.app.cli import main\n"
        "for args in (['ingest', sys.argv[1]], ['run', '--all'], ['status', '--brief']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit as e:\n"
        "        assert e.code in (0, 1, None), (args, e.code)\n"
        "loaded = sorted(m for m in ('procrastinate', 'psycopg', 'psycopg_pool')"
        " if m in sys.modules)\n"
        "print('loaded:', loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, page], env=env, cwd=ROOT, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "loaded: []" in out.stdout
    assert "checked" in out.stdout.lower() or "alive" in out.stdout.lower(), out.stdout[-800:]


def test_check_tells_an_outage_from_a_dead_host_with_few_hosts(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    """One unreachable host is too few for the outage rule: the canary decides (issue 18).
    Its own network down (the canary, here the archive, unreachable too): exit 3, nothing
    judged. The canary answers: the host is theirs, and down."""
    dead_host = "http://127.0.0.1:9/article"  # the discard port: connection refused
    cfg = Path(env["MONITOR_CONFIG"])
    base = cfg.read_text().replace("[archive]\nendpoints = []\n", "")
    cfg.write_text(
        base
        + "[archive]\nreplace = true\n[[archive.endpoints]]\nname = 'down'\ncdx = 'http://127.0.0.1:9/cdx'\n"
        "replay = 'http://127.0.0.1:9/{timestamp}/{url}'\n"
    )
    env = env | {"MONITOR_ALLOW_NETWORKS": "127.0.0.0/8"}
    r = monitor(env, "check", dead_host, "--format", "json")
    assert r.returncode == 3, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["verdict"] == "transient" and row["reason"].startswith("network outage suspected")
    assert "network outage suspected: 1 of 1 hosts unreachable" in r.stderr
    # the canary answers: their host is down, ours is fine
    cfg.write_text(base.replace("[check]\n", f"[check]\ncanary_url = '{world.url('/')}'\n"))
    r = monitor(env, "check", dead_host, "--format", "json")
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)[0]["verdict"] == "dead"


@pytest.mark.parametrize(
    "args",
    [["status"], ["history", "http://example.org/"], ["report"], ["export", "-"],
     ["decisions"], ["backup", "copy.sqlite"]],
)  # fmt: skip
def test_reading_commands_never_create_a_database(
    env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    """`status` in the wrong directory: exit 2 and a way forward, and no empty
    monitor.sqlite left behind (issue 18)."""
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {k: v for k, v in env.items() if k != "MONITOR_CONFIG"}
    r = monitor(env, "--config", os.devnull, *args, cwd=empty)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"no database at {empty / 'monitor.sqlite'}; run `monitor ingest` first" in r.stderr
    assert list(empty.iterdir()) == []


def test_log_lines_are_dated_and_the_libraries_quiet(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    """-v: dated lines of monitor's own (a cron `>> monitor.log` needs the time), no
    Alembic chatter; under the journal (JOURNAL_STREAM) no date, the journal adds one; the
    libraries' own lines only with -vvv (issue 18)."""
    links = tmp_path / "l.txt"
    links.write_text(world.url("/article/a") + "\n")
    r = monitor(env, "-v", "ingest", str(links))
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if " INFO " in ln]
    assert lines and all(
        re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO monitor", ln) for ln in lines
    ), r.stderr
    assert "alembic" not in r.stderr and "SQLiteImpl" not in r.stderr
    r = monitor(env | {"JOURNAL_STREAM": "8:1234"}, "-v", "status", "--brief")
    assert r.stderr.startswith("INFO monitor: configuration from"), r.stderr
    r = monitor(env, "-vvv", "status", "--brief")
    assert re.search(r" DEBUG (?!monitor)\w", r.stderr), r.stderr  # a library's own line


def test_no_color_table_header_and_format_all(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    r = monitor(env | {"NO_COLOR": "1", "FORCE_COLOR": "1", "TERM": "xterm"}, "check",
                world.url("/article/a"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "\x1b[" not in r.stdout  # no colour, no dim, no bold
    header, row = r.stdout.splitlines()[:2]
    assert header.split() == ["VERDICT", "HTTP", "URL", "REASON"]
    assert row.split()[:3] == ["alive", "200", world.url("/article/a")]
    links = tmp_path / "l.txt"
    links.write_text(world.url("/article/a") + "\n")
    assert monitor(env, "ingest", str(links)).returncode == 0
    r = monitor(env, "report", "--format", "all")
    assert r.returncode == 2 and "give --out DIRECTORY" in r.stderr


def test_config_says_where_each_setting_came_from(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        "[database]\nurl = 'postgresql+psycopg://mon:s3cret@db.example/x'\n"
        "[check]\nper_host_rate = 2.0\n[report.email]\npassword = 'pw'\n"
        "[[archive.endpoints]]\nname = 'mine'\ncdx = 'http://a.example/cdx'\n"
        "replay = 'http://a.example/{timestamp}/{url}'\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_CHECK__TIMEOUT"] = "9"
    r = monitor(env, "--config", str(cfg), "config", "--format", "json")
    assert r.returncode == 0, r.stderr
    got = {x["key"]: (x["value"], x["source"]) for x in json.loads(r.stdout)}
    assert got["database.url"] == ("postgresql+psycopg://db.example/x", f"{cfg}:2")
    assert got["check.per_host_rate"] == (2.0, f"{cfg}:4")
    assert got["check.timeout"] == (9.0, "environment MONITOR_CHECK__TIMEOUT")
    assert got["report.email.password"] == ("****", f"{cfg}:6")
    assert got["archive.endpoints.0.cdx"] == ("http://a.example/cdx", f"{cfg}:9")
    # the effective list: the file's own archive first, then the default it adds to
    assert got["archive.endpoints.1.name"] == ("internet-archive", "default")
    assert got["archive.replace"] == (False, "default")
    assert got["check.read_timeout"][1] == "default"
    assert "s3cret" not in r.stdout and "'pw'" not in r.stdout


def test_help_lists_the_commands_in_the_order_a_maintainer_uses_them(env: dict[str, str]) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0
    listed = [
        ln.split()[0]
        for ln in r.stdout.split("Commands:", 1)[1].splitlines()
        if ln.startswith("  ")
    ]
    assert listed[:7] == ["check", "ingest", "run", "status", "history", "report", "patch"]
    assert set(listed) >= {"accept", "override", "ignore", "decisions", "serve", "worker"}


def test_run_and_serve_on_a_missing_database_exit_2_and_create_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Cron in the wrong directory: no success, no empty database, no empty report."""
    db, reports = tmp_path / "m.sqlite", tmp_path / "reports"
    for args in (["run"], ["run", "--once"], ["run", "--all"], ["serve"]):
        r = monitor(env, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert f"no database at {db}" in r.stderr and "Traceback" not in r.stderr
        assert not db.exists() and not reports.exists()
    r = monitor(env, "run", "--init")  # told to: an empty database, nothing due
    assert r.returncode == 0 and db.exists() and "nothing due" in r.stderr


def test_ignore_says_what_its_own_pattern_matches_and_every_view_agrees(
    env: dict[str, str], tmp_path: Path
) -> None:
    links = tmp_path / "links.urls"
    links.write_text("https://a.example/1\nhttps://a.example/2\nhttps://b.example/3\n")
    assert monitor(env, "ingest", str(links)).returncode == 0
    first = monitor(env, "ignore", "https://a.example/*")
    assert "matches 2 cited URL(s); 2 ignored in all" in first.stdout
    none = monitor(env, "ignore", "https://nowhere.example/*")
    assert "matches no cited URL (yet); 2 ignored in all" in none.stdout
    brief = monitor(env, "status", "--brief").stdout
    full = monitor(env, "status").stdout
    rows = json.loads(monitor(env, "status", "--format", "json").stdout)["citations"]
    assert "ignored 2, unchecked 1" in brief and "ignored 2, unchecked 1" in full
    assert full.count("[ignored]") == 2
    assert sorted(r["status"] for r in rows) == ["ignored", "ignored", "unchecked"]


def test_a_page_moved_with_its_checkout_keeps_its_history(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    """A checkout moved or a backup restored elsewhere is the same page: ingest and patch
    find it, nothing is duplicated."""
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    page = citation_page(world, old_dir)
    assert monitor(env, "ingest", str(page)).returncode == 0
    monitor(env, "run")
    new_dir.mkdir()
    moved = new_dir / page.name
    page.rename(moved)
    r = monitor(env, "patch", str(moved), "--out", str(tmp_path / "out.html"))
    assert r.returncode == 0, r.stderr  # the same bytes: found where they went
    again = monitor(env, "ingest", str(moved))
    assert again.returncode == 0 and "0 new" in again.stdout, again.stdout
    rows = json.loads(monitor(env, "status", "--format", "json").stdout)["citations"]
    assert {r["document"] for r in rows} == {str(moved.resolve())}
    moved.write_text(moved.read_text() + "\n<!-- edited after the move -->\n")
    (new_dir / "elsewhere").mkdir()
    copy = new_dir / "elsewhere" / page.name
    moved.rename(copy)
    third = monitor(env, "ingest", str(copy))
    assert "the same page as" in third.stderr and "0 new" in third.stdout, third


def test_status_summary_and_health_for_a_monitoring_system(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    page = citation_page(world, tmp_path)
    assert monitor(env, "ingest", str(page)).returncode == 0
    before = monitor(env, "status", "--health")
    assert before.returncode == 1 and "no run has finished yet" in before.stdout
    monitor(env, "run")
    s = json.loads(monitor(env, "status", "--brief", "--format", "json").stdout)
    assert s["healthy"] is True and s["problems"] == [] and s["running"] is None
    assert s["last_run"]["state"] in ("done", "finished", "ok") or s["last_run"]["finished_at"]
    assert s["last_run"]["checked"] == 3 and sum(s["by_verdict"].values()) >= 3
    assert s["next_report"] and s["due_now"] == 0
    full = json.loads(monitor(env, "status", "--format", "json").stdout)
    assert full["summary"]["last_run"] == s["last_run"] and len(full["citations"]) == 3
    healthy = monitor(env, "status", "--health")
    assert healthy.returncode == 0 and healthy.stdout.strip() == "monitor: healthy"


def test_log_format_json_makes_every_stderr_line_one_json_object(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    """Issue 32: notes, warnings and errors were plain text beside the JSON log lines, and
    a run's counts were a Python dict inside the message."""
    page = citation_page(world, tmp_path)
    for args in (["ingest", str(page)], ["-v", "run"], ["history", "nope"]):
        r = monitor(env, "--log-format", "json", *args)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert lines, (args, r.stderr)
        for line in lines:
            obj = json.loads(line)  # every line
            assert {"time", "level", "logger", "message"} <= set(obj), line
            assert obj["time"].endswith("Z") and "{'" not in obj["message"], line
    run = monitor(env, "--log-format", "json", "-v", "run", "--all")
    counts = [json.loads(ln) for ln in run.stderr.splitlines() if '"counts"' in ln]
    assert counts and counts[0]["counts"] == {"alive": 1, "dead": 1, "drifted": 1}
