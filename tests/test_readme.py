"""The Python example of the documentation (docs/commands.md) runs, against the local world."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.world import World

ROOT = Path(__file__).resolve().parents[1]


def test_readme_api_example_runs(world: World, tmp_path: Path) -> None:
    readme = (ROOT / "docs" / "commands.md").read_text("utf-8")
    section = readme.split("### The Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    page = tmp_path / "page.html"
    page.write_text(
        f'<p><a href="{world.url("/article/readme")}"><b>Kazak Women Sold as Sex '
        "Slaves</b></a><br>IWPR<br>[accessed 16 February 2011]</p>"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"[database]\nurl = 'sqlite:///{tmp_path / 'api.sqlite'}'\n"
        "[archive]\nendpoints = []\n[check]\ncontact = 'mailto:readme@example.org'\n"
    )
    local = (
        code.replace("https://example.org/a", world.url("/article/a"))
        .replace("https://example.org/b", world.url("/gone"))
        .replace('"config.toml"', repr(str(config)))
        .replace('"seeds/kazakhstan.html"', repr(str(page)))
    )
    local += "\nprint('SUMMARY', summary.due, dict(summary.counts))\n"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MONITOR_") or k == "MONITOR_ALLOW_NETWORKS"
    }
    env["MONITOR_CONFIG"] = str(config)
    r = subprocess.run(
        [sys.executable, "-c", local],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert f"{world.url('/article/a')} alive" in r.stdout
    assert f"{world.url('/gone')} dead HTTP 410: gone" in r.stdout
    assert "SUMMARY 1 {'alive': 1}" in r.stdout


def test_readme_five_minute_tour_runs(world: World, pywb, tmp_path: Path) -> None:
    """Every command of the README's tour, as written, with its example addresses pointed
    at the local world (and a real Wayback-compatible archive for `accept`)."""
    readme = (ROOT / "README.md").read_text("utf-8")
    tour = readme.split("## Five minutes with monitor", 1)[1]
    block = re.search(r"```sh\n(.*?)```", tour, re.S).group(1)
    swap = {
        "https://example.org/a": world.url("/article/a"),
        "https://example.org/b": world.url("/gone"),
        "https://example.org/gone": world.url("/gone"),
        "https://bot-wall.example/a": world.url("/forbidden"),
    }
    page = tmp_path / "my-page.html"
    page.write_text(
        "<ul>"
        + "".join(
            f'<li><a href="{swap[k]}">Kazak Women Sold as Sex Slaves</a>, IWPR, 17 Nov 05 '
            "[accessed 16 February 2011]</li>"
            for k in ("https://example.org/a", "https://example.org/gone", "https://bot-wall.example/a")
        )
        + "</ul>",
        "utf-8",
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f"[database]\nurl = 'sqlite:///{tmp_path / 'tour.sqlite'}'\n"
        "[check]\ncontact = 'mailto:readme@example.org'\n[archive]\nreplace = true\n"
        "[[archive.endpoints]]\n"
        + "".join(f"{k} = {v!r}\n" for k, v in pywb.endpoint(rate_per_minute=6000).items())
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_CONFIG": str(config), "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8"}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    ran = 0
    for line in block.splitlines():
        cmd = line.split("  #", 1)[0].strip()
        if not cmd.startswith("monitor "):
            continue
        for k, v in swap.items():
            cmd = cmd.replace(k, v)
        r = subprocess.run(
            cmd, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        allowed = (0, 1) if cmd.split()[1] in ("check", "run") else (0,)
        assert r.returncode in allowed, (cmd, r.stdout[-2000:], r.stderr[-2000:])
        ran += 1
    assert ran >= 10
    assert (tmp_path / "report.html").exists()
    patched = (tmp_path / "my-page.patched.html").read_text("utf-8")
    assert f"{pywb.base}/20100601100000/{world.url('/gone')}" in patched
