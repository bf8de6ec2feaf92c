"""Archive fallbacks: the verified capture closest before the last good access date, from
the configured archives in priority order.

Choosing (InternetArchiveBot's rule, plus verification): captures of the URL and its
variants (http/https, `www.`, trailing slash) with status 200/203/206; the closest before
the anchor date first (newest first), then the closest after it (oldest first). Each
candidate's raw replay (`id_`) is fetched and judged with the same rules as a live page
(`verdict.decide`): an archived "not found" page or one without the cited title is
rejected and the next candidate tried, up to `max_candidates` per endpoint.

An archive that fails `outage_failures` requests in a row is not asked again in the run
(`ArchiveHealth`): its outage is not the cited links' fault.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from monitor.archives.base import Archive, archive_for
from monitor.archives.choice import order_candidates
from monitor.archives.wayback import raw_replay
from monitor.checking.batch import retry_after_seconds
from monitor.checking.http import archive_client
from monitor.checking.observe import observe
from monitor.config import ArchiveSettings, CheckSettings
from monitor.core.errors import ArchiveError
from monitor.core.results import Candidate, Fallback, Verification
from monitor.core.verdict import GOOD, decide

log = logging.getLogger(__name__)


async def verify_replay(
    client: httpx.AsyncClient,
    endpoint: Archive | None,
    raw_url: str,
    titles: list[str],
    check: CheckSettings,
) -> Verification:
    """Does the archived copy at `raw_url` replay the cited work?"""
    if endpoint is not None:
        await endpoint.turn()
    obs = await observe(client, raw_url, check)
    if obs.status in (429, 503) and endpoint is not None:
        wait = retry_after_seconds(obs.retry_after)
        endpoint.pause(wait if wait is not None else 60.0)
    obs.cited_titles = titles
    # a replay is judged as a page of its own: redirects inside the archive are fine
    obs.chain = []
    decision = decide(obs, check.title_threshold)
    if decision.verdict in GOOD:
        found = f", cited title found ({decision.title_score:.0f}%)" if decision.title_score else ""
        return Verification(True, f"replays HTTP {obs.status}{found}")
    return Verification(False, f"replay is {decision.verdict.value}: {decision.reason}")


class ArchiveHealth:
    """Which archives still answer in this run. An archive whose requests fail
    `outage_failures` times in a row (no answer, server errors) is down for the rest of the
    run: its outage is not the cited links' fault, and asking it again only holds the run
    (and the database lock) up. The state lives on each `Archive`; this starts a run."""

    def __init__(self, archive: ArchiveSettings) -> None:
        self.endpoints = [archive_for(cfg) for cfg in archive.endpoints]
        for e in self.endpoints:
            e.reset(archive.outage_failures)

    @property
    def down(self) -> dict[str, str]:
        """Archive name -> why it is not asked any more."""
        return {e.name: e.down for e in self.endpoints if e.down is not None}


async def find_fallback(
    client: httpx.AsyncClient,
    archive: ArchiveSettings,
    check: CheckSettings,
    url: str,
    anchor: dt.date,
    titles: list[str],
) -> Fallback:
    """The verified capture of `url` closest before `anchor`, trying endpoints in order."""
    result = Fallback(url, anchor)
    errors = []
    for cfg in archive.endpoints:
        endpoint = archive_for(cfg)
        if endpoint.down is not None:
            errors.append(f"{cfg.name} not asked: {endpoint.down}")
            continue
        try:
            captures = await endpoint.captures(client, url, anchor)
        except ArchiveError as exc:
            errors.append(str(exc))
            continue
        for cap in order_candidates(captures, anchor)[: archive.max_candidates]:
            raw = endpoint.replay_url(cap.timestamp, cap.original, raw=True)
            v = await verify_replay(client, endpoint, raw, titles, check)
            cand = Candidate(cfg.name, cap, endpoint.replay_url(cap.timestamp, cap.original), v)
            result.candidates.append(cand)
            if v.ok:
                result.chosen = cand
                return result
    result.error = "; ".join(errors) or None
    return result


async def lookup_many(
    requests: Sequence[tuple[str, dt.date, list[str]]],
    archive: ArchiveSettings,
    check: CheckSettings,
    concurrency: int = 8,
    on_result: Callable[[Fallback], None] | None = None,
    health: ArchiveHealth | None = None,
) -> list[Fallback]:
    """Lookups for (url, anchor, titles); the endpoints' buckets keep the pace. Each result
    goes to `on_result` as it completes (an interrupted run keeps those); the lookups end
    after `run_budget` seconds, and an archive that is down is not asked again. A lookup
    that did not finish is not returned: its URL is looked up next run."""
    gate = asyncio.Semaphore(concurrency)
    if health is None:
        ArchiveHealth(archive)  # a new run: every archive is asked again
    done: list[Fallback] = []
    async with archive_client(check, archive) as client:

        async def one(url: str, anchor: dt.date, titles: list[str]) -> None:
            async with gate:
                fb = await find_fallback(client, archive, check, url, anchor, titles)
            done.append(fb)
            if on_result is not None:
                on_result(fb)

        try:
            async with asyncio.timeout(archive.run_budget):
                await asyncio.gather(*(one(*r) for r in requests))
        except TimeoutError:
            log.warning(
                "archive lookups stopped after the run's budget of %g s: %d of %d done, "
                "the rest wait for the next run",
                archive.run_budget,
                len(done),
                len(requests),
            )
    return done


async def verify_links(
    links: Sequence[tuple[str, list[str]]], archive: ArchiveSettings, check: CheckSettings
) -> list[Verification]:
    """Verify archive links found on pages ("accessible [here]"), each as-is."""
    hosts = archive.hosts()
    async with archive_client(check, archive) as client:

        async def one(link: str, titles: list[str]) -> Verification:
            host = (urlsplit(link).hostname or "").lower()
            endpoint = next(
                (
                    archive_for(e)
                    for e, h in zip(archive.endpoints, hosts, strict=True)
                    if h == host
                ),
                None,
            )
            return await verify_replay(client, endpoint, raw_replay(link, hosts), titles, check)

        return list(await asyncio.gather(*(one(*x) for x in links)))
