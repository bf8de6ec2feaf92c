"""The report formats, in one table: the configuration (`[report] formats`), the API
(`api.REPORT_FORMATS`), the command line (`monitor report --format`) and the writer of
report files all read it. A new format is a renderer module and one row here.

The table is plain data (the renderer is named, not imported), so the configuration can
check a format's name without importing Jinja or the report's view model; a renderer is
imported when a report is first rendered in that format.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.report.build import Report


@dataclass(frozen=True)
class Format:
    """One way to write the report."""

    name: str  # as configured and typed: `monitor report --format NAME`
    suffix: str  # of the file written: report-2026-12-07.SUFFIX
    renderer: str  # "module:function", a function Report -> str
    describe: str

    def render(self, report: Report) -> str:
        module, func = self.renderer.split(":")
        call: Callable[[Report], str] = getattr(importlib.import_module(module), func)
        return call(report)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("md", "md", "monitor.report.markdown:render_markdown", "Markdown: to read, to mail"),
        Format("html", "html", "monitor.report.html:render_html", "one self-contained page"),
        Format("json", "json", "monitor.report.tables:render_json", "the JSON contract"),
        Format("csv", "csv", "monitor.report.tables:render_csv", "one row per listed item"),
    )
}
NAMES = tuple(FORMATS)


def render(report: Report, name: str) -> str:
    """The report in format `name` (one of NAMES)."""
    return FORMATS[name].render(report)
