"""Hostile and broken input, through the real command line: enormous pages, absurd nesting,
binary files named .html, mixed encodings, a locked database and a full disk. Each ends in
a clear message (never a traceback), in bounded time and memory, and loses nothing."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.store import open_store

PROBE = (
    "import resource, subprocess, sys;"
    "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
    "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr);"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr);"
    "sys.exit(r.returncode)"
)


def _monitor(db: Path, *args: str, timeout: float = 300) -> tuple[int, str, float, float]:
    """exit code, its output (stdout + stderr), seconds, peak RSS (MB) of one command."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_DATABASE__URL": f"sqlite:///{db}", "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8"}
    t = time.monotonic()
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            sys.executable,
            "-m",
            "monitor",
            "--config",
            os.devnull,
            *list(args),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    *lines, peak = r.stderr.rstrip("\n").split("\n")
    return r.returncode, r.stdout + "\n".join(lines), time.monotonic() - t, int(peak) / 1024


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_page_of_100000_links_in_bounded_time_and_memory(tmp_path: Path) -> None:
    page = tmp_path / "bibliography.html"
    with page.open("w", encoding="utf-8") as f:
        f.write("<html><head><title>Everything</title></head><body>")
        for i in range(100_000):
            f.write(
                f'<p><a href="https://h{i % 5000}.example/report/{i}.html"><b>Report {i} on '
                f"trafficking</b></a><br>Publisher {i % 97}, 2005<br>"
                "[accessed 16 February 2011]</p>\n"
            )
        f.write("</body></html>")
    assert page.stat().st_size > 14_000_000
    db = tmp_path / "m.sqlite"
    code, err, secs, peak = _monitor(db, "ingest", str(page))
    assert code == 0, err
    assert "100000 citations" in err
    assert _count(db, "SELECT count(*) FROM citation") == 100_000
    assert peak < 700, f"{peak:.0f} MB"  # about 30x the page: parser tree + one row each
    assert secs < 240
    # again, unchanged: nothing duplicated, nothing lost
    code, err, _, _ = _monitor(db, "ingest", str(page))
    assert code == 0 and "100000 unchanged" in err, err
    assert _count(db, "SELECT count(*) FROM citation") == 100_000


@pytest.mark.parametrize("head", ["", "<pre>a preformatted block</pre>"])
def test_absurd_nesting_is_refused_quickly(tmp_path: Path, head: str) -> None:
    """With a <pre> too: the reader of preformatted reference sections once parsed the
    page before the nesting guard looked at it."""
    page = tmp_path / "nested.html"
    page.write_text(
        "<html><body>" + head + "<div>" * 100_000 + '<a href="https://x.example/deep">Deep</a>'
        " [accessed 16 February 2011]" + "</div>" * 100_000 + "</body></html>"
    )
    code, err, secs, _ = _monitor(tmp_path / "m.sqlite", "ingest", str(page))
    assert code == 2 and "nested more than 25,000 elements deep" in err, err
    assert "Traceback" not in err
    assert secs < 20  # the parser alone would take a minute


def test_binary_files_named_html_get_a_clear_message(tmp_path: Path) -> None:
    blob = tmp_path / "photo.html"
    blob.write_bytes(bytes(range(256)) * 800)
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    good = tmp_path / "good.html"
    good.write_text('<p><a href="https://ok.example/a"><b>Fine</b></a> [accessed 2010]</p>')
    db = tmp_path / "m.sqlite"
    code, err, _, _ = _monitor(db, "ingest", str(blob), str(empty), str(good))
    assert code == 2
    assert f"{blob}: binary file, not a text or HTML page" in err
    assert f"{empty}: empty page" in err
    assert "Traceback" not in err
    assert _count(db, "SELECT count(*) FROM citation") == 1  # the good page still went in


def test_mixed_encodings_still_give_their_citations(tmp_path: Path) -> None:
    page = tmp_path / "mixed.html"
    page.write_bytes(
        '<html><head><meta charset="utf-8"><title>Торговля</title></head><body>'.encode()
        + '<p><a href="https://kz.example/a"><b>Торговля людьми</b></a><br>'.encode()
        + "Казинформ, 2006 ".encode("cp1251")  # a paste from an old page, not UTF-8
        + b"[accessed 16 February 2011]</p></body></html>"
    )
    db = tmp_path / "m.sqlite"
    code, err, _, _ = _monitor(db, "ingest", str(page))
    assert code == 0, err
    assert _count(db, "SELECT count(*) FROM citation WHERE stamped_on = '2011-02-16'") == 1


def test_a_locked_database_is_a_clear_error_and_the_command_can_be_repeated(
    tmp_path: Path,
) -> None:
    page = tmp_path / "page.html"
    page.write_text('<p><a href="https://ok.example/a"><b>Fine</b></a> [accessed 2010]</p>')
    db = tmp_path / "m.sqlite"
    open_store(f"sqlite:///{db}").close()  # the schema, as after a first ingest
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        code, err, secs, _ = _monitor(db, "ingest", str(page))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 5, err  # try again later, as for another monitor (issue 31)
    assert "the database is locked by another program" in err
    assert "run the command again" in err and "Traceback" not in err
    assert secs < 60  # the busy timeout, not forever
    code, err, _, _ = _monitor(db, "ingest", str(page))
    assert code == 0, err
    assert _count(db, "SELECT count(*) FROM citation") == 1


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MB tmpfs (root can mount one here; elsewhere the test says why it skips)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                       capture_output=True, text=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill: {r.stderr.strip() or r.returncode}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(
    tmp_path: Path, small_disk: Path
) -> None:
    page = tmp_path / "links.html"
    page.write_text(
        "".join(
            f'<p><a href="https://h{i}.example/a/very/long/path/{i}/{"x" * 60}"><b>Report '
            f"{i}</b></a> [accessed 16 February 2011]</p>"
            for i in range(8000)
        )
    )
    db = small_disk / "m.sqlite"
    code, err, _, _ = _monitor(db, "ingest", str(page))
    assert code == 2, err
    assert "the disk holding the database is full" in err, err
    assert "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM citation").fetchone()[0] == 0  # all or none
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    code, err, _, _ = _monitor(db, "ingest", str(page))
    assert code == 0, err
    assert _count(db, "SELECT count(*) FROM citation") == 8000


def test_probe_memory_is_measured() -> None:
    """The RSS figures above come from getrusage of the child, in kilobytes on Linux."""
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 10_000
