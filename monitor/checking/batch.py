"""One host's URLs, checked politely: the unit of work (`check_host_batch`, a `HostBatch`),
under that host's concurrency, rate and robots.txt, returning results and touching no
database. That is the function a distributed worker runs; `hosts.check_hosts` runs many
batches in one process under a global concurrency limit.

- Transient answers (5xx, 429, read timeouts, resets) are retried within the run with
  stamina's jittered exponential backoff; `Retry-After` is honoured up to a cap, beyond it
  the URL waits for the next run. Connect-level failures are not retried: if our own
  network is down, retries only delay the outage verdict.
- A 200 is not taken at its word: a made-up sibling URL in the same directory is fetched
  once per directory per run (Bar-Yossef et al., "Sic transit gloria telae", 2004); if it
  gets the same page, the server says 200 to anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx
import stamina
import stamina.instrumentation
from aiolimiter import AsyncLimiter
from protego import Protego
from rapidfuzz import fuzz
from stamina.instrumentation import RetryDetails

from monitor.checking.http import Fetcher, as_fetcher
from monitor.checking.observe import observe, origin, read_capped
from monitor.checking.pageread import PASSAGE_TEXT, TEXT_KEPT, PageFacts
from monitor.config import CheckSettings
from monitor.core.evidence import (
    TITLE_PARTS,
    TextIndex,
    passage_found,
    passage_key,
    usable_passage,
)
from monitor.core.fingerprint import distance, from_hex, simhash, to_hex
from monitor.core.results import CheckResult, Context
from monitor.core.urls import host_of
from monitor.core.verdict import (
    GOOD,
    ErrorClass,
    Judgement,
    Observation,
    Verdict,
    decide,
    is_document,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- retries

RETRY_ERRORS = frozenset({ErrorClass.READ_TIMEOUT, ErrorClass.RESET, ErrorClass.PROTOCOL})


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def worth_retrying(obs: Observation, decision: Judgement) -> bool:
    """Transient answers from a server that may answer properly in a moment.

    Connect-level failures (DNS, refused, unreachable, connect timeout) are not retried in
    the run: when our own network is down, retrying them only delays the outage verdict.
    """
    if decision.verdict is not Verdict.TRANSIENT:
        return False
    if obs.error is not None:
        return obs.error in RETRY_ERRORS
    return True


def _log_retry(details: RetryDetails) -> None:
    cause = details.caused_by
    url = cause.obs.url if isinstance(cause, _Retry) else "?"
    log.debug("retry %d of %s in %.1f s", details.retry_num, url, details.wait_for)


# stamina logs every retry at WARNING; a transient 503 is routine here, so log it at DEBUG.
stamina.instrumentation.set_on_retry_hooks([_log_retry])


class _Retry(Exception):
    def __init__(self, obs: Observation, decision: Judgement) -> None:
        self.obs, self.decision = obs, decision


# ---------------------------------------------------------------- one host

OnResult = Callable[[CheckResult], None]
ROBOTS_AGENT = "monitor"
ROBOTS_CAP = 512 * 1024  # bytes of robots.txt read (Google reads 500 KiB)


BURST = 3  # requests a host may get at once before its rate applies


class HostBatch:
    """One host's URLs, checked politely: the unit of work a distributed worker runs.

    It owns the host's limits (concurrency, pace, Crawl-delay), its robots.txt and its
    random-sibling probes, all for the duration of one batch, i.e. one run.
    """

    def __init__(
        self,
        client: Fetcher | httpx.AsyncClient,
        host: str,
        cfg: CheckSettings,
        global_limit: asyncio.Semaphore | None = None,
        context: Context | None = None,
    ) -> None:
        self.client, self.cfg, self.host = as_fetcher(client), cfg, host
        self.policy = cfg.policy_for(host)
        self.accepted = cfg.accepted()  # `check.accept`: statuses judged alive
        self.slots = asyncio.Semaphore(self.policy.concurrency)
        # the host's rate over time, with a burst of BURST at the start: robots.txt, the
        # page and a sibling probe of a one-off check go at once (lychee sends far more)
        rate = self.policy.rate
        self.pace = AsyncLimiter(BURST, BURST / rate) if rate > 0 else None
        self.global_limit = global_limit
        self.context = context or Context()
        self.robots: dict[str, Protego | None] = {}
        self.probes: dict[str, PageFacts | None] = {}
        self.lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def gate(self) -> AsyncIterator[None]:
        """One request's permission: the host's pace, then a global slot."""
        if self.pace is not None:
            await self.pace.acquire()
        async with self.global_limit or contextlib.nullcontext():
            yield

    # robots.txt -------------------------------------------------------------
    async def allowed(self, url: str) -> bool:
        if self.policy.robots != "respect":
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:  # else no lock to take: known rules never change
            async with self.lock:
                if origin not in self.robots:
                    self.robots[origin] = await self._fetch_robots(origin)
        rules = self.robots[origin]
        return rules is None or rules.can_fetch(url, ROBOTS_AGENT)

    async def _fetch_robots(self, origin: str) -> Protego | None:
        """robots.txt of an origin; any failure means "no rules" (RFC 9309: 4xx = allow)."""
        try:
            async with self.gate(), asyncio.timeout(self.cfg.timeout):
                resp = await self.client.get(
                    f"{origin}/robots.txt", {"User-Agent": self.policy.user_agent}
                )
                try:
                    if resp.status != 200:
                        return None
                    text = (await read_capped(resp, ROBOTS_CAP)).decode("utf-8", "replace")
                finally:
                    await resp.aclose()
        except Exception:  # robots.txt trouble must never fail the check itself
            return None
        try:
            rules = Protego.parse(text)
        except Exception:  # a malformed file is no rules at all
            return None
        delay = rules.crawl_delay(ROBOTS_AGENT)
        if delay:
            delay = min(float(delay), self.cfg.max_crawl_delay)
            current = 1.0 / self.policy.rate if self.policy.rate > 0 else 0.0
            if delay > current:
                self.pace = AsyncLimiter(1, delay)
        return rules

    # random-sibling probe ---------------------------------------------------
    async def sibling(self, obs: Observation) -> PageFacts | None:
        """What a made-up URL in the same directory answers (Bar-Yossef et al. 2004), once
        per directory per run; None when the server tells pages apart (a 404)."""
        final = obs.final_url or obs.url
        parts = urlsplit(final)
        if not self.cfg.sibling_probe or parts.path in ("", "/"):
            return None
        directory = parts.path.rsplit("/", 1)[0] + "/"
        key = f"{parts.scheme}://{parts.netloc}{directory}"
        async with self.lock:
            if key not in self.probes:
                name = f"monitor-probe-{secrets.token_hex(6)}"
                suffix = PurePosixPath(parts.path).suffix
                probe = await self._probe(
                    key + name + (suffix if len(suffix) <= 6 else ""), obs.url
                )
                self.probes[key] = probe
        return self.probes[key]

    async def _probe(self, url: str, cited: str) -> PageFacts | None:
        # a probe beside a page that redirected to another origin (another host, port or
        # scheme): this host's headers and cookies are not that origin's business
        mine = self.policy.headers if origin(url) == origin(cited) else ()
        async with self.gate():
            obs = await observe(self.client, url, self.cfg, self.policy.user_agent, mine)
        if obs.status != 200 or not (obs.text or obs.title):
            return None  # a proper 404 for nonsense: the server tells pages apart
        return PageFacts(obs.title, obs.text, obs.fields, html=obs.html, own=obs.own_text)

    def _compare(self, obs: Observation, probe: PageFacts) -> None:
        """The sibling's answer beside the page's: how alike, and which part of the page
        title both share (the site's name, whatever the site calls itself). Compared by
        their own words: a book whose every page opens with the whole table of contents
        would make any two of its pages alike."""
        mine = obs.own_text() if obs.own_text else obs.text
        theirs = probe.own() if probe.own else probe.text
        obs.sibling_similarity = max(
            fuzz.ratio(mine[:3000], theirs[:3000]),
            100.0 if obs.title and obs.title == probe.title and obs.text == probe.text else 0.0,
        )
        parts = {p.strip() for p in TITLE_PARTS.split(obs.title or "") if p.strip()}
        shared = {p.strip() for p in TITLE_PARTS.split(probe.title or "") if p.strip()}
        if len(parts) > 1:
            obs.site_names = [*obs.site_names, *(parts & shared)]

    # one URL ----------------------------------------------------------------
    async def check(self, url: str) -> CheckResult:
        started = time.perf_counter()
        async with self.slots:
            if not await self.allowed(url):
                obs = Observation(url=url)
                decision = Judgement(Verdict.BLOCKED, "disallowed by robots.txt (not fetched)")
                return self._result(obs, decision, started, attempts=0)
            attempts = 0

            async def attempt_once() -> tuple[Observation, Judgement]:
                nonlocal attempts
                attempts += 1
                async with self.gate():
                    obs = await observe(
                        self.client,
                        url,
                        self.cfg,
                        self.policy.user_agent,
                        self.policy.headers,
                        self.context.validators.get(url) if self.cfg.conditional else None,
                        PASSAGE_TEXT if self.context.passages.get(url) else TEXT_KEPT,
                    )
                obs.cited_titles = self.context.titles.get(url, [])
                decision = decide(obs, self.cfg.title_threshold)
                if worth_retrying(obs, decision):
                    raise _Retry(obs, decision)
                return obs, decision

            try:
                try:  # most answers need no second attempt: no retry machinery for them
                    obs, decision = await attempt_once()
                except _Retry as first:
                    wait = self._backoff(first)
                    if self.cfg.retries == 0 or wait is False:
                        raise
                    await asyncio.sleep(self.cfg.retry_wait if wait is True else float(wait))
                    async for attempt in stamina.retry_context(
                        on=self._backoff,
                        attempts=self.cfg.retries,
                        timeout=None,
                        wait_initial=self.cfg.retry_wait,
                        wait_max=max(self.cfg.retry_wait * 8, self.cfg.retry_wait),
                        wait_jitter=self.cfg.retry_wait / 2,
                    ):
                        with attempt:
                            obs, decision = await attempt_once()
            except _Retry as last:
                obs, decision = last.obs, last.decision
                waited = retry_after_seconds(obs.retry_after)
                if waited is not None and waited > self.cfg.retry_after_cap:
                    decision = Judgement(
                        decision.verdict,
                        f"{decision.reason}: longer than the {self.cfg.retry_after_cap:g} s "
                        "we wait within a run; checked again next run",
                    )
                elif attempts > 1:
                    decision = Judgement(
                        decision.verdict, f"{decision.reason} ({attempts} attempts)"
                    )
            if (
                decision.verdict in (Verdict.ALIVE, Verdict.DRIFTED, Verdict.MOVED)
                and obs.status == 200
                and obs.html
                and not decision.title_exact
            ):
                # Only the page's own title, matching exactly, is beyond doubt. Anything
                # less may be a catch-all server's answer to any address: the probe tells
                # "gone" (soft404) from "changed" (drifted), and names the site.
                probe = await self.sibling(obs)
                if probe is not None:
                    self._compare(obs, probe)
                    decision = decide(obs, self.cfg.title_threshold)
        return self._result(obs, decision, started, attempts, self._passages(obs, decision))

    def _passages(self, obs: Observation, decision: Judgement) -> list[str] | None:
        """Keys of the quoted passages the live page no longer carries; None when there is
        none to look for (no passage quoted, or the page is not there to read)."""
        quoted = [p for p in self.context.passages.get(obs.url, []) if usable_passage(p)]
        if not quoted or decision.verdict not in GOOD or not is_document(obs) or obs.not_modified:
            return None
        index = TextIndex(obs.text)
        return [passage_key(p) for p in quoted if not passage_found(p, index)]

    def _backoff(self, exc: Exception) -> bool | float:
        """stamina's hook: retry transient answers; honour Retry-After up to the cap."""
        if not isinstance(exc, _Retry):
            return False
        wait = retry_after_seconds(exc.obs.retry_after)
        if wait is None:
            return True
        return False if wait > self.cfg.retry_after_cap else wait

    def _result(
        self,
        obs: Observation,
        decision: Judgement,
        started: float,
        attempts: int,
        missing: list[str] | None = None,
    ) -> CheckResult:
        # only a good page's fingerprint is ever compared (the baseline of "changed"), and
        # only a stored one
        good = decision.verdict in GOOD and self.context.stored
        digest = simhash(obs.text) if good else None
        changed = None
        previous = from_hex(self.context.fingerprints.get(obs.url))
        if digest is not None and previous is not None:  # a digest is a good page's
            changed = distance(digest, previous) >= self.cfg.change_bits
        if obs.not_modified:
            changed = False  # the server says so; the last good fingerprint stays
        reason = decision.reason
        if changed:
            reason += "; content changed a lot since the last good check"
        result = CheckResult(
            url=obs.url,
            verdict=decision.verdict,
            reason=reason,
            http_status=obs.status,
            final_url=obs.final_url,
            checked_at=dt.datetime.now(dt.UTC),
            elapsed_ms=int((time.perf_counter() - started) * 1000),
            redirect_chain=list(obs.chain),
            error_class=obs.error.value if obs.error else None,
            fingerprint=to_hex(digest),
            page_title=obs.title,
            content_type=obs.content_type,
            title_score=decision.title_score,
            changed=changed,
            attempts=attempts,
            passage_found=None if missing is None else not missing,
            evidence=_evidence(obs, decision, missing),
            etag=obs.etag,
            last_modified=obs.last_modified,
        )
        if self.accepted:  # after the fingerprint: an accepted 403 is no baseline
            result.accept_status(self.accepted)
        return result

    async def run(self, urls: list[str], on_result: OnResult | None = None) -> list[CheckResult]:
        """Results in input order. As many workers as the host may have requests in flight
        pull from the list, so a host with 100,000 URLs is a few coroutines, not 100,000."""
        results: list[CheckResult | None] = [None] * len(urls)
        todo = iter(enumerate(urls))

        async def worker() -> None:
            for i, url in todo:
                results[i] = res = await self.check(url)
                if on_result:
                    on_result(res)

        async with asyncio.TaskGroup() as tg:
            for _ in range(min(self.policy.concurrency, len(urls))):
                tg.create_task(worker())
        return [r for r in results if r is not None]


def _evidence(obs: Observation, decision: Judgement, missing: list[str] | None) -> dict:
    """Why the verdict, for the JSON output: what was matched where, what the made-up
    sibling answered, where a refresh led, what kind of content it was."""
    out: dict[str, object] = {}
    if obs.content_type:
        out["content_type"] = obs.content_type.split(";")[0].strip()
    if decision.title_score is not None:
        out["title_score"] = decision.title_score
        out["title_where"] = decision.title_where
    if obs.sibling_similarity is not None:
        out["sibling_similarity"] = round(obs.sibling_similarity, 1)
    if obs.refresh_target:
        out["refresh_target"] = obs.refresh_target
    if missing:
        out["passages_missing"] = missing
    if obs.not_modified:
        out["unchanged"] = True  # a 304 to the last good answer's validators
    return out


async def check_host_batch(
    client: Fetcher | httpx.AsyncClient,
    urls: list[str],
    cfg: CheckSettings,
    global_limit: asyncio.Semaphore | None = None,
    on_result: OnResult | None = None,
    context: Context | None = None,
) -> list[CheckResult]:
    """Check one host's URLs politely; results in input order. No database, no globals."""
    if not urls:
        return []
    batch = HostBatch(client, host_of(urls[0]), cfg, global_limit, context)
    return await batch.run(urls, on_result)
