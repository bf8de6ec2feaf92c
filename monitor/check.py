"""Checking URLs: async httpx, polite per host, bodies streamed and capped.

The unit of work is `check_host_batch`: one host's URLs, checked under that host's
concurrency and rate limits, returning results and touching no database. That is the
function a distributed worker will run later; `check_urls` runs many batches in one
process under a global concurrency limit.

Why it is built this way:
- GET with a streamed body, never HEAD: many servers answer HEAD with 405/404/501 while the
  page is fine. Only text-like bodies are read, and only up to `max_body_bytes` (a 50 MB
  PDF costs one response header, not 50 MB).
- Redirects are followed by hand, so every hop is recorded, loops are caught by the URL
  seen twice (not after 20 wasted requests), and a hop to a non-HTTP scheme is explained.
- Transport errors are classified by walking the exception chain, because httpx's own
  messages are empty for timeouts and say "All connection attempts failed" for both a
  refused port and an unreachable network (see `classify_error`).
- One shared AsyncClient is contended above a few hundred requests/s (encode/httpx#3215),
  so clients are sharded by host.

Exception map (what `classify_error` sees -> ErrorClass):

    socket.gaierror EAI_NONAME/EAI_NODATA ........ DNS_NOT_FOUND   (dead)
    socket.gaierror other (EAI_AGAIN...) ......... DNS_TEMPORARY   (transient)
    ssl.SSLCertVerificationError ................. TLS_CERT        (tls_error)
    ssl.SSLError ................................. TLS_OTHER       (tls_error)
    ConnectionRefusedError ....................... REFUSED         (dead)
    ConnectionResetError, BrokenPipeError ........ RESET           (transient)
    OSError ENETUNREACH/EHOSTUNREACH ............. UNREACHABLE     (transient)
    httpx.ConnectTimeout ......................... CONNECT_TIMEOUT (transient)
    httpx.ReadTimeout/WriteTimeout, TimeoutError . READ_TIMEOUT    (transient)
    httpx.PoolTimeout ............................ INTERNAL        (our fault, transient)
    httpx.RemoteProtocolError, ReadError ......... PROTOCOL        (transient)
    httpx.UnsupportedProtocol .................... UNSUPPORTED_SCHEME
    httpx.InvalidURL, LocalProtocolError ......... INVALID_URL
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import hashlib
import re
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from aiolimiter import AsyncLimiter
from selectolax.lexbor import LexborHTMLParser

from monitor.config import CheckSettings
from monitor.extract import ExtractError, decode
from monitor.urls import host_of
from monitor.verdict import (
    NETWORK_ERRORS,
    Decision,
    ErrorClass,
    Hop,
    Observation,
    Verdict,
    decide,
    monitor_offline,
    offline_reason,
)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_TEXTY = re.compile(r"^(text/|application/(xhtml\+xml|xml|json|ld\+json))", re.IGNORECASE)
_WS = re.compile(r"\s+")


@dataclass
class CheckResult:
    """One check of one URL: the facts and the verdict. Serialised by `as_json`."""

    url: str
    verdict: Verdict
    reason: str
    http_status: int | None
    final_url: str | None
    checked_at: dt.datetime
    elapsed_ms: int
    redirect_chain: list[Hop] = field(default_factory=list)
    error_class: str | None = None
    fingerprint: str | None = None
    page_title: str | None = None
    content_type: str | None = None

    @property
    def reached_server(self) -> bool:
        """Did any server answer (even with an error)? False for DNS/connect failures."""
        return self.error_class is None or ErrorClass(self.error_class) not in NETWORK_ERRORS

    def as_json(
        self, citations: list[dict[str, Any]] | None = None, archive_url: str | None = None
    ) -> dict[str, Any]:
        """The stable JSON contract (README, "JSON contract")."""
        return {
            "url": self.url,
            "verdict": self.verdict.value,
            "http_status": self.http_status,
            "final_url": self.final_url,
            "reason": self.reason,
            "checked_at": self.checked_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "elapsed_ms": self.elapsed_ms,
            "redirect_chain": [{"url": h.url, "status": h.status} for h in self.redirect_chain],
            "error_class": self.error_class,
            "citations": citations or [],
            "archive_url": archive_url,
        }


# ---------------------------------------------------------------- errors


def classify_error(exc: BaseException) -> tuple[ErrorClass, str]:
    """The class of a transport failure and a short detail, from the exception chain."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, socket.gaierror):
            if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                return ErrorClass.DNS_NOT_FOUND, str(e.strerror or e)
            return ErrorClass.DNS_TEMPORARY, str(e.strerror or e)
        if isinstance(e, ssl.SSLCertVerificationError):
            return ErrorClass.TLS_CERT, getattr(e, "verify_message", "") or str(e)
        if isinstance(e, ssl.SSLError):
            return ErrorClass.TLS_OTHER, e.reason or str(e)
        if isinstance(e, ConnectionRefusedError):
            return ErrorClass.REFUSED, ""
        if isinstance(e, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return ErrorClass.RESET, ""
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return ErrorClass.UNREACHABLE, e.strerror or ""
    # An SSL verification failure can arrive as text only (no chained exception).
    text = " ".join(str(e) for e in chain)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return ErrorClass.TLS_CERT, text.split("] ", 1)[-1][:200]
    # Some transports (and mocks) re-raise without the chain; the resolver's words remain.
    if "Name or service not known" in text or "nodename nor servname" in text:
        return ErrorClass.DNS_NOT_FOUND, "Name or service not known"
    if "Temporary failure in name resolution" in text:
        return ErrorClass.DNS_TEMPORARY, "Temporary failure in name resolution"
    if isinstance(exc, httpx.PoolTimeout):
        return ErrorClass.INTERNAL, "connection pool exhausted"
    if isinstance(exc, httpx.ConnectTimeout):
        return ErrorClass.CONNECT_TIMEOUT, ""
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return ErrorClass.READ_TIMEOUT, ""
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ErrorClass.UNSUPPORTED_SCHEME, str(exc)[:200]
    if isinstance(exc, (httpx.InvalidURL, httpx.LocalProtocolError)):
        return ErrorClass.INVALID_URL, str(exc)[:200]
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        return ErrorClass.PROTOCOL, str(exc)[:200]
    if isinstance(exc, httpx.ConnectError):
        return ErrorClass.REFUSED if "refused" in text.lower() else ErrorClass.UNREACHABLE, ""
    return ErrorClass.INTERNAL, type(exc).__name__


# ---------------------------------------------------------------- one URL


async def _read_capped(resp: httpx.Response, cap: int) -> bytes:
    buf = bytearray()
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) >= cap:
            break
    return bytes(buf[:cap])


@dataclass
class PageFacts:
    title: str | None
    text: str


def inspect_page(body: bytes, charset: str | None) -> PageFacts:
    """Title and visible text of a (partial) HTML or text body."""
    try:
        html = decode(body, charset)
    except ExtractError:
        return PageFacts(None, "")
    if "<" not in html[:2048]:
        return PageFacts(None, _WS.sub(" ", html).strip()[:20000])
    tree = LexborHTMLParser(html)
    title = None
    node = tree.css_first("title")
    if node:
        title = _WS.sub(" ", node.text()).strip() or None
    if not title:
        og = tree.css_first('meta[property="og:title"]')
        title = (og.attributes.get("content") or None) if og else None
    for bad in tree.css("script, style, noscript, template"):
        bad.decompose()
    body_node = tree.body
    text = body_node.text(separator=" ") if body_node else ""
    return PageFacts(title, _WS.sub(" ", text).strip()[:20000])


def fingerprint(text: str) -> str | None:
    """A short hash of the page text, to notice changes between checks."""
    if not text:
        return None
    return hashlib.sha256(text.lower().encode("utf-8", "replace")).hexdigest()[:16]


async def observe(client: httpx.AsyncClient, url: str, cfg: CheckSettings) -> Observation:
    """Fetch `url` the way a careful reader would, recording what happened."""
    obs = Observation(url=url)
    current = url
    seen = {url}
    try:
        async with asyncio.timeout(cfg.timeout):
            for _ in range(cfg.max_redirects + 1):
                req = client.build_request("GET", current)
                resp = await client.send(req, stream=True)
                try:
                    location = resp.headers.get("location")
                    if resp.status_code in REDIRECT_CODES and location:
                        obs.chain.append(Hop(current, resp.status_code))
                        nxt = urljoin(current, location.strip()).split("#", 1)[0]
                        if urlsplit(nxt).scheme not in ("http", "https"):
                            obs.error = ErrorClass.UNSUPPORTED_SCHEME
                            obs.error_detail = f"redirect to {nxt[:100]}"
                            return obs
                        if nxt in seen:
                            obs.error = ErrorClass.REDIRECT_LOOP
                            obs.error_detail = f"{current} -> {nxt}"
                            return obs
                        seen.add(nxt)
                        current = nxt
                        continue
                    obs.status = resp.status_code
                    obs.final_url = current
                    obs.content_type = resp.headers.get("content-type")
                    obs.retry_after = resp.headers.get("retry-after")
                    ctype = (obs.content_type or "").split(";")[0].strip()
                    if not ctype or _TEXTY.match(ctype):
                        body = await _read_capped(resp, cfg.max_body_bytes)
                        facts = inspect_page(body, resp.charset_encoding)
                        obs.title, obs.text = facts.title, facts.text
                    return obs
                finally:
                    await resp.aclose()
            obs.error = ErrorClass.TOO_MANY_REDIRECTS
            obs.error_detail = f"more than {cfg.max_redirects}"
    except Exception as exc:  # every transport failure becomes data, never a crash
        obs.error, obs.error_detail = classify_error(exc)
        if obs.error in (ErrorClass.INVALID_URL, ErrorClass.UNSUPPORTED_SCHEME):
            # Our own URL was valid, so httpx choked on a Location header (e.g. mailto:).
            obs.error_detail = f"redirect from {current} to an unusable address ({exc})"
        if obs.error is ErrorClass.READ_TIMEOUT and not obs.error_detail:
            obs.error_detail = f"no complete answer within {cfg.timeout:g} s"
    return obs


def result_of(obs: Observation, decision: Decision, started: float) -> CheckResult:
    return CheckResult(
        url=obs.url,
        verdict=decision.verdict,
        reason=decision.reason,
        http_status=obs.status,
        final_url=obs.final_url,
        checked_at=dt.datetime.now(dt.UTC),
        elapsed_ms=int((time.perf_counter() - started) * 1000),
        redirect_chain=list(obs.chain),
        error_class=obs.error.value if obs.error else None,
        fingerprint=fingerprint(obs.text),
        page_title=obs.title,
        content_type=obs.content_type,
    )


async def check_one(client: httpx.AsyncClient, url: str, cfg: CheckSettings) -> CheckResult:
    started = time.perf_counter()
    obs = await observe(client, url, cfg)
    return result_of(obs, decide(obs), started)


# ---------------------------------------------------------------- batches

OnResult = Callable[[CheckResult], None]


def make_client(cfg: CheckSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={
            "User-Agent": cfg.agent(),
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en;q=1.0, ru;q=0.8, *;q=0.5",
        },
        timeout=httpx.Timeout(cfg.read_timeout, connect=cfg.connect_timeout, pool=None),
        limits=httpx.Limits(
            max_connections=cfg.concurrency, max_keepalive_connections=16, keepalive_expiry=5.0
        ),
        follow_redirects=False,
        verify=cfg.tls_verify(),
        trust_env=cfg.trust_env,
    )


async def check_host_batch(
    client: httpx.AsyncClient,
    urls: list[str],
    cfg: CheckSettings,
    global_limit: asyncio.Semaphore | None = None,
    on_result: OnResult | None = None,
) -> list[CheckResult]:
    """Check one host's URLs politely; results in input order. No database, no globals."""
    host_slots = asyncio.Semaphore(cfg.per_host_concurrency)
    pace = AsyncLimiter(1, 1.0 / cfg.per_host_rate)

    async def one(url: str) -> CheckResult:
        async with host_slots, pace, global_limit or contextlib.nullcontext():
            res = await check_one(client, url, cfg)
        if on_result:
            on_result(res)
        return res

    return list(await asyncio.gather(*(one(u) for u in urls)))


def group_by_host(urls: Iterable[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for u in dict.fromkeys(urls):
        groups[host_of(u)].append(u)
    return groups


async def check_urls(
    urls: Iterable[str], cfg: CheckSettings, on_result: OnResult | None = None
) -> list[CheckResult]:
    """Check many URLs (deduplicated), batch per host, under the global limit."""
    groups = group_by_host(urls)
    clients = [make_client(cfg) for _ in range(cfg.client_shards)]
    limit = asyncio.Semaphore(cfg.concurrency)
    try:
        batches = [
            check_host_batch(clients[hash(host) % len(clients)], batch, cfg, limit, on_result)
            for host, batch in groups.items()
        ]
        done = await asyncio.gather(*batches)
    finally:
        for c in clients:
            await c.aclose()
    return apply_offline_rule([r for batch in done for r in batch])


def apply_offline_rule(results: list[CheckResult]) -> list[CheckResult]:
    """Turn network-level failures into `transient` when no host at all was reached."""
    reached = {host_of(r.url) for r in results if r.reached_server}
    failed = {host_of(r.url) for r in results if not r.reached_server}
    if monitor_offline(len(reached), len(failed)):
        for r in results:
            if not r.reached_server and r.verdict is not Verdict.TRANSIENT:
                r.verdict = Verdict.TRANSIENT
                r.reason = offline_reason(len(failed), r.reason)
    return results
