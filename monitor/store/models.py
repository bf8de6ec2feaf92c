"""Database tables (SQLModel). The schema itself is owned by Alembic (monitor/migrations).

Every datetime is timezone-aware UTC: SQLModel 0.0.50 maps `datetime` to a UTC type that
refuses naive values, and mixing the two is how "checked 3 hours in the future" bugs start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.core.times import utcnow


class Document(SQLModel, table=True):
    """A monitored citation page: a file or a URL."""

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(unique=True, index=True, description="absolute path or URL")
    kind: str = Field(description="file | url")
    format: str
    title: str | None = None
    content_hash: str | None = None
    first_ingested_at: dt.datetime = Field(default_factory=utcnow)
    last_ingested_at: dt.datetime = Field(default_factory=utcnow)


class Url(SQLModel, table=True):
    """A normalised cited URL, checked once however often it is cited."""

    __table_args__ = (Index("ix_url_status_since", "status", "status_since"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, index=True)
    host: str = Field(index=True)
    first_seen_at: dt.datetime = Field(default_factory=utcnow)
    next_due_at: dt.datetime | None = Field(default=None, index=True)
    last_checked_at: dt.datetime | None = None
    last_verdict: str | None = Field(default=None, index=True)
    last_http_status: int | None = None  # HTTP code of the latest check
    last_reason: str | None = None
    last_final_url: str | None = None
    last_fingerprint: str | None = None
    last_good_at: dt.datetime | None = None
    first_failure_at: dt.datetime | None = None
    consecutive_failures: int = 0
    status: str = Field(default="unchecked", index=True, description="due.Status")
    status_since: dt.datetime | None = Field(
        default=None, description="when the current status began (reports: what changed)"
    )
    ignored: bool = Field(default=False, description="an ignore decision covers it: never due")
    # validators of the last good answer: sent on the next check, a 304 is "unchanged"
    etag: str | None = None
    last_modified: str | None = None


class Citation(SQLModel, table=True):
    """A cited work on a page: document x URL (or unlinked), with its stamps."""

    __table_args__ = (UniqueConstraint("document_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    url_id: int | None = Field(default=None, foreign_key="url.id", index=True)
    key: str = Field(description="identity across re-ingests: URL or title, plus occurrence")
    position: int
    title: str | None = None
    publisher: str | None = None
    note: str | None = None
    excerpt: str | None = None
    raw_url: str | None = None
    source_line: int | None = Field(default=None, description="line of the page it is on")
    stamps: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    # the reference's other links to the same work (DOI, PubMed, Scholar), as written
    alternates: list[str] | None = Field(default=None, sa_column=Column(JSON))
    stamped_on: dt.date | None = Field(default=None, description="newest dated stamp")
    verified_on: dt.date | None = Field(default=None, description="newest verified access")
    passage_gone_since: dt.date | None = Field(
        default=None, description="first check that found the page without its quoted passage"
    )
    first_seen_at: dt.datetime = Field(default_factory=utcnow)
    last_seen_at: dt.datetime = Field(default_factory=utcnow)
    removed_at: dt.datetime | None = None


class Run(SQLModel, table=True):
    """One checking run (`monitor run`), so reports can say what a run found."""

    id: int | None = Field(default=None, primary_key=True)
    started_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    status: str = "running"
    checked: int = 0
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))


class UrlCheck(SQLModel, table=True):
    """One check of one URL: append-only history."""

    __tablename__ = "url_check"
    __table_args__ = (
        Index("ix_url_check_url_time", "url_id", "checked_at"),
        Index("ix_url_check_checked_at", "checked_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    url_id: int = Field(foreign_key="url.id")
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    checked_at: dt.datetime
    verdict: str
    reason: str
    http_status: int | None = None
    final_url: str | None = None
    redirect_chain: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    elapsed_ms: int
    error_class: str | None = None
    fingerprint: str | None = None
    page_title: str | None = None
    status: str | None = None  # the URL's confirmed status after this check
    failures: int = 0
    title_score: float | None = None
    changed: bool | None = None
    attempts: int = 1
    passage_found: bool | None = None
    evidence: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class VerifiedAccess(SQLModel, table=True):
    """A date on which our own check found the cited source still there."""

    __tablename__ = "verified_access"
    __table_args__ = (UniqueConstraint("citation_id", "accessed_on"),)

    id: int | None = Field(default=None, primary_key=True)
    citation_id: int = Field(foreign_key="citation.id", index=True)
    check_id: int = Field(foreign_key="url_check.id")
    accessed_on: dt.date


class ArchiveLink(SQLModel, table=True):
    """A known archive copy of a URL (found on the page, or later by lookup)."""

    __tablename__ = "archive_link"
    __table_args__ = (UniqueConstraint("url_id", "archive_url"),)

    id: int | None = Field(default=None, primary_key=True)
    url_id: int = Field(foreign_key="url.id", index=True)
    archive_url: str
    captured_at: dt.datetime | None = None
    source: str = Field(default="page", description="page | lookup")
    first_seen_at: dt.datetime = Field(default_factory=utcnow)
    endpoint: str | None = None  # the configured archive that holds it, when known
    verified: bool | None = None  # None: never verified
    verify_reason: str | None = None
    verified_at: dt.datetime | None = None


class ArchiveLookup(SQLModel, table=True):
    """One search for a fallback of a URL: when, anchored where, with what outcome."""

    __tablename__ = "archive_lookup"
    __table_args__ = (Index("ix_archive_lookup_url_time", "url_id", "looked_up_at"),)

    id: int | None = Field(default=None, primary_key=True)
    url_id: int = Field(foreign_key="url.id")
    looked_up_at: dt.datetime = Field(default_factory=utcnow)
    anchor: dt.date
    outcome: str = Field(description="found | none | unverified | error")
    reason: str
    candidates: int = 0
    archive_link_id: int | None = Field(default=None, foreign_key="archive_link.id")


class SaveRequest(SQLModel, table=True):
    """One Save Page Now request (proactive archiving) and its outcome."""

    __tablename__ = "save_request"

    id: int | None = Field(default=None, primary_key=True)
    url_id: int = Field(foreign_key="url.id", index=True)
    requested_at: dt.datetime = Field(default_factory=utcnow)
    ok: bool
    reason: str
    archive_url: str | None = None
    captured_at: dt.datetime | None = None
    job_id: str | None = None


class JobState(SQLModel, table=True):
    """When a periodic job (the weekly report, the prune) last ran, for cron-style runs."""

    __tablename__ = "job_state"

    name: str = Field(primary_key=True)
    last_at: dt.datetime


class Decision(SQLModel, table=True):
    """A maintainer's decision (issue 17): ignore a URL or pattern, accept a snapshot or a
    new address, override a verdict. Undone decisions stay, with when they were undone."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, description="ignore | accept | override")
    pattern: str | None = None  # ignore: a URL or a glob
    url: str | None = Field(default=None, index=True)  # accept, override
    archive_url: str | None = None  # accept: the snapshot
    replace_url: str | None = None  # accept: the new address
    verdict: str | None = None  # override: the human's verdict
    reason: str | None = None
    by: str | None = None
    made_at: dt.datetime = Field(default_factory=utcnow)
    until: dt.date | None = None
    undone_at: dt.datetime | None = None

    def as_json(self) -> dict[str, Any]:
        """As `monitor decisions --format json` and the report's `decisions` write it."""
        from monitor.core.times import iso

        return {
            "id": self.id, "kind": self.kind, "pattern": self.pattern, "url": self.url,
            "archive_url": self.archive_url, "replace_url": self.replace_url,
            "verdict": self.verdict, "reason": self.reason, "by": self.by,
            "made_at": iso(self.made_at), "until": self.until.isoformat() if self.until else None,
            "undone_at": iso(self.undone_at),
        }  # fmt: skip
