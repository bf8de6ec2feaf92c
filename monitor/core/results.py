"""What the stages hand on: the citations found on a page, the result of a check, what an
archive lookup needs and finds, a save request.

Plain data, shared by the stage that makes it (check, archive, save), the store that keeps
it and the outputs that show it, so none of those needs to import another stage. The field
lists of a check result live here once: `STORED_FIELDS` (the `url_check` columns) and
`JSON_FIELDS` (the JSON contract, README "JSON contract").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from monitor.core.stamps import AccessStamp
from monitor.core.times import iso, wayback_time
from monitor.core.urls import ArchiveAddress
from monitor.core.verdict import GOOD, NETWORK_ERRORS, ErrorClass, Hop, Verdict

# what `check.accept` may turn alive: verdicts of a status, not of the page's content
ACCEPT_OVERRIDES = frozenset({Verdict.DEAD, Verdict.BLOCKED, Verdict.TRANSIENT})

# one check, as the JSON contract names its facts (in this order)
JSON_FIELDS = (
    "url", "verdict", "http_status", "final_url", "reason", "checked_at", "elapsed_ms",
    "redirect_chain", "error_class", "status", "failures", "title_score", "changed", "attempts",
    "passage_found", "evidence",
)  # fmt: skip
# one check, as the url_check table keeps it (beside url_id and run_id)
STORED_FIELDS = (*(f for f in JSON_FIELDS if f != "url"), "fingerprint", "page_title")
# what a check answer adds about an archive copy (monitor check --archive)
ARCHIVE_FIELDS = ("archive_url", "archive_captured_at", "archive_verified", "archive_reason")


# ---------------------------------------------------------------- pages -> store


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    text: str


@dataclass(slots=True)
class FoundCitation:
    """One cited work as found on the page (stored as `models.Citation`)."""

    position: int
    title: str | None
    publisher: str | None = None
    stamps: list[AccessStamp] = field(default_factory=list)
    url: str | None = None  # normalised; None for an unlinked citation
    raw_url: str | None = None  # as written on the page
    archive_links: list[ArchiveAddress] = field(default_factory=list)
    note: str | None = None  # further header lines (ISBN, edition...)
    excerpt: str | None = None
    source_line: int | None = None  # where on the page it is (`monitor.pages.sourcemap`)
    source_column: int | None = None  # ... and the column its link (or title) starts at
    # the reference's other links to the same work (DOI, PubMed, Scholar...), as written
    alternates: list[str] = field(default_factory=list)


@dataclass
class Extraction:
    format: str
    title: str | None
    citations: list[FoundCitation]
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count of links skipped


# ---------------------------------------------------------------- report -> store


@dataclass(frozen=True)
class SectionFilter:
    """Which citations a report section lists, as data: the store turns it into a query
    (the report itself writes no SQL). Empty fields do not filter."""

    statuses: tuple[str, ...] = ()  # the URL's confirmed status is one of these
    verdicts: tuple[str, ...] = ()  # its last verdict is one of these
    changed_since: dt.datetime | None = None  # its status began after this
    passage_gone: bool = False  # the citation's quoted passage is gone


# ---------------------------------------------------------------- store -> archive stage


@dataclass
class LookupTarget:
    """What is known of a link that needs a fallback: the archive stage turns it into an
    anchor date (`archive.anchor_date`) and a lookup."""

    url: str
    verified: dt.date | None  # our newest verified access
    stamps: list[tuple[dt.date, str]]  # (date, precision) of the page's access stamps
    first_seen: dt.date
    titles: list[str]


@dataclass
class CheckResult:
    """One check of one URL: the facts and the verdict."""

    url: str
    verdict: Verdict
    reason: str
    http_status: int | None
    final_url: str | None
    checked_at: dt.datetime
    elapsed_ms: int
    redirect_chain: list[Hop] = field(default_factory=list)
    error_class: str | None = None
    fingerprint: str | None = None  # simhash of the page text, hex
    page_title: str | None = None
    content_type: str | None = None
    title_score: float | None = None  # 0-100: how well the page carries the cited title
    changed: bool | None = None  # text far from the last good check's (None: nothing to compare)
    attempts: int = 1
    # the quoted passages of its citations: all on the page, one gone, or none to look for
    passage_found: bool | None = None
    # why the verdict: title score and where, sibling similarity, refresh target, content
    # type, the keys of quoted passages no longer on the page (`evidence.passage_key`)
    evidence: dict[str, Any] = field(default_factory=dict)
    status: str | None = None  # confirmed status after this check (set by the caller)
    failures: int = 0  # failing checks in a row, this one included
    # ETag and Last-Modified of a good 200 answer (stored for the next, conditional check)
    etag: str | None = None
    last_modified: str | None = None

    @property
    def unchanged(self) -> bool:
        """A conditional re-check answered 304: the page is as it was at the last good one
        (reached directly, or through the same redirects)."""
        return self.http_status == 304 and self.verdict in GOOD

    @property
    def accepted_by_status(self) -> bool:
        """Judged alive only because `check.accept` accepts its status (the work unread)."""
        return "verdict_without_accept" in self.evidence

    def accept_status(self, accepted: frozenset[int]) -> None:
        """`check.accept` (lychee's `--accept`): a dead, blocked or transient result whose
        final HTTP status is accepted, and not a 2xx, is alive; what monitor would have said
        stays in its evidence (`verdict_without_accept`, `reason_without_accept`). A content
        verdict (soft404, drifted) is never overridden: the status was fine, the page not."""
        status = self.http_status
        if status is None or status not in accepted or 200 <= status < 300:
            return
        if self.verdict not in ACCEPT_OVERRIDES:
            return
        self.evidence = {
            **self.evidence,
            "verdict_without_accept": self.verdict.value,
            "reason_without_accept": self.reason,
        }
        self.reason = (
            f"HTTP {status} accepted (accept); would be {self.verdict.value}: {self.reason}"
        )
        self.verdict = Verdict.ALIVE

    @property
    def passages_missing(self) -> frozenset[str]:
        """The keys (`evidence.passage_key`) of quoted passages this check did not find."""
        return frozenset(self.evidence.get("passages_missing") or ())

    @property
    def reached_server(self) -> bool:
        """Did any server answer (even with an error)? False for DNS/connect failures."""
        return self.error_class is None or ErrorClass(self.error_class) not in NETWORK_ERRORS

    def _values(
        self, names: tuple[str, ...], get: Callable[[Any], tuple[Any, ...]]
    ) -> dict[str, Any]:
        """`names` (fetched at once by `get`, their attrgetter: a run stores thousands of
        checks a second), the verdict as its value and the redirect hops as dicts."""
        out = dict(zip(names, get(self), strict=True))
        out["verdict"] = self.verdict.value
        out["redirect_chain"] = [{"url": h.url, "status": h.status} for h in self.redirect_chain]
        return out

    def as_row(self) -> dict[str, Any]:
        """The `url_check` columns of this check."""
        return self._values(STORED_FIELDS, _STORED)

    def as_json(
        self,
        citations: list[dict[str, Any]] | None = None,
        archive: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The stable JSON contract (README, "JSON contract"): the check's facts, who cites
        it, and what is known of an archive copy (`ARCHIVE_FIELDS`)."""
        out = self._values(JSON_FIELDS, _JSON)
        out["checked_at"] = iso(self.checked_at)
        out["citations"] = citations or []
        archive = archive or {}
        for name in ARCHIVE_FIELDS:
            value = archive.get(name)
            out[name] = iso(value) if isinstance(value, dt.datetime) else value
        return out


_STORED, _JSON = attrgetter(*STORED_FIELDS), attrgetter(*JSON_FIELDS)


@dataclass
class Context:
    """What the database knows that sharpens a verdict; all optional."""

    titles: Mapping[str, list[str]] = field(default_factory=dict)  # url -> cited titles
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # url -> last good simhash
    passages: Mapping[str, list[str]] = field(default_factory=dict)  # url -> quoted passages
    # url -> (ETag, Last-Modified, the URL that answered them) of its last good answer: the
    # URL itself, or the page its HTTP redirects led to; for a conditional request there
    validators: Mapping[str, tuple[str | None, str | None, str]] = field(default_factory=dict)
    # whether the results are stored: only then is a good page's fingerprint worth its cost
    # (the next check's baseline); a one-off `monitor check` keeps nothing to compare with
    stored: bool = True

    def subset(self, urls: list[str]) -> Context:
        """Only what concerns `urls` (a child process needs no more)."""
        return Context(
            titles={u: self.titles[u] for u in urls if u in self.titles},
            fingerprints={u: self.fingerprints[u] for u in urls if u in self.fingerprints},
            passages={u: self.passages[u] for u in urls if u in self.passages},
            validators={u: self.validators[u] for u in urls if u in self.validators},
            stored=self.stored,
        )


# ---------------------------------------------------------------- archive lookups


@dataclass(frozen=True)
class Capture:
    """One capture listed by a CDX index."""

    timestamp: str  # 14 digits, as the archive writes it
    original: str
    status: int | None
    mime: str | None = None

    @property
    def captured_at(self) -> dt.datetime:
        when = wayback_time(self.timestamp)
        if when is None:  # parse_cdx drops such rows; a hand-made Capture must be valid
            raise ValueError(f"not a Wayback timestamp: {self.timestamp!r}")
        return when


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str


@dataclass
class Candidate:
    endpoint: str
    capture: Capture
    archive_url: str
    verification: Verification


@dataclass
class Fallback:
    """The outcome of one lookup: the chosen copy (if any) and every candidate tried."""

    url: str
    anchor: dt.date
    chosen: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    error: str | None = None

    @property
    def outcome(self) -> str:
        if self.chosen:
            return "found"
        if self.error and not self.candidates:
            return "error"
        return "unverified" if self.candidates else "none"

    @property
    def reason(self) -> str:
        if self.chosen:
            c = self.chosen
            return (
                f"{c.endpoint} capture of {c.capture.captured_at:%Y-%m-%d}: {c.verification.reason}"
            )
        if self.error and not self.candidates:
            return self.error
        if self.candidates:
            return f"{len(self.candidates)} capture(s) tried, none replays the cited work"
        return "no capture with status 200 in any archive"


@dataclass
class SaveResult:
    """One Save Page Now request and what came of it."""

    url: str
    ok: bool
    reason: str
    archive_url: str | None = None
    captured_at: dt.datetime | None = None
    job_id: str | None = None
