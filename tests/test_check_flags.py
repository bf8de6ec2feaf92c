"""`monitor check` with lychee's flags, as a user runs it: a real subprocess against the
local web (tests/world.py). One test per flag and per output format."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cli import monitor
from tests.world import World

TITLE = "Kazak Women Sold as Sex Slaves"  # the title of every /article page


def _unique(world: World, name: str) -> str:
    """A fresh article URL nobody else asks for, so its hit count is this test's."""
    return world.url(f"/article/flags-{name}-{uuid.uuid4().hex[:8]}")


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _page(tmp_path: Path, *urls: str, name: str = "page.html") -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    page = tmp_path / name
    page.write_text(
        "<html><body><h2>References</h2><ol>"
        + "".join(f'<li><a href="{u}">{TITLE}</a>, IWPR, 2005.</li>' for u in urls)
        + "</ol></body></html>"
    )
    return page


def _json(r) -> dict[str, dict]:
    return {row["url"]: row for row in json.loads(r.stdout)}


# ---------------------------------------------------------------- --exclude / --include


def test_exclude_is_not_requested_and_is_listed(env, world: World) -> None:
    keep, skip = _unique(world, "keep"), _unique(world, "skip")
    r = monitor(env, "check", keep, skip, "--exclude", "flags-skip-")
    assert r.returncode == 0, r.stderr
    assert world.hits[_path(skip)] == 0 and world.hits[_path(keep)] == 1
    lines = r.stdout.splitlines()
    assert any(line.startswith("alive") and keep in line for line in lines)
    assert any(line.startswith("excluded") and skip in line for line in lines)
    assert "excluded 1 link(s)" in r.stderr


def test_ignore_file_in_the_working_directory(env, world: World, tmp_path: Path) -> None:
    keep, skip = _unique(world, "keep"), _unique(world, "cwdignored")
    (tmp_path / ".lycheeignore").write_text("# comment\n\nflags-cwdignored-\n")
    r = monitor(env, "check", keep, skip, "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert list(_json(r)) == [keep]
    assert world.hits[_path(skip)] == 0


def test_ignore_file_beside_the_page(env, world: World, tmp_path: Path) -> None:
    keep, skip = _unique(world, "keep"), _unique(world, "besideignored")
    page = _page(tmp_path / "site", keep, skip)
    (tmp_path / "site" / ".monitorignore").write_text("flags-besideignored-\n")
    r = monitor(env, "check", str(page), "--format", "json")  # cwd: the repository
    assert r.returncode == 0, r.stderr
    assert list(_json(r)) == [keep]
    assert world.hits[_path(skip)] == 0


def test_include_checks_only_matches_and_wins_over_exclude(env, world: World) -> None:
    a, b, c = _unique(world, "inca"), _unique(world, "incb"), _unique(world, "incc")
    r = monitor(
        env, "check", a, b, c, "--include", "flags-inca-", "--include", "flags-incb-",
        "--exclude", "flags-inc", "--format", "json",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert sorted(_json(r)) == sorted([a, b])
    assert world.hits[_path(c)] == 0


# ---------------------------------------------------------------- request settings


def test_timeout(env, world: World) -> None:
    url = world.url(f"/slow/flags-{uuid.uuid4().hex[:6]}")  # answers after 3 s
    r = monitor(env, "check", url, "--timeout", "0.4", "--format", "json")
    row = _json(r)[url]
    assert r.returncode == 1 and row["verdict"] == "transient", row
    # each attempt gave up after 0.4 s, not after the configured read timeout (2 s)
    assert "within 0.4 s" in row["reason"], row["reason"]


def test_max_concurrency(env, world: World) -> None:
    # /pause... answers after 0.2 s; the world counts requests in flight per first segment
    tag = f"pauseflags{uuid.uuid4().hex[:6]}"
    urls = [world.url(f"/{tag}/{i}") for i in range(6)]
    r = monitor(env, "check", *urls, "--max-concurrency", "1")
    assert r.returncode == 0, r.stderr
    assert world.peak_active[tag] == 1
    wide = f"pauseflags{uuid.uuid4().hex[:6]}"
    monitor(env, "check", *(u.replace(tag, wide) for u in urls), "--max-concurrency", "8")
    assert world.peak_active[wide] > 1  # the config's per_host_concurrency: 8


def test_max_redirects(env, world: World) -> None:
    tag = uuid.uuid4().hex[:6]
    for i in range(3):
        world.pages[f"/flags-{tag}/r{i}"] = (302, "", {"Location": f"/flags-{tag}/r{i + 1}"})
    world.pages[f"/flags-{tag}/r3"] = (302, "", {"Location": f"/article/flags-{tag}"})
    url = world.url(f"/flags-{tag}/r0")  # four redirects to an article
    few = monitor(env, "check", url, "--max-redirects", "3", "--format", "json")
    assert few.returncode == 1 and "more than 3" in _json(few)[url]["reason"]
    enough = monitor(env, "check", url, "--max-redirects", "4", "--format", "json")
    assert _json(enough)[url]["verdict"] != _json(few)[url]["verdict"]
    assert _json(enough)[url]["final_url"] == world.url(f"/article/flags-{tag}")


def test_header_is_sent(env, world: World) -> None:
    value = f"flags-{uuid.uuid4().hex}"
    r = monitor(
        env, "check", _unique(world, "hdr"), "--header", f"X-Flags-Test: {value}",
        "--header", "X-Second:two",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    sent = [h for h in world.request_headers if h.get("X-Flags-Test") == value]
    assert sent and all(h.get("X-Second") == "two" for h in sent)


def test_accept_overrides_status_verdicts_only(env, world: World) -> None:
    forbidden, missing, soft = world.url("/forbidden"), world.url("/missing"), world.url("/soft")
    plain = monitor(env, "check", forbidden, "--format", "json")
    assert plain.returncode == 1 and _json(plain)[forbidden]["verdict"] == "blocked"
    r = monitor(
        env, "check", forbidden, missing, soft, "--accept", "200..=299,403", "--format", "json"
    )
    rows = _json(r)
    assert rows[forbidden]["verdict"] == "alive"
    assert "403 accepted" in rows[forbidden]["reason"]
    assert rows[forbidden]["evidence"]["verdict_without_accept"] == "blocked"
    assert rows[missing]["verdict"] == "dead"  # 404 is not in the set
    assert rows[soft]["verdict"] == "soft404"  # a 200's content verdict stays
    only = monitor(env, "check", forbidden, "--accept", "400..404")
    assert only.returncode == 0, only.stdout


def test_dump_lists_and_requests_nothing(env, world: World, tmp_path: Path) -> None:
    a, b, c = _unique(world, "dumpa"), _unique(world, "dumpb"), _unique(world, "dumpc")
    page = _page(tmp_path, a, b)
    r = monitor(env, "check", str(page), c, "--dump", "--exclude", "flags-dumpb-")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [c, a]
    assert all(world.hits[_path(u)] == 0 for u in (a, b, c))


# ---------------------------------------------------------------- formats and --output


def test_format_junit(env, world: World, tmp_path: Path) -> None:
    alive, skip = _unique(world, "junita"), _unique(world, "junitskip")
    page = _page(tmp_path, alive, world.url("/missing"), skip)
    direct = _unique(world, "junitdirect")
    r = monitor(env, "check", str(page), direct, "--format", "junit", "--exclude", "junitskip")
    assert r.returncode == 1, r.stderr
    root = ET.fromstring(r.stdout)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {str(page), "command line"}
    cases = {c.get("name"): c for c in suites[str(page)].iter("testcase")}
    assert set(cases) == {alive, world.url("/missing"), skip}
    fail = cases[world.url("/missing")].find("failure")
    assert fail is not None and fail.get("type") == "dead" and "404" in fail.get("message")
    assert cases[alive].find("failure") is None
    assert cases[skip].find("skipped") is not None
    assert suites[str(page)].get("failures") == "1" and suites[str(page)].get("tests") == "3"
    assert [c.get("name") for c in suites["command line"].iter("testcase")] == [direct]
    assert root.get("failures") == "1" and root.get("skipped") == "1"


def test_format_markdown(env, world: World, tmp_path: Path) -> None:
    alive = _unique(world, "md")
    page = _page(tmp_path, alive, world.url("/missing"))
    r = monitor(env, "check", str(page), "--format", "markdown")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "# Summary"
    assert "| Total | 2 |" in lines and "| alive | 1 |" in lines and "| dead | 1 |" in lines
    assert f"### {page}" in lines
    row = next(line for line in lines if "/missing" in line)
    assert row.startswith("| dead | 404 | <") and row.endswith("|")
    assert not any(alive in line for line in lines)  # only links not alive are listed


def test_output_file(env, world: World, tmp_path: Path) -> None:
    url = _unique(world, "out")
    target = tmp_path / "results.json"
    r = monitor(env, "check", url, "--format", "json", "--output", str(target))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert [row["url"] for row in json.loads(target.read_text())] == [url]
    table = tmp_path / "results.txt"
    r = monitor(env, "check", url, "--output", str(table))
    assert r.stdout == "" and table.read_text().splitlines()[1].startswith("alive")
    assert "\x1b" not in table.read_text()


# ---------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--exclude", "(unclosed"], "--exclude '(unclosed': not a regular expression"),
        (["--include", "a**"], "--include 'a**': not a regular expression"),
        (["--accept", "200..=abc"], "--accept '200..=abc'"),
        (["--accept", "300..200"], "empty range"),
        (["--header", "NoColon"], "--header 'NoColon': expected 'Name: value'"),
        (["--header", "Bad Name: x"], "is not an HTTP header name"),
        (["--timeout", "0"], "--timeout"),
        (["--max-redirects", "-1"], "--max-redirects"),
        (["--max-concurrency", "0"], "--max-concurrency"),
        (["--output", "/no/such/folder/out.json"], "--output"),
    ],
)
def test_bad_values_are_one_line_exit_2(env, world: World, args, message) -> None:
    url = _unique(world, "bad")
    r = monitor(env, "check", url, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("monitor: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert message in r.stderr
    assert world.hits[_path(url)] == 0


def test_bad_ignore_file_names_file_and_line(env, world: World, tmp_path: Path) -> None:
    (tmp_path / ".lycheeignore").write_text("fine\n[unclosed\n")
    r = monitor(env, "check", _unique(world, "badignore"), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith(f"monitor: error: {tmp_path / '.lycheeignore'}, line 2:")


def test_each_link_of_a_page_says_where_it_is_in_json_csv_and_junit(
    env: dict[str, str], world: World, tmp_path: Path
) -> None:
    """Issue 32: file, line and column of each link of a page input (the column of its
    address, 1-based, as an editor counts)."""
    import csv
    import io

    page = tmp_path / "where.html"
    page.write_text(
        "<ul>\n"
        f'<li><a href="{world.url("/article/w1")}">{TITLE}</a> 2011</li>\n'
        f'<li>Again: <a href="{world.url("/article/w2")}">{TITLE}</a></li>\n</ul>\n'
    )
    rows = json.loads(monitor(env, "check", str(page), "--format", "json").stdout)
    where = {r["url"]: r["citations"][0] for r in rows}
    first, second = where[world.url("/article/w1")], where[world.url("/article/w2")]
    assert (first["document"], first["line"], first["column"]) == (str(page), 2, 14)
    assert (second["line"], second["column"]) == (3, 21)
    table = list(
        csv.DictReader(io.StringIO(monitor(env, "check", str(page), "--format", "csv").stdout))
    )
    assert {(r["file"], r["line"], r["column"]) for r in table} == {
        (str(page), "2", "14"), (str(page), "3", "21"),
    }  # fmt: skip
    junit = ET.fromstring(monitor(env, "check", str(page), "--format", "junit").stdout)
    cases = junit.findall(".//testcase")
    assert {(c.get("file"), c.get("line")) for c in cases} == {(str(page), "2"), (str(page), "3")}


# ---------------------------------------------------------------- the stored commands


def test_run_honours_the_configs_exclude_include_and_accept(
    env, world: World, tmp_path: Path
) -> None:
    """`[check] exclude/include/accept` hold for `run` as for `check`: an excluded link is
    ignored (never requested, "ignored" in status, listed in the report's decisions), an
    accepted 403 is alive but earns no access date (nobody read the page)."""
    keep, skip, forbidden = _unique(world, "keep"), _unique(world, "skip"), world.url("/forbidden")
    cfg = Path(env["MONITOR_CONFIG"])
    cfg.write_text(
        cfg.read_text().replace(
            "[check]\n", "[check]\nexclude = ['flags-skip-']\naccept = '200..=299,403'\n"
        )
    )
    page = _page(tmp_path / "pages", keep, skip, forbidden)
    assert monitor(env, "ingest", str(page)).returncode == 0
    ran = monitor(env, "run", "--all")
    assert ran.returncode == 0, ran.stderr
    assert world.hits[_path(skip)] == 0 and world.hits[_path(keep)] >= 1
    st = json.loads(monitor(env, "status", "--format", "json").stdout)
    rows = {c["url"]: c for c in st["citations"]}
    assert rows[skip]["status"] == "ignored"
    assert rows[forbidden]["verdict"] == "alive" and rows[keep]["verdict"] == "alive"
    assert rows[keep]["verified_access"] and not rows[forbidden]["verified_access"]
    report = monitor(env, "report", "--format", "md")
    assert report.returncode == 0, report.stderr
    text = report.stdout + "".join(p.read_text() for p in (tmp_path / "reports").glob("*.md"))
    assert "/flags-skip-/" in text and "check.exclude" in text
    # an include list: what matches none of it is left out as well
    cfg.write_text(
        cfg.read_text().replace("exclude = ['flags-skip-']", "include = ['flags-keep-', 'forbid']")
    )
    assert monitor(env, "run", "--all").returncode == 0
    assert world.hits[_path(skip)] == 0 and world.hits[_path(keep)] >= 2
    # taken out of the file, the link is checked again: the config is read each run
    cfg.write_text(cfg.read_text().replace("include = ['flags-keep-', 'forbid']\n", ""))
    assert monitor(env, "run", "--all").returncode == 0
    assert world.hits[_path(skip)] >= 1
