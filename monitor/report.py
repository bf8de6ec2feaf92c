"""The report of the current state: what is dead, what moved, which access dates to refresh.

`build_report` gathers the facts from the store into plain data; `render_markdown` turns
them into Markdown through a Jinja2 template (monitor/templates/report.md.j2), so the
wording can change without touching the queries.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

from jinja2 import Environment, StrictUndefined

from monitor.due import Confirmation, Status, describe
from monitor.models import ArchiveLink, Citation, Document, Url
from monitor.stamps import AccessStamp, format_stamp, newest
from monitor.store import Store
from monitor.verdict import Verdict

UNCHECKED = "unchecked"


@dataclass
class Item:
    """One cited link in a section of the report."""

    title: str | None
    document: str
    url: str
    verdict: str
    status: str  # e.g. "failing (1 of 3)"
    reason: str | None
    checked_at: dt.datetime | None
    first_failure_at: dt.datetime | None
    failures: int
    final_url: str | None
    fallback: ArchiveLink | None = None  # the verified archive copy, if any
    page_links: list[ArchiveLink] = field(default_factory=list)  # "[here]" links on the page


@dataclass
class Refresh:
    """A citation whose newest page stamp is older than our newest verified access."""

    title: str | None
    document: str
    url: str
    old_stamp: str
    new_date: dt.date
    new_stamp: str


@dataclass
class DocumentSummary:
    source: str
    title: str | None
    citations: int
    unlinked: int
    counts: Counter[str]


@dataclass
class Report:
    generated_at: dt.datetime
    documents: list[DocumentSummary]
    totals: Counter[str]
    dead: list[Item]
    failing: list[Item]
    recovered: list[Item]
    moved: list[Item]
    unverifiable: list[Item]
    refreshed: list[Refresh]
    unlinked: int
    rule: Confirmation


def _item(
    c: Citation,
    u: Url,
    d: Document,
    links: list[ArchiveLink],
    fallback: ArchiveLink | None,
    rule: Confirmation,
) -> Item:
    return Item(
        title=c.title,
        document=d.source,
        url=u.url,
        verdict=u.last_verdict or UNCHECKED,
        status=describe(Status(u.status), u.consecutive_failures, rule),
        reason=u.last_reason,
        checked_at=u.last_checked_at,
        first_failure_at=u.first_failure_at,
        failures=u.consecutive_failures,
        final_url=u.last_final_url,
        fallback=fallback,
        page_links=[a for a in links if a.source == "page"],
    )


def build_report(store: Store, rule: Confirmation = Confirmation()) -> Report:  # noqa: B008
    rows = store.citation_rows()
    verified = store.verified_dates()
    archives = store.archive_links({u.id for _, u, _ in rows if u is not None and u.id})
    fallbacks = store.fallbacks({u.url for _, u, _ in rows if u is not None})
    docs: dict[int, DocumentSummary] = {}
    totals: Counter[str] = Counter()
    dead, failing, recovered, moved, unverifiable, refreshed = [], [], [], [], [], []
    unlinked = 0
    for c, u, d in rows:
        summary = docs.setdefault(
            d.id,  # type: ignore[arg-type]
            DocumentSummary(d.source, d.title, 0, 0, Counter()),
        )
        summary.citations += 1
        if u is None:
            summary.unlinked += 1
            unlinked += 1
            continue
        verdict = u.last_verdict or UNCHECKED
        summary.counts[verdict] += 1
        totals[verdict] += 1
        links = archives.get(u.id, [])  # type: ignore[arg-type]
        item = _item(c, u, d, links, fallbacks.get(u.url), rule)
        status = Status(u.status)
        if status is Status.DEAD:
            dead.append(item)
        elif status is Status.FAILING:
            failing.append(item)
        elif status is Status.RECOVERED:
            recovered.append(item)
        if verdict == Verdict.MOVED:
            moved.append(item)
        elif verdict in (Verdict.TRANSIENT, Verdict.BLOCKED):
            unverifiable.append(item)
        day = verified.get(c.id)  # type: ignore[arg-type]
        if day is not None:
            stamps = [AccessStamp.from_dict(s) for s in c.stamps]
            last = newest(stamps)
            if last is None or last.date < day:  # type: ignore[operator]
                refreshed.append(
                    Refresh(
                        c.title,
                        d.source,
                        u.url,
                        last.raw if last else "(none)",
                        day,
                        format_stamp(day, last.raw if last else None),
                    )
                )
    return Report(
        generated_at=dt.datetime.now(dt.UTC),
        documents=list(docs.values()),
        totals=totals,
        dead=dead,
        failing=failing,
        recovered=recovered,
        moved=moved,
        unverifiable=unverifiable,
        refreshed=refreshed,
        unlinked=unlinked,
        rule=rule,
    )


def _md_escape(text: str | None) -> str:
    if not text:
        return "(untitled)"
    return text.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")


def _env() -> Environment:
    env = Environment(
        autoescape=False,  # Markdown, not HTML; titles are escaped with the md filter
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md_escape
    env.filters["day"] = lambda t: t.strftime("%Y-%m-%d") if t else "-"
    return env


def render_markdown(report: Report) -> str:
    text = resources.files("monitor.templates").joinpath("report.md.j2").read_text("utf-8")
    return _env().from_string(text).render(r=report)
