"""Report files (issue 30): a second report the same day covers another period, so it gets
a name of its own; no report overwrites another's file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.api.reporting import report_stem


def test_a_second_report_the_same_day_gets_its_own_name(tmp_path: Path) -> None:
    now = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
    first = report_stem(tmp_path, now, ["md", "html"])
    assert first.name == "report-2026-12-07"
    (tmp_path / "report-2026-12-07.html").write_text("monday")  # one format is enough
    second = report_stem(tmp_path, now, ["md", "html"])
    assert second.name == "report-2026-12-07-0930"
    (tmp_path / "report-2026-12-07-0930.md").write_text("again")
    assert report_stem(tmp_path, now, ["md", "html"]).name == "report-2026-12-07-0930-2"
    assert report_stem(tmp_path, now + dt.timedelta(days=1), ["md"]).name == "report-2026-12-08"
