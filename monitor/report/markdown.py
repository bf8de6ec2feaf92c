"""The Markdown report, through a Jinja2 template (monitor/report/templates/report.md.j2),
so the wording can change without touching the facts."""

from __future__ import annotations

from importlib import resources

from jinja2 import Environment, StrictUndefined

from monitor.core import safe
from monitor.report.build import Report, counted, why


class _Md(str):
    """Text already made safe for the Markdown report (not escaped again)."""


def _md_escape(text: str | None) -> str:
    return _Md(safe.markdown(text) if text else "(untitled)")


def _md_finalize(value: object) -> object:
    """Every value the Markdown template prints is escaped unless a filter made it safe:
    titles, page names and reasons come from pages and servers others control."""
    if isinstance(value, str) and not isinstance(value, _Md):
        return safe.markdown(value)
    return value


def _env() -> Environment:
    env = Environment(
        autoescape=False,  # Markdown, not HTML: `_md_finalize` escapes every printed value
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_md_finalize,
    )
    env.filters["md"] = _md_escape
    env.filters["mdurl"] = lambda u: _Md(safe.markdown_url(u))
    env.filters["code"] = lambda t: _Md(safe.terminal(t).replace("`", "'"))
    env.filters["day"] = lambda t: t.strftime("%Y-%m-%d") if t else "-"
    env.globals["counted"] = counted
    env.filters["why"] = why
    env.filters["raw"] = _Md  # a macro's output: its values were escaped inside it
    return env


def render_markdown(report: Report) -> str:
    text = resources.files("monitor.report.templates").joinpath("report.md.j2").read_text("utf-8")
    return _env().from_string(text).render(r=report)
