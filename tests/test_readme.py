"""The README's Python example runs (against the local world, not the internet)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.world import World

ROOT = Path(__file__).resolve().parents[1]


def test_readme_api_example_runs(world: World, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
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
