"""Crontab lines as administrators write them (issue 18): cron(8)'s weekday numbers, in
the configured time zone; APScheduler alone fires `0 6 * * 1` on Tuesday, in UTC."""

from __future__ import annotations

import re


def test_status_says_when_the_next_report_comes_in_the_configured_zone(tmp_path) -> None:
    import os
    import subprocess
    import sys

    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f"[database]\nurl = 'sqlite:///{tmp_path / 'm.sqlite'}'\n"
        "[schedule]\nreport_cron = '0 6 * * 1'\ntimezone = 'Australia/Sydney'\n"
    )
    links = tmp_path / "l.txt"
    links.write_text("http://example.org/a\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    run = [sys.executable, "-m", "monitor", "--config", str(cfg)]
    kw = {"env": env, "capture_output": True, "text": True, "timeout": 60}
    assert subprocess.run([*run, "ingest", str(links)], **kw).returncode == 0
    out = subprocess.run([*run, "status", "--brief"], **kw).stdout
    assert re.search(r"next report Mon \d{4}-\d\d-\d\d 06:00 Australia/Sydney", out), out
