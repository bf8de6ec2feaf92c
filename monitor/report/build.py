"""The report of the current state: what is dead, what moved, which access dates to refresh.

`build_report` gathers the facts from the store into plain data; `render_markdown` turns
them into Markdown through a Jinja2 template (monitor/report/templates/report.md.j2), so the
wording can change without touching the queries.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from monitor.core.due import Confirmation, Status, describe
from monitor.core.results import SectionFilter
from monitor.core.stamps import AccessStamp, format_stamp, newest
from monitor.core.verdict import ANSWERS_ANOTHER_PAGE, OUTAGE_PREFIX, Verdict
from monitor.store import Store
from monitor.store.models import ArchiveLink, Citation, Decision, Document, Run, Url

UNCHECKED = "unchecked"
IGNORED = "ignored"  # a maintainer's decision: never checked again
# a page's counts, column by column: every verdict in its order, then the two that are not
COUNT_COLUMNS = (*(v.value for v in Verdict), UNCHECKED, IGNORED)

# The two words the report uses, said once at its top (Markdown and HTML alike).
VOCABULARY = (
    "Verdict: what the last check saw (" + ", ".join(v.value for v in Verdict) + "). "
    "Status: what the history says (alive, failing, dead, recovered): "
    "a link is dead only after {checks} failing checks over at least {days:g} days, so one "
    "bad day never makes it dead."
)


def override_note(human: str, before: str | None, since: list[str]) -> str | None:
    """When a human's verdict needs a second look: the machine disagrees now, and either it
    said something else when the decision was made, or it agreed with the human since.
    `before`: the machine's verdict when the decision was made; `since`: its verdicts after,
    oldest first. None while the decision still stands as made."""
    if not since or since[-1] == human:
        return None
    now = since[-1]
    if human in since:
        again = " again" if now == before else ""
        return f"the machine agreed ({human}) after your decision and now says {now}{again}"
    if now != before:
        was = f"it said {before}" if before else "it had not checked it"
        return f"the machine now says {now}; when you decided, {was}"
    return None


@dataclass
class Item:
    """One cited link in a section of the report."""

    title: str | None
    document: str
    url: str
    line: int | None  # where on the page (`monitor.pages.sourcemap`), for the one who fixes it
    verdict: str
    status_text: str  # the status for people, e.g. "failing (1 of 3)"
    reason: str | None
    checked_at: dt.datetime | None
    first_failure_at: dt.datetime | None
    failures: int
    final_url: str | None
    fallback: ArchiveLink | None = None  # the verified archive copy, if any
    page_links: list[ArchiveLink] = field(default_factory=list)  # "[here]" links on the page
    history: list[tuple[dt.datetime, str, str | None]] = field(default_factory=list)
    override: Decision | None = None  # a human's verdict in force for this URL
    override_note: str | None = None  # set when the machine disagrees again after a change
    accepted: Decision | None = None  # the snapshot or new address the maintainer took
    status: str = UNCHECKED  # the status word alone (`due.Status`), for filters

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def outage(self) -> bool:
        """Not judged: the run that checked it last found our own network down."""
        return (self.reason or "").startswith(OUTAGE_PREFIX)


@dataclass
class Refresh:
    """A citation whose newest page stamp is older than our newest verified access."""

    title: str | None
    document: str
    url: str
    line: int | None
    old_stamp: str
    new_date: dt.date
    new_stamp: str


# What each kind of action is, in the order a Monday takes them: gone sources first, then
# what needs a decision, then the routine (one command does all of it)
PRIORITY = {
    "use the snapshot": 0,
    "look at the page": 1,
    "look again": 2,
    "update the link": 3,
    "refresh the access date": 4,
}
TIER = {0: "gone", 1: "gone", 2: "decide", 3: "decide", 4: "routine"}


@dataclass
class Action:
    """One thing for the maintainer to do, with the command that does it (and the other
    commands that would do instead)."""

    url: str
    page: str
    line: int | None
    title: str | None
    action: str  # "use the snapshot", "update the link", "look at the page", "refresh the date"
    suggestion: str
    command: str
    alternatives: tuple[str, ...] = ()
    verdict: str = "alive"  # for the report's filters
    status: str = "alive"
    confirmed: bool = True  # False: a snapshot offered before the rule calls the link dead

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def json(self) -> dict[str, object]:
        return {
            "url": self.url, "page": self.page, "line": self.line, "title": self.title,
            "action": self.action, "suggestion": self.suggestion, "command": self.command,
            "alternatives": list(self.alternatives), "confirmed": self.confirmed,
        }  # fmt: skip


@dataclass
class ToDoGroup:
    """Actions of one kind (one page's, for the routine): what the To do shows as one line,
    with its count and, where one command does them all, that command."""

    action: str
    items: list[Action]
    command: str | None = None  # one command for every item ("monitor patch PAGE")
    page: str | None = None

    @property
    def tier(self) -> str:
        return TIER[PRIORITY[self.action]]

    @property
    def heading(self) -> str:
        n = len(self.items)
        if self.action == "refresh the access date":
            return f"refresh {n} access date{'s' if n != 1 else ''} on {self.page}"
        return f"{self.action}: {n} link{'s' if n != 1 else ''}"


def to_do(
    sections: dict[str, list[Item]], refreshed: list[Refresh], decided: set[str]
) -> list[Action]:
    """The report's first section: per citation needing the maintainer, what to do and the
    command that does it, gone sources first, then decisions, then the routine. URLs a
    decision already covers (accepted, overridden, ignored) are not asked about again."""
    out: list[Action] = []
    seen: set[tuple[str, str]] = set()

    def add(
        i: Item | Refresh,
        action: str,
        suggestion: str,
        command: str,
        decided_ok: bool = False,
        alternatives: tuple[str, ...] = (),
        confirmed: bool = True,
    ) -> None:
        if (i.url in decided and not decided_ok) or (i.url, i.document) in seen:
            return
        seen.add((i.url, i.document))
        verdict, status = (i.verdict, i.status) if isinstance(i, Item) else ("alive", "alive")
        out.append(
            Action(
                i.url, i.document, i.line, i.title, action, suggestion, command,
                alternatives=alternatives, verdict=verdict, status=status, confirmed=confirmed,
            )
        )  # fmt: skip

    for name in ("newly_dead", "dead", "failing"):
        for i in sections.get(name, []):
            url = shlex.quote(i.url)
            # never a bare "override alive" first: the page answered with something else
            other = (
                f"monitor accept {url} --replace NEW-ADDRESS",
                f"monitor override {url} alive --reason 'WHY IT IS STILL THE WORK'",
            )
            if i.fallback is not None:
                add(i, "use the snapshot", i.fallback.archive_url, f"monitor accept {url}",
                    alternatives=other if i.verdict in ANSWERS_ANOTHER_PAGE else other[:1],
                    confirmed=name != "failing")  # fmt: skip
            elif i.verdict in ANSWERS_ANOTHER_PAGE:
                add(i, "look at the page", f"{i.verdict}: {i.reason}", other[0],
                    alternatives=other[1:], confirmed=name != "failing")  # fmt: skip
    for name in SECTIONS:  # an override the machine no longer agrees with: decided, asked
        for i in sections.get(name, []):
            if i.override is not None and i.override_note:
                add(i, "look again", f"you said {i.override.verdict}; {i.override_note}",
                    f"monitor decisions --undo {i.override.id}", decided_ok=True)  # fmt: skip
    for i in sections.get("moved", []):
        if i.final_url:
            new = shlex.quote(i.final_url)
            add(
                i,
                "update the link",
                i.final_url,
                f"monitor accept {shlex.quote(i.url)} --replace {new}",
            )
    for f in refreshed:
        add(f, "refresh the access date", f.new_stamp, f"monitor patch {shlex.quote(f.document)}")
    # stable: within a kind, the order the sections gave (newly dead first)
    return sorted(out, key=lambda a: (PRIORITY[a.action], not a.confirmed))


def group_to_do(actions: list[Action]) -> list[ToDoGroup]:
    """The To do as a Monday reads it: one line per kind of action, the routine one line
    per page with the one command that does it all."""
    groups: dict[tuple[str, str | None], ToDoGroup] = {}
    for a in actions:
        routine = a.action == "refresh the access date"
        key = (a.action, a.page if routine else None)
        if key not in groups:
            groups[key] = ToDoGroup(
                a.action, [], a.command if routine else None, a.page if routine else None
            )
        groups[key].items.append(a)
    return sorted(groups.values(), key=lambda g: PRIORITY[g.action])


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
    since: dt.datetime | None = None
    newly_dead: list[Item] = field(default_factory=list)
    newly_recovered: list[Item] = field(default_factory=list)
    broken_here: list[Item] = field(default_factory=list)  # "[here]" links that do not work
    # the page is there but no longer carries the passage its citation quotes
    passage_gone: list[Item] = field(default_factory=list)
    trend: list[tuple[dt.date, dict[str, int]]] = field(default_factory=list)
    section_totals: dict[str, int] = field(default_factory=dict)  # before the max_items cap
    max_items: int = 1000
    decisions: list[Decision] = field(default_factory=list)  # the maintainer's, in force
    actions: list[Action] = field(default_factory=list)  # "To do": first in the report

    @property
    def todo(self) -> list[ToDoGroup]:
        """The To do, grouped (`group_to_do`)."""
        return group_to_do(self.actions)

    statuses: Counter[str] = field(default_factory=Counter)  # links by status
    outages: list[Run] = field(default_factory=list)  # runs that found our network down
    latest_outage: bool = False  # ... and the latest run was one of them
    config_ignores: tuple[tuple[str, str | None], ...] = ()  # `[[ignore]]` of the config
    unchanged: int = 0  # checks in the period answered 304: the page as at its last good one

    @property
    def columns(self) -> tuple[str, ...]:
        """The count columns of the pages table (`COUNT_COLUMNS`)."""
        return COUNT_COLUMNS

    @property
    def since_text(self) -> str:
        """The previous report's time, to the minute when it was the same day as this one
        ("Changes since 2026-12-02" on a report of 2026-12-02 says nothing)."""
        if self.since is None:
            return ""
        if self.since.date() == self.generated_at.date():
            return f"{self.since:%Y-%m-%d %H:%M} UTC"
        return f"{self.since:%Y-%m-%d}"

    @property
    def vocabulary(self) -> str:
        return VOCABULARY.format(checks=self.rule.checks, days=self.rule.days)

    def memberships(self) -> dict[tuple[str, str], tuple[Item, list[str]]]:
        """Each listed link of each page, once: its item (from its first section) and the
        names of every section it is in, in report order."""
        out: dict[tuple[str, str], tuple[Item, list[str]]] = {}
        for name in SECTIONS:
            for i in getattr(self, name):
                out.setdefault((i.document, i.url), (i, []))[1].append(name)
        return out

    def pages(self) -> list[tuple[DocumentSummary, list[Item]]]:
        """Per page, its links that need a look (each once): the part a maintainer who owns
        one page reads."""
        by_doc: dict[str, list[Item]] = {d.source: [] for d in self.documents}
        for (doc, _), (i, _) in self.memberships().items():
            by_doc.setdefault(doc, []).append(i)
        return [(d, by_doc.get(d.source, [])) for d in self.documents]

    def total(self, name: str) -> int:
        """How many items a section has, listed or not."""
        return self.section_totals.get(name, len(getattr(self, name)))


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
        line=c.source_line,
        verdict=u.last_verdict or UNCHECKED,
        status_text=describe(Status(u.status), u.consecutive_failures, rule),
        reason=u.last_reason,
        checked_at=u.last_checked_at,
        first_failure_at=u.first_failure_at,
        failures=u.consecutive_failures,
        final_url=u.last_final_url,
        fallback=fallback,
        page_links=[a for a in links if a.source == "page"],
        status=u.status or UNCHECKED,
    )


def section_filters(start: dt.datetime) -> dict[str, SectionFilter]:
    """What each section of the report lists (changes: since `start`)."""
    dead, failing, recovered = Status.DEAD.value, Status.FAILING.value, Status.RECOVERED.value
    return {
        "dead": SectionFilter(statuses=(dead,)),
        "failing": SectionFilter(statuses=(failing,)),
        "recovered": SectionFilter(statuses=(recovered,)),
        "moved": SectionFilter(verdicts=(Verdict.MOVED.value,)),
        "unverifiable": SectionFilter(verdicts=(Verdict.TRANSIENT.value, Verdict.BLOCKED.value)),
        "newly_dead": SectionFilter(statuses=(dead,), changed_since=start),
        "newly_recovered": SectionFilter(statuses=(recovered,), changed_since=start),
        "passage_gone": SectionFilter(passage_gone=True),
    }


def build_report(
    store: Store,
    rule: Confirmation = Confirmation(),  # noqa: B008
    since: dt.datetime | None = None,
    max_items: int = 1000,
    now: dt.datetime | None = None,
) -> Report:
    """The report from aggregate queries: counts are exact however large the database;
    each section lists at most `max_items` citations (its heading gives the full count),
    so a million-URL report takes seconds and bounded memory."""
    now = now or dt.datetime.now(dt.UTC)
    docs: list[DocumentSummary] = []
    totals: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    unlinked = 0
    for d, verdicts, by_status, un in store.reports.citation_counts():
        docs.append(DocumentSummary(d.source, d.title, sum(verdicts.values()) + un, un, verdicts))
        totals.update(verdicts)
        statuses.update(by_status)
        unlinked += un
    known = {  # section sizes the GROUP BY above already counted
        "dead": statuses[Status.DEAD.value],
        "failing": statuses[Status.FAILING.value],
        "recovered": statuses[Status.RECOVERED.value],
        "moved": totals[Verdict.MOVED.value],
        "unverifiable": totals[Verdict.TRANSIENT.value] + totals[Verdict.BLOCKED.value],
    }
    start = since or dt.datetime.min.replace(tzinfo=dt.UTC)
    found = {
        name: store.reports.section(f, max_items, known.get(name))
        for name, f in section_filters(start).items()
    }
    url_ids = {u.id for _, rows in found.values() for _, u, _ in rows}
    archives = store.archives.archive_links(url_ids)  # type: ignore[arg-type]
    fallbacks = store.archives.fallbacks({u.url for _, rows in found.values() for _, u, _ in rows})
    sections = {
        name: [
            _item(c, u, d, archives.get(u.id, []), fallbacks.get(u.url), rule)  # type: ignore[arg-type]
            for c, u, d in rows
        ]
        for name, (_, rows) in found.items()
    }
    refreshed_total, picked = store.reports.refreshable(max_items)
    refreshed = []
    for c, u, d, day in picked:
        last = newest([AccessStamp.from_dict(x) for x in c.stamps])
        refreshed.append(
            Refresh(
                c.title,
                d.source,
                u.url,
                c.source_line,
                last.raw if last else "(none)",
                day,
                format_stamp(day, last.raw if last else None),
            )
        )
    broken = [
        i
        for name in ("dead", "failing", "recovered")
        for i in sections[name]
        if any(a.verified is False for a in i.page_links)
    ]
    decisions = store.decisions.active(now)
    period_start = since or now - dt.timedelta(days=7)  # outages and 304s: this period's
    decided = {d.url for d in decisions if d.url and d.kind in ("accept", "override")}
    overrides = {d.url: d for d in decisions if d.kind == "override" and d.url}
    accepts = {d.url: d for d in decisions if d.kind == "accept" and d.url}
    by_url = {u.url: u.id for _, rows in found.values() for _, u, _ in rows}
    strips = store.reports.recent_checks(set(by_url.values()))  # type: ignore[arg-type]
    for items in sections.values():
        for i in items:
            i.history = strips.get(by_url[i.url], [])
            i.accepted = accepts.get(i.url)
            if (d := overrides.get(i.url)) is not None:
                i.override = d
                before = [v for at, v, _ in i.history if at < d.made_at]
                since_made = [v for at, v, _ in i.history if at >= d.made_at]
                i.override_note = override_note(
                    d.verdict or "", before[-1] if before else None, since_made
                )
    totals_of = {name: n for name, (n, _) in found.items()}
    totals_of["broken_here"] = len(broken)
    totals_of["refreshed"] = refreshed_total
    return Report(
        since=since,
        newly_dead=sections["newly_dead"],
        newly_recovered=sections["newly_recovered"],
        broken_here=broken,
        trend=store.reports.weekly_counts(now),
        generated_at=now,
        documents=docs,
        totals=totals,
        dead=sections["dead"],
        failing=sections["failing"],
        recovered=sections["recovered"],
        moved=sections["moved"],
        passage_gone=sections["passage_gone"],
        unverifiable=sections["unverifiable"],
        refreshed=refreshed,
        unlinked=unlinked,
        rule=rule,
        section_totals=totals_of,
        max_items=max_items,
        decisions=decisions,
        actions=to_do(sections, refreshed, decided),
        statuses=statuses,
        outages=(outages := store.runs.outages(period_start)),
        latest_outage=bool(outages)
        and (last := store.runs.last_run()) is not None
        and last.id == outages[0].id,
        config_ignores=(*store.decisions.config_ignores, *store.decisions.config_filter.rules()),
        unchanged=store.reports.unchanged_since(period_start),
    )


def why(i: Item) -> str:
    """An item's reason as the report prints it: one short line for links not judged in an
    outage (the banner says the rest), the check's own reason otherwise."""
    if i.outage:
        return "not judged: the monitor's network was down (see the outage note)"
    return i.reason or ""


def counted(r: Report, name: str) -> str:
    """A section's count for its heading, saying when the list is cut at max_items."""
    total, shown = r.total(name), len(getattr(r, name))
    return f"{total}" if total == shown else f"{total:,}; the first {shown:,} listed"


SECTIONS = ("newly_dead", "dead", "failing", "newly_recovered", "recovered", "moved",
            "passage_gone", "unverifiable", "broken_here")  # fmt: skip
