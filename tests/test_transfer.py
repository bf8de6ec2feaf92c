"""`monitor export` / `monitor import`: the whole history from SQLite to PostgreSQL and back,
with nothing lost; bad files and non-empty targets refused without a change."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from monitor import api
from monitor.store import open_store
from monitor.store.transfer import tables
from tests.conftest import make_settings
from tests.world import World


def _monitor(db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_DATABASE__URL": db, "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8"}
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", os.devnull, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )


def _rows(path: Path) -> list[dict]:
    lines = path.read_text("utf-8").splitlines()
    assert json.loads(lines[0])["format"] == "monitor-export"
    trailer = json.loads(lines[-1])["trailer"]  # rows per table and a checksum, last
    rows = [json.loads(line) for line in lines[1:-1]]
    assert trailer["total"] == len(rows)
    return rows


def _history(tmp_path: Path, world: World) -> str:
    """A SQLite database with a bit of everything: pages, citations, URLs, two runs of
    checks, verified access dates, an archive link from the page."""
    db = f"sqlite:///{tmp_path / 'source.sqlite'}"
    page = tmp_path / "page.html"
    page.write_text(
        f'<p><a href="{world.url("/article/kazak")}"><b>Kazak Women Sold as Sex Slaves</b></a>'
        "<br>IWPR, 17 Nov 05<br>[accessed 16 February 2011] [accessed 7 June 2017]<br>"
        "At one time this article had been archived and may possibly still be accessible "
        f'<a href="https://web.archive.org/web/20110216000000/{world.url("/article/kazak")}">'
        "here</a></p>"
        f'<p><a href="{world.url("/missing")}"><b>Atyrau authorities</b></a><br>Kazinform, '
        "July 14, 2006<br>[accessed 16 February 2011]</p>"
        f'<p><a href="{world.url("/old")}"><b>Moved report</b></a><br>[accessed 2009]</p>'
        "<p><b>An unlinked citation</b><br>Somebody, 2004</p>",
        "utf-8",
    )
    store = open_store(db)
    settings = make_settings()
    api.ingest(store, [str(page)], settings)
    now = dt.datetime.now(dt.UTC)
    api.run(store, settings, everything=True, now=now - dt.timedelta(days=7))
    api.run(store, settings, everything=True, now=now)
    with store.engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in tables()
        }
    store.close()
    for name in ("document", "citation", "url", "run", "url_check", "verified_access"):
        assert counts[name] > 0, counts
    assert counts["archive_link"] >= 1, counts
    return db


def test_round_trip_sqlite_postgres_sqlite(tmp_path: Path, world: World, pg_url: str) -> None:
    source = _history(tmp_path, world)
    first = tmp_path / "first.jsonl"
    r = _monitor(source, "export", str(first))
    assert r.returncode == 0, r.stderr
    assert "exported" in r.stderr and "url_check:" in r.stderr

    r = _monitor(pg_url, "import", str(first))
    assert r.returncode == 0, r.stderr
    second = tmp_path / "second.jsonl"
    assert _monitor(pg_url, "export", str(second)).returncode == 0
    assert _rows(second) == _rows(first)  # PostgreSQL holds exactly what SQLite held

    back = f"sqlite:///{tmp_path / 'back.sqlite'}"
    assert _monitor(back, "import", str(second)).returncode == 0
    third = tmp_path / "third.jsonl"
    assert _monitor(back, "export", str(third)).returncode == 0
    assert _rows(third) == _rows(first)

    # the imported database is a working one: new rows get fresh ids past the imported ones
    store = open_store(pg_url)
    run_id = store.runs.start_run()
    assert run_id > max(r["row"]["id"] for r in _rows(first) if r["table"] == "run")
    assert store.reports.citation_counts()
    store.close()
    # and the report reads the same facts from it
    assert _monitor(back, "report", "--format", "json").returncode == 0


def test_import_refuses_bad_files_and_non_empty_databases(tmp_path: Path, world: World) -> None:
    source = _history(tmp_path, world)
    export = tmp_path / "x.jsonl"
    assert _monitor(source, "export", str(export)).returncode == 0
    r = _monitor(source, "import", str(export))  # into the database it came from
    assert r.returncode == 2 and "not empty" in r.stderr and "nothing was imported" in r.stderr

    target = f"sqlite:///{tmp_path / 'new.sqlite'}"
    lines = export.read_text("utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:5], "{not json", *lines[5:]]) + "\n", "utf-8")
    r = _monitor(target, "import", str(broken))
    assert r.returncode == 2 and "line 6: not JSON" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    # all or nothing: the rows before the bad line were not kept
    store = open_store(target)
    with store.engine.connect() as conn:
        assert all(
            conn.execute(select(func.count()).select_from(t)).scalar() == 0 for t in tables()
        )
    store.close()

    r = _monitor(target, "import", str(tmp_path / "page.html"))
    assert r.returncode == 2 and "not JSON" in r.stderr
    r = _monitor(target, "export", str(export))
    assert r.returncode == 2 and "exists; use --force" in r.stderr


def test_an_export_cut_at_a_line_boundary_is_refused(tmp_path: Path, world: World) -> None:
    """A: `head -n 3000 all.jsonl > t.jsonl; monitor import t.jsonl` imported a part and
    said nothing. Every line parses; only the trailer tells the file is not whole."""
    src = _history(tmp_path, world)
    full = tmp_path / "all.jsonl"
    assert _monitor(src, "export", str(full)).returncode == 0
    lines = full.read_text("utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[: len(lines) // 2]), "utf-8")
    r = _monitor(f"sqlite:///{tmp_path / 'a.sqlite'}", "import", str(cut))
    assert r.returncode == 2 and "without its trailer" in r.stderr and "cut short" in r.stderr
    # the trailer kept but rows taken out: the table that came up short is named
    short = tmp_path / "short.jsonl"
    short.write_text("".join(lines[:-3] + lines[-1:]), "utf-8")
    r = _monitor(f"sqlite:///{tmp_path / 'b.sqlite'}", "import", str(short))
    assert r.returncode == 2 and "came up short" in r.stderr, r.stderr
    # a row changed by hand: the checksum says so
    changed = tmp_path / "changed.jsonl"
    changed.write_text("".join(lines).replace('"alive"', '"dead"', 1), "utf-8")
    r = _monitor(f"sqlite:///{tmp_path / 'c.sqlite'}", "import", str(changed))
    assert r.returncode == 2 and "checksum" in r.stderr, r.stderr
    # and through stdin the same
    r = _monitor(f"sqlite:///{tmp_path / 'd.sqlite'}", "import", "-", stdin=cut.read_text())
    assert r.returncode == 2 and "cut short" in r.stderr
