"""The HTML report: one self-contained file (inline CSS, SVG charts and a little script,
no external requests) that reads well on a desktop and on a phone.

Kept apart from `monitor.report.build`, which gathers the facts: this module only draws them.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from monitor.report.build import SECTIONS, Item, Report, counted, why

STATUS_COLOURS = {
    "alive": "#2e7d32", "moved": "#0277bd", "recovered": "#00897b", "failing": "#ef6c00",
    "dead": "#c62828", "unverified": "#9e9e9e", "unchecked": "#bdbdbd", "ignored": "#607d8b",
}  # fmt: skip


def svg_trend(
    trend: list[tuple[dt.date, dict[str, int]]], width: int = 640, height: int = 220
) -> str:
    """An inline SVG of stacked columns: per week, the links in each status at its end. A
    column is the whole page set, so a growing red part is links dying, whatever the number
    of checks."""
    if not trend:
        return ""
    statuses = [s for s in STATUS_COLOURS if any(c.get(s) for _, c in trend)]
    statuses += sorted({s for _, c in trend for s in c} - set(statuses))
    top = max(1, max(sum(c.values()) for _, c in trend))
    left, bottom, right, top_pad = 40, 30, 110, 10
    w, h = width - left - right, height - bottom - top_pad
    step = w / len(trend)
    bar = max(2.0, min(40.0, step * 0.7))
    parts = [
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="links by status at the end of each week" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top_pad + h}" x2="{left + w}" y2="{top_pad + h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top_pad + 8}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{left - 6}" y="{top_pad + h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, (week, counts) in enumerate(trend):
        x = left + step * i + (step - bar) / 2
        y = float(top_pad + h)
        for st in statuses:
            n = counts.get(st, 0)
            if n:
                hgt = h * n / top
                y -= hgt
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{hgt:.1f}" '
                    f'fill="{STATUS_COLOURS.get(st, "#777")}"><title>week of {week:%d %b}: '
                    f"{n} {st}</title></rect>"
                )
        if len(trend) <= 12 or i % max(1, len(trend) // 8) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="10">{week:%d %b}</text>'
            )
    for k, st in enumerate(statuses):
        parts.append(
            f'<rect x="{left + w + 12}" y="{top_pad + 16 * k}" width="10" height="10" '
            f'fill="{STATUS_COLOURS.get(st, "#777")}"/><text x="{left + w + 26}" '
            f'y="{top_pad + 16 * k + 9}" font-size="11">{st}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


VERDICT_COLOURS = {
    "alive": "#2e7d32", "moved": "#0277bd", "dead": "#c62828", "soft404": "#d84315",
    "drifted": "#f9a825", "tls_error": "#6d4c41", "transient": "#9e9e9e",
    "blocked": "#7b1fa2", "unchecked": "#cfd8dc", "ignored": "#607d8b",
}  # fmt: skip


def svg_bar(counts: dict[str, int], width: int = 320, height: int = 14) -> str:
    """A stacked bar of one page's links by last verdict."""
    total = sum(counts.values()) or 1
    x, parts = (
        0.0,
        [
            f'<svg class="bar" viewBox="0 0 {width} {height}" '
            f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="links by status">'
        ],
    )
    for s, colour in VERDICT_COLOURS.items():
        n = counts.get(s, 0)
        if n:
            wdt = width * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{wdt:.1f}" height="{height}" '
                f'fill="{colour}"><title>{s}: {n}</title></rect>'
            )
            x += wdt
    parts.append("</svg>")
    return "".join(parts)


SECTION_TITLES = {
    "newly_dead": "Newly dead", "dead": "Dead (confirmed)", "failing": "Failing, not yet confirmed",
    "newly_recovered": "Newly recovered", "recovered": "Recovered", "moved": "Moved",
    "passage_gone": "Quoted passage gone", "unverifiable": "Could not be judged",
    "broken_here": '"[here]" links that do not work',
}  # fmt: skip


def strip(history: list[tuple[dt.datetime, str, str | None]]) -> Markup:
    """A link's last checks, oldest first, as a row of small coloured marks: a link that
    fails now and then looks different from one that died last Tuesday."""
    marks = "".join(
        f'<i style="background:{VERDICT_COLOURS.get(v, "#777")}" '
        f'title="{at:%Y-%m-%d %H:%M} {Markup.escape(v)}"></i>'
        for at, v, _ in history
    )
    return Markup(f'<span class="strip" aria-label="last {len(history)} checks">{marks}</span>')


def render_html(r: Report) -> str:
    env = Environment(autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    env.filters["day"] = lambda t: t.strftime("%Y-%m-%d") if t else "-"
    env.filters["why"] = why
    env.filters["strip"] = strip
    env.globals["counted"] = counted
    text = resources.files("monitor.report.templates").joinpath("report.html.j2").read_text("utf-8")
    bars = {d.source: Markup(svg_bar(dict(d.counts))) for d in r.documents}
    pages = r.pages()
    items: list[Item] = [i for _, rows in pages for i in rows]
    member = {
        key: [SECTION_TITLES[n] for n in names] for key, (_, names) in r.memberships().items()
    }
    return env.from_string(text).render(
        r=r,
        trend=Markup(svg_trend(r.trend)),
        bars=bars,
        colours=VERDICT_COLOURS,
        status_colours=STATUS_COLOURS,
        pages=pages,
        sections=[(n, SECTION_TITLES[n]) for n in SECTIONS],
        verdicts=sorted({i.verdict for i in items}),
        states=sorted({i.status for i in items}),
        hosts=sorted({i.host for i in items}),
        member=member,
    )
