"""`monitor check`'s lychee options, parsed: accept ranges, headers, ignore files, the
settings they make, the include/exclude filter, what --accept overrides, and the JUnit and
Markdown renderings. No sockets, no processes."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from monitor import api
from monitor.app import check_options as co
from monitor.app.output import check_junit, check_markdown
from monitor.config import Settings, accepted_statuses
from monitor.core.errors import UsageError
from monitor.core.results import CheckResult
from monitor.core.verdict import Verdict

# ---------------------------------------------------------------- --accept


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("403", {403}),
        ("200..=202", {200, 201, 202}),
        ("200..203", {200, 201, 202}),
        ("200..=202, 403,429", {200, 201, 202, 403, 429}),
        ("..=101", {100, 101}),
        ("..102", {100, 101}),
    ],
)
def test_accept_ranges_as_lychee_writes_them(text: str, expected: set[int]) -> None:
    assert accepted_statuses(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "200..", "300..200", "200..200", "20", "1000", "200,,403", "200-299"]
)
def test_malformed_accept_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--accept"):
        co.parse_accept(text)


def test_accept_in_the_config_file_is_checked_too() -> None:
    with pytest.raises(ValueError, match="not a status or a range"):
        Settings(check={"accept": "2xx"})
    assert Settings(check={"accept": "403"}).check.accepted() == {403}
    assert Settings().check.accepted() == frozenset()


# ---------------------------------------------------------------- --header


def test_header_parsing() -> None:
    assert co.parse_header("Authorization: Bearer a:b") == ("Authorization", "Bearer a:b")
    assert co.parse_header("X-Empty:") == ("X-Empty", "")
    assert co.parse_header("  Accept :text/html ") == ("Accept", "text/html")


@pytest.mark.parametrize(
    ("text", "why"),
    [("NoColon", "expected 'Name: value'"), ("Bad Name: x", "not an HTTP header name"),
     (": x", "not an HTTP header name"), ("X: a\r\nInjected: 1", "line break")],
)  # fmt: skip
def test_bad_headers(text: str, why: str) -> None:
    with pytest.raises(UsageError, match=why):
        co.parse_header(text)


def test_headers_go_to_every_host_and_a_host_entry_wins() -> None:
    cfg = api.with_check_options(Settings(), headers=[("X-A", "1"), ("X-B", "2")])
    assert cfg.check.policy_for("example.org").headers == (("X-A", "1"), ("X-B", "2"))
    cfg = Settings(
        check={"headers": {"X-A": "1"}, "hosts": [{"pattern": "*.gov", "headers": {"x-a": "2"}}]}
    )
    assert cfg.check.policy_for("www.state.gov").headers == (("x-a", "2"),)
    assert cfg.check.policy_for("example.org").headers == (("X-A", "1"),)


# ---------------------------------------------------------------- ignore files


def test_ignore_file_reading(tmp_path: Path) -> None:
    f = tmp_path / ".lycheeignore"
    f.write_text("# a comment\n\n  example\\.org/private  \nhttps://x\\.test/.*\\.pdf$\n")
    assert co.read_ignore_file(f) == ["example\\.org/private", "https://x\\.test/.*\\.pdf$"]


def test_a_bad_pattern_names_the_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / ".monitorignore"
    f.write_text("fine\n(unclosed\n")
    with pytest.raises(UsageError, match=r"\.monitorignore, line 2: '\(unclosed'"):
        co.read_ignore_file(f)


def test_ignore_files_in_the_working_directory_and_beside_pages(tmp_path: Path) -> None:
    cwd, site, other = tmp_path / "cwd", tmp_path / "site", tmp_path / "other"
    for d in (cwd, site, other):
        d.mkdir()
    (cwd / ".lycheeignore").write_text("from-cwd\n")
    (site / ".monitorignore").write_text("beside-page\n")
    (site / "page.html").write_text("<p></p>")
    (other / ".lycheeignore").write_text("in-a-dir\n")
    targets = [str(site / "page.html"), str(other), "https://example.org/a", "-"]
    assert co.ignore_patterns(targets, cwd) == ["from-cwd", "beside-page", "in-a-dir"]
    # the same file reached twice is read once
    assert co.ignore_patterns([str(cwd)], cwd) == ["from-cwd"]
    assert co.ignore_patterns([], tmp_path) == []


# ---------------------------------------------------------------- settings and the filter


def test_options_into_settings(tmp_path: Path) -> None:
    base = Settings(check={"exclude": ["from-config"], "headers": {"X-Config": "1"}})
    opts = co.parse(
        base, [], tmp_path, exclude=["cli"], include=["keep"], timeout=3, max_concurrency=5,
        max_redirects=2, headers=["X-Cli: 2"], accept="403", dump=True, output_file=None,
    )  # fmt: skip
    c = opts.settings.check
    assert c.exclude == ["from-config", "cli"] and c.include == ["keep"]
    assert c.headers == {"X-Config": "1", "X-Cli": "2"}
    assert (c.timeout, c.connect_timeout, c.read_timeout) == (3, 3, 3)
    assert (c.concurrency, c.max_redirects, c.accept) == (5, 2, "403")
    assert opts.dump and base.check.exclude == ["from-config"]  # the base is left alone


@pytest.mark.parametrize(
    ("given", "message"),
    [({"exclude": ["("]}, "--exclude '\\(': not a regular expression"),
     ({"timeout": 0}, "--timeout: Input should be greater than 0"),
     ({"max_redirects": 51}, "--max-redirects"), ({"max_concurrency": 0}, "--max-concurrency"),
     ({"output_file": "/no/such/folder/x.json"}, "--output")],
)  # fmt: skip
def test_bad_option_values(tmp_path: Path, given: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        co.parse(Settings(), [], tmp_path, **given)


def test_include_wins_over_exclude_as_in_lychee() -> None:
    urls = ["https://a.org/x", "https://a.org/y", "https://b.org/x", "https://c.org/"]
    only_exclude = Settings(check={"exclude": ["a\\.org"]}).check
    assert api.select_urls(urls, only_exclude) == (
        ["https://b.org/x", "https://c.org/"],
        {
            "https://a.org/x": "excluded: matches 'a\\\\.org'",
            "https://a.org/y": "excluded: matches 'a\\\\.org'",
        },
    )
    both = Settings(check={"exclude": ["a\\.org"], "include": ["/x$"]}).check
    kept, left = api.select_urls(urls, both)
    assert kept == ["https://a.org/x", "https://b.org/x"]
    assert left["https://c.org/"] == "excluded: matches no include pattern"
    assert api.select_urls(urls, Settings().check) == (urls, {})


# ---------------------------------------------------------------- what --accept overrides


def _result(verdict: Verdict, status: int | None, reason: str = "why") -> CheckResult:
    return CheckResult("https://x.test/", verdict, reason, status, None, dt.datetime.now(dt.UTC), 5)


def test_accept_overrides_status_verdicts_only() -> None:
    results = [
        _result(Verdict.BLOCKED, 403, "HTTP 403"),
        _result(Verdict.DEAD, 404),
        _result(Verdict.TRANSIENT, 503),
        _result(Verdict.DEAD, 410),  # not in the set
        _result(Verdict.SOFT404, 200),  # a content verdict
        _result(Verdict.BLOCKED, 200),  # a bot wall answered 200
        _result(Verdict.TRANSIENT, None),  # a timeout: no status
        _result(Verdict.TLS_ERROR, None),
    ]
    for r in results:
        r.accept_status(accepted_statuses("200..=299,403,404,503"))
    assert [r.verdict.value for r in results] == [
        "alive", "alive", "alive", "dead", "soft404", "blocked", "transient", "tls_error",
    ]  # fmt: skip
    assert results[0].reason == "HTTP 403 accepted (accept); would be blocked: HTTP 403"
    assert results[0].evidence == {
        "verdict_without_accept": "blocked",
        "reason_without_accept": "HTTP 403",
    }


# ---------------------------------------------------------------- JUnit and Markdown


def _row(url: str, verdict: str, status: int | None, reason: str, *docs: str) -> dict:
    return {
        "url": url, "verdict": verdict, "http_status": status, "reason": reason,
        "final_url": url, "elapsed_ms": 1500, "citations": [{"title": "t", "document": d} for d in docs],
    }  # fmt: skip


def test_junit_suites_per_input_and_failures() -> None:
    rows = [
        _row("https://a.test/", "alive", 200, "ok", "p.html"),
        _row("https://b.test/", "dead", 404, "HTTP 404 \x1b[31m<&>", "p.html", "q.html"),
        _row(
            "https://c.test/",
            "moved",
            301,
            "moved to ...",
        ),
    ]
    excluded = [{"url": "https://d.test/", "reason": "excluded: matches 'd'", "citations": []}]
    root = ET.fromstring(check_junit(rows, excluded))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["p.html", "q.html", "command line"]
    p = suites["p.html"]
    assert (p.get("tests"), p.get("failures"), p.get("skipped")) == ("2", "1", "0")
    dead = next(c for c in p.iter("testcase") if c.get("name") == "https://b.test/")
    fail = dead.find("failure")
    assert fail is not None and fail.get("type") == "dead"
    assert fail.get("message") == "dead: HTTP 404 [31m<&>"  # no control characters left
    assert "HTTP status: 404" in (fail.text or "") and dead.get("time") == "1.500"
    cmd = [c.get("name") for c in suites["command line"].iter("testcase")]
    assert cmd == ["https://c.test/", "https://d.test/"]
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == (
        "5",
        "3",
        "1",
    )  # b twice


def test_markdown_summary_and_tables() -> None:
    rows = [
        _row("https://a.test/", "alive", 200, "ok", "p.html"),
        _row("https://b.test/x|y", "dead", 404, "HTTP 404 | gone", "p.html"),
    ]
    excluded = [{"url": "https://d.test/", "reason": "excluded: matches 'd'", "citations": []}]
    text = check_markdown(rows, excluded)
    lines = text.splitlines()
    assert lines[:7] == [
        "# Summary", "", "| Status | Count |", "|---|---|", "| Total | 2 |", "| alive | 1 |",
        "| dead | 1 |",
    ]  # fmt: skip
    assert "| excluded | 1 |" in lines and "### p.html" in lines
    assert "| dead | 404 | <https://b.test/x\\|y> | HTTP 404 \\| gone |" in lines
    assert "* <https://d.test/>: excluded: matches 'd'" in lines
    assert "https://a.test/" not in text
