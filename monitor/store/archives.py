"""Archive copies: links found on pages, lookups and the copies they chose, Save Page Now
requests. The store keeps the facts; choosing an anchor date and a copy is the archive
stage's (`monitor.archives`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_
from sqlmodel import col, select

from monitor.core.results import Fallback, LookupTarget, SaveResult
from monitor.core.times import utcnow
from monitor.core.verdict import GONE
from monitor.store.engine import Database
from monitor.store.models import (
    ArchiveLink,
    ArchiveLookup,
    Citation,
    SaveRequest,
    Url,
    VerifiedAccess,
)
from monitor.store.pages import cited_titles


class Archives:
    """Archive links, lookups and save requests."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def archive_targets(
        self, now: dt.datetime, lookup_days: float, urls: Sequence[str] | None = None
    ) -> list[LookupTarget]:
        """What is known of each link that needs a fallback lookup.

        Without `urls`: every cited URL whose last verdict is dead, soft404 or drifted and
        that had no lookup within `lookup_days` (failed lookups are retried). With `urls`:
        exactly those, regardless of verdict and of earlier lookups.
        """
        since = now - dt.timedelta(days=lookup_days)
        with self.db.session() as s:
            q = select(Url).where(
                col(Url.id).in_(select(Citation.url_id).where(col(Citation.removed_at).is_(None)))
            )
            if urls is not None:
                q = q.where(col(Url.url).in_(list(urls)))
            else:
                recent = select(ArchiveLookup.url_id).where(
                    col(ArchiveLookup.looked_up_at) >= since, ArchiveLookup.outcome != "error"
                )
                q = q.where(
                    col(Url.last_verdict).in_([v.value for v in GONE]),
                    col(Url.id).not_in(recent),
                )
            targets = list(s.exec(q.order_by(col(Url.id))))
            ids = [u.id for u in targets]
            cits: dict[int, list[Citation]] = defaultdict(list)
            for c in s.exec(
                select(Citation).where(
                    col(Citation.url_id).in_(ids), col(Citation.removed_at).is_(None)
                )
            ):
                cits[c.url_id].append(c)  # type: ignore[index]
            verified = dict(
                s.exec(
                    select(Citation.url_id, func.max(VerifiedAccess.accessed_on))
                    .join(Citation, col(Citation.id) == VerifiedAccess.citation_id)
                    .where(col(Citation.url_id).in_(ids))
                    .group_by(col(Citation.url_id))
                ).all()
            )
        out = []
        for u in targets:
            rows = cits.get(u.id, [])  # type: ignore[arg-type]
            stamps = [
                (dt.date.fromisoformat(st["date"]), st["precision"])
                for c in rows
                for st in c.stamps
                if st.get("date")
            ]
            first = min((c.first_seen_at for c in rows), default=u.first_seen_at).date()
            titles = list(dict.fromkeys(c.title for c in rows if c.title))
            out.append(LookupTarget(u.url, verified.get(u.id), stamps, first, titles))
        return out

    def record_lookup(self, fallback: Fallback) -> None:
        """Store a lookup and every candidate it verified (one transaction)."""
        now = utcnow()
        with self.db.session() as s, s.begin():
            u = s.exec(select(Url).where(Url.url == fallback.url)).first()
            if u is None:
                return
            chosen_id = None
            for cand in fallback.candidates:
                link = s.exec(
                    select(ArchiveLink).where(
                        ArchiveLink.url_id == u.id, ArchiveLink.archive_url == cand.archive_url
                    )
                ).first()
                if link is None:
                    link = ArchiveLink(
                        url_id=u.id,  # type: ignore[arg-type]
                        archive_url=cand.archive_url,
                        source="lookup",
                        first_seen_at=now,
                    )
                    s.add(link)
                link.captured_at = cand.capture.captured_at
                link.endpoint = cand.endpoint
                link.verified = cand.verification.ok
                link.verify_reason = cand.verification.reason
                link.verified_at = now
                s.flush()
                if fallback.chosen is cand:
                    chosen_id = link.id
            s.add(
                ArchiveLookup(
                    url_id=u.id,  # type: ignore[arg-type]
                    looked_up_at=now,
                    anchor=fallback.anchor,
                    outcome=fallback.outcome,
                    reason=fallback.reason,
                    candidates=len(fallback.candidates),
                    archive_link_id=chosen_id,
                )
            )

    def page_links_to_verify(
        self, now: dt.datetime, days: float, urls: Sequence[str] | None = None
    ) -> list[tuple[int, str, list[str]]]:
        """(link id, archive URL, cited titles) of archive links found on pages and not
        verified within `days`."""
        since = now - dt.timedelta(days=days)
        with self.db.session() as s:
            q = (
                select(ArchiveLink, Url.url)
                .join(Url, col(Url.id) == ArchiveLink.url_id)
                .where(
                    ArchiveLink.source == "page",
                    or_(
                        col(ArchiveLink.verified_at).is_(None), col(ArchiveLink.verified_at) < since
                    ),
                )
            )
            if urls is not None:
                q = q.where(col(Url.url).in_(list(urls)))
            rows = list(s.exec(q))
            titles = cited_titles(s, [url for _, url in rows])
        return [(a.id, a.archive_url, titles.get(url, [])) for a, url in rows]  # type: ignore[misc]

    def record_link_verification(self, link_id: int, ok: bool, reason: str) -> None:
        with self.db.session() as s, s.begin():
            link = s.get(ArchiveLink, link_id)
            if link is not None:
                link.verified, link.verify_reason, link.verified_at = ok, reason, utcnow()

    def fallbacks(self, urls: Iterable[str]) -> dict[str, ArchiveLink]:
        """The best verified archive copy of each URL: the latest lookup's choice, else a
        verified link from the page."""
        out: dict[str, ArchiveLink] = {}
        urls = list(urls)
        if not urls:
            return out
        with self.db.session() as s:
            q = (
                select(Url.url, ArchiveLink)
                .join(ArchiveLink, col(ArchiveLink.url_id) == Url.id)
                .where(col(Url.url).in_(urls), ArchiveLink.verified == True)  # noqa: E712
                .order_by(col(ArchiveLink.source).desc(), col(ArchiveLink.verified_at).desc())
            )
            for url, link in s.exec(q):
                out.setdefault(url, link)
            chosen = (
                select(Url.url, ArchiveLink)
                .join(ArchiveLookup, col(ArchiveLookup.url_id) == Url.id)
                .join(ArchiveLink, col(ArchiveLink.id) == ArchiveLookup.archive_link_id)
                .where(col(Url.url).in_(urls))
                .order_by(col(ArchiveLookup.looked_up_at))
            )
            for url, link in s.exec(chosen):
                out[url] = link  # the newest lookup's choice wins
        return out

    def lookups(self, url: str) -> list[ArchiveLookup]:
        with self.db.session() as s:
            q = (
                select(ArchiveLookup)
                .join(Url, col(Url.id) == ArchiveLookup.url_id)
                .where(Url.url == url)
                .order_by(col(ArchiveLookup.looked_up_at).desc())
            )
            return list(s.exec(q))

    def archive_links(self, url_ids: Iterable[int]) -> dict[int, list[ArchiveLink]]:
        out: dict[int, list[ArchiveLink]] = defaultdict(list)
        ids = list(url_ids)
        if not ids:
            return out
        with self.db.session() as s:
            for a in s.exec(select(ArchiveLink).where(col(ArchiveLink.url_id).in_(ids))):
                out[a.url_id].append(a)
        return out

    def page_archive_links(self, document_id: int) -> dict[str, ArchiveLink]:
        """Archive links cited on one page, by their address."""
        with self.db.session() as s:
            q = (
                select(ArchiveLink)
                .join(Citation, col(Citation.url_id) == ArchiveLink.url_id)
                .where(Citation.document_id == document_id, ArchiveLink.source == "page")
            )
            return {a.archive_url: a for a in s.exec(q)}

    def save_candidates(self, now: dt.datetime, min_age_days: float, limit: int = 500) -> list[str]:
        """Alive cited links with no known capture (and no save request) newer than
        `min_age_days`: the ones worth a Save Page Now request."""
        since = now - dt.timedelta(days=min_age_days)
        with self.db.session() as s:
            recent_capture = select(ArchiveLink.url_id).where(col(ArchiveLink.captured_at) >= since)
            recent_save = select(SaveRequest.url_id).where(col(SaveRequest.requested_at) >= since)
            cited = select(Citation.url_id).where(col(Citation.removed_at).is_(None))
            q = (
                select(Url.url)
                .where(
                    Url.last_verdict == "alive",
                    col(Url.id).in_(cited),
                    col(Url.id).not_in(recent_capture),
                    col(Url.id).not_in(recent_save),
                )
                .order_by(col(Url.id))
                .limit(limit)
            )
            return list(s.exec(q))

    def record_save(self, result: SaveResult) -> None:
        with self.db.session() as s, s.begin():
            u = s.exec(select(Url).where(Url.url == result.url)).first()
            if u is None:
                return
            s.add(
                SaveRequest(
                    url_id=u.id,  # type: ignore[arg-type]
                    ok=result.ok,
                    reason=result.reason,
                    archive_url=result.archive_url,
                    captured_at=result.captured_at,
                    job_id=result.job_id,
                )
            )
            if result.ok and result.archive_url:
                exists = s.exec(
                    select(ArchiveLink).where(
                        ArchiveLink.url_id == u.id, ArchiveLink.archive_url == result.archive_url
                    )
                ).first()
                if exists is None:
                    s.add(
                        ArchiveLink(
                            url_id=u.id,  # type: ignore[arg-type]
                            archive_url=result.archive_url,
                            captured_at=result.captured_at,
                            source="save",
                        )
                    )
