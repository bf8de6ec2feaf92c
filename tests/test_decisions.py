"""Decisions a maintainer makes once (issue 17): ignore, accept a snapshot or a new
address, override a verdict; listed, undone, honoured by runs, patch and the report, and
carried by export/import. Through the real command line against the local world."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.world import World

SNAPSHOT = "https://web.archive.org/web/20190105000000/"


def cli(tmp_path: Path, *args: str, db: str = "m.sqlite") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / db}",
        "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8",
        "MONITOR_ARCHIVE__ENDPOINTS": "[]",
        "MONITOR_REPORT__DIR": str(tmp_path / "reports"),
        "USER": "maintainer",
    }
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", os.devnull, *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_decisions_are_kept_honoured_and_undone(world: World, tmp_path: Path) -> None:
    # paths of this test's own: the world is shared by the whole session
    world.pages["/decisions/kept"] = (200, "<title>Kazak Women Sold as Sex Slaves</title>", {})
    world.pages["/decisions/old"] = (301, "", {"Location": "/decisions/new-home"})
    world.pages["/decisions/new-home"] = (200, "<title>A report that moved</title>", {})
    rows = [
        ("/decisions/kept", "Kazak Women Sold as Sex Slaves"),
        ("/missing", "Atyrau authorities report"),
        ("/decisions/old", "A report that moved"),
        ("/forbidden", "A site that blocks robots"),
    ]
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body>"
        + "".join(
            f'<p><a href="{world.url(p)}">{t}</a><br>Publisher, 2005<br>'
            "[accessed 16 February 2011]</p>"
            for p, t in rows
        )
        + "</body></html>",
        "utf-8",
    )
    assert cli(tmp_path, "ingest", str(page)).returncode == 0
    assert cli(tmp_path, "run").returncode in (0, 1)
    # the report's "To do": each item with the command that does it
    first = json.loads(cli(tmp_path, "report", "--format", "json").stdout)
    todo = {a["url"]: a for a in first["actions"]}
    moved = todo[world.url("/decisions/old")]
    assert moved["action"] == "update the link" and moved["suggestion"].endswith("/new-home")
    assert moved["command"] == f"monitor accept {world.url('/decisions/old')} --replace {moved['suggestion']}"
    assert todo[world.url("/decisions/kept")]["action"] == "refresh the access date"
    # ignore: never fetched again, until undone
    r = cli(tmp_path, "ignore", "*/missing", "--reason", "gone for good, replaced on the page")
    assert r.returncode == 0 and "matches 1 cited URL(s); 1 ignored in all" in r.stdout, r.stderr
    hits = world.hits["/missing"]
    assert cli(tmp_path, "run", "--all").returncode in (0, 1)
    assert world.hits["/missing"] == hits
    # accept a new address and a snapshot; override a verdict
    new_home = world.url("/decisions/new-home")
    assert cli(tmp_path, "accept", world.url("/decisions/old"), "--replace", new_home).returncode == 0
    snap = SNAPSHOT + world.url("/decisions/kept")
    assert cli(tmp_path, "accept", world.url("/decisions/kept"), "--archive", snap).returncode == 0
    r = cli(tmp_path, "override", world.url("/forbidden"), "alive", "--reason", "blocks bots")
    assert r.returncode == 0, r.stderr
    # bad decisions are refused with a reason, and nothing is stored
    assert cli(tmp_path, "override", world.url("/forbidden"), "fine", "--reason", "x").returncode == 2
    assert cli(tmp_path, "accept", "http://not.cited.example/").returncode == 2
    listed = json.loads(cli(tmp_path, "decisions", "--format", "json").stdout)
    assert [d["kind"] for d in listed] == ["ignore", "accept", "accept", "override"]
    assert all(d["by"] == "maintainer" and d["made_at"] for d in listed)
    # patch writes exactly what was accepted
    out = tmp_path / "patched.html"
    assert cli(tmp_path, "patch", str(page), "--out", str(out)).returncode == 0
    patched = out.read_text("utf-8")
    assert f'href="{new_home}"' in patched and f'href="{world.url("/decisions/old")}"' not in patched
    assert snap in patched
    # the report carries them
    report = cli(tmp_path, "report", "--format", "json")
    data = json.loads(report.stdout)
    assert {d["kind"] for d in data["decisions"]} == {"ignore", "accept", "override"}
    # decided items leave the to-do list
    assert world.url("/decisions/old") not in {a["url"] for a in data["actions"]}
    md = cli(tmp_path, "report", "--format", "md").stdout
    assert md.index("## To do") < md.index("## Dead links")
    assert "This is the first report" in md  # no report was written before it
    # export/import keeps them
    export = tmp_path / "all.jsonl"
    assert cli(tmp_path, "export", str(export)).returncode == 0
    assert cli(tmp_path, "import", str(export), db="new.sqlite").returncode == 0
    again = json.loads(cli(tmp_path, "decisions", "--format", "json", db="new.sqlite").stdout)
    assert again == listed
    # undo the ignore: the link is checked again
    ignore_id = next(d["id"] for d in listed if d["kind"] == "ignore")
    assert cli(tmp_path, "decisions", "--undo", str(ignore_id)).returncode == 0
    assert cli(tmp_path, "run", "--all").returncode in (0, 1)
    assert world.hits["/missing"] > hits
    assert len(json.loads(cli(tmp_path, "decisions", "--format", "json").stdout)) == 3
