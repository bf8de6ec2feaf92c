"""Wayback-compatible archives (`CdxArchive`, kind "cdx"): captures from a CDX index,
replays from a URL template.

Which path does what, and why:
- Capture lookups go **directly to the CDX endpoint with httpx** (async, timeouts, a 429
  told apart from "no capture"). waybackpy 3.0.6 is frozen upstream and unsafe for a
  service: no request timeout, a 5 s sleep before every availability call, HTTP 429
  reported as "no record", `near()` filling hour/minute from the clock
  (waybackpy 3.0.6's own source shows each). The Availability API is not used at all:
  rate-limited and flaky, and it returns one capture without its status.
- waybackpy is used only for anonymous Save Page Now (`save.py`), fenced in its own
  one-thread pool with a forced timeout.
- Every archive is an `ArchiveEndpoint` from config (CDX URL + replay template), several in
  priority order: the Internet Archive, pywb, OpenWayback, national archives. Both CDX
  answer shapes are read: the Internet Archive's `output=json` (rows under a header row)
  and pywb's JSON lines; the plain space-separated form too.
- Each endpoint has one token bucket shared by everything in the process
  (`rate_per_minute`), and a shared "not before" time: a 429 pauses the whole endpoint for
  its Retry-After (60 s if none), at once, for every caller. The Internet Archive blocks
  clients that ignore 429s for an hour, doubling on repeat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from aiolimiter import AsyncLimiter

from monitor.archives.choice import GOOD_CAPTURE_STATUS
from monitor.checking.batch import retry_after_seconds
from monitor.config import ArchiveEndpoint
from monitor.core.errors import ArchiveError
from monitor.core.results import Capture
from monitor.core.times import wayback_time
from monitor.core.urls import parse_archive_link

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- CDX answers and URL variants


def _status(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None  # "-" for revisits and warcinfo


def parse_cdx(text: str) -> list[Capture]:
    """Captures from a CDX answer: IA `output=json`, pywb JSON lines, or plain text; a row
    whose timestamp is not one (`wayback_time`) names no capture and is left out."""
    return [c for c in _cdx_rows(text) if wayback_time(c.timestamp) is not None]


def _cdx_rows(text: str) -> list[Capture]:
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        rows = json.loads(text)
        if not rows:
            return []
        header, body = rows[0], rows[1:]
        idx = {name: i for i, name in enumerate(header)}
        ts_i, url_i = idx.get("timestamp", 1), idx.get("original", 2)
        st_i, mime_i = idx.get("statuscode", 4), idx.get("mimetype", 3)
        return [
            Capture(r[ts_i], r[url_i], _status(r[st_i]), r[mime_i] if mime_i < len(r) else None)
            for r in body
            if len(r) > max(ts_i, url_i, st_i)
        ]
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            row = json.loads(line)
            out.append(
                Capture(
                    row["timestamp"],
                    row.get("url") or row.get("original", ""),
                    _status(row.get("status", row.get("statuscode"))),
                    row.get("mime") or row.get("mimetype"),
                )
            )
        else:  # "urlkey timestamp original mimetype statuscode digest length"
            parts = line.split()
            if len(parts) >= 5:
                out.append(Capture(parts[1], parts[2], _status(parts[4]), parts[3]))
    return out


def url_variants(url: str) -> list[str]:
    """The URL as cited, then http/https, with/without `www.`, with/without trailing slash."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    hosts = [parts.netloc]
    bare = parts.netloc[4:] if host.startswith("www.") else "www." + parts.netloc
    hosts.append(bare)
    paths = [parts.path or "/"]
    if parts.path.endswith("/") and len(parts.path) > 1:
        paths.append(parts.path.rstrip("/"))
    elif not parts.path.endswith("/"):
        paths.append(parts.path + "/")
    schemes = [parts.scheme, "https" if parts.scheme == "http" else "http"]
    out: list[str] = []
    for scheme in schemes:
        for netloc in hosts:
            for path in paths:
                v = urlunsplit((scheme, netloc, path, parts.query, ""))
                if v not in out:
                    out.append(v)
    return out


def index_key(url: str) -> str:
    """Roughly the key a CDX index files a URL under (SURT): no scheme, no `www.`. Variants
    with the same key are one query: the index already answers for all of them."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path}?{parts.query}"


# ---------------------------------------------------------------- the archive


class CdxArchive:
    """A Wayback-compatible archive (an `Archive`): its CDX index asked with the token bucket
    and pause shared by every caller."""

    _registry: ClassVar[dict[tuple[str, int], CdxArchive]] = {}

    def __init__(self, cfg: ArchiveEndpoint) -> None:
        self.cfg = cfg
        self.period = 60.0 / cfg.rate_per_minute  # seconds between requests
        self.bucket = AsyncLimiter(1, self.period)
        self.not_before = 0.0  # monotonic time before which nobody may call it (429)
        self.slowed_at = -1e9
        # outage: requests failed in a row (no answer, 5xx, throttled to the end); at
        # `down_after` the archive is not asked again until the next run's `reset()`
        self.failed_requests = 0
        self.down_after = 3
        self.down: str | None = None

    def reset(self, down_after: int) -> None:
        """A new run: the archive is asked again."""
        self.failed_requests, self.down_after, self.down = 0, down_after, None

    def _failed(self, why: str) -> None:
        self.failed_requests += 1
        if self.failed_requests >= self.down_after and self.down is None:
            self.down = f"{self.failed_requests} requests in a row failed ({why})"
            log.warning("archive %s not asked again in this run: %s", self.cfg.name, self.down)

    @classmethod
    def get(cls, cfg: ArchiveEndpoint) -> CdxArchive:
        """The process-wide endpoint object (one per event loop: buckets are loop-bound)."""
        key = (f"{cfg.name}|{cfg.cdx}|{cfg.rate_per_minute}", id(asyncio.get_running_loop()))
        if key not in cls._registry:
            cls._registry[key] = CdxArchive(cfg)
        return cls._registry[key]

    @property
    def name(self) -> str:
        return self.cfg.name

    def replay_url(self, timestamp: str, url: str, raw: bool = False) -> str:
        return self.cfg.replay_url(timestamp, url, raw)

    async def turn(self) -> None:
        """Wait for any pause, then for a token; if the endpoint was paused or slowed while
        we waited, queue again under the new terms (waiters on an old bucket must not keep
        the old pace)."""
        while True:
            wait = self.not_before - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            bucket = self.bucket
            await bucket.acquire()
            if bucket is self.bucket and self.not_before <= time.monotonic():
                return

    def pause(self, seconds: float) -> None:
        self.not_before = max(self.not_before, time.monotonic() + seconds)

    def slow_down(self) -> None:
        """A 429 means our configured rate is more than the archive grants us today: halve
        it for the rest of the process (down to one request a minute)."""
        now = time.monotonic()
        if now - self.slowed_at < max(2.0, 5 * self.period):
            return  # 429s of requests sent before the last slow-down say nothing new
        self.slowed_at = now
        if self.period < 60.0:
            self.period = min(60.0, self.period * 2)
            self.bucket = AsyncLimiter(1, self.period)
            log.info("%s: slowing to one request every %.2f s", self.cfg.name, self.period)

    async def get_text(
        self, client: httpx.AsyncClient, url: str, params: dict[str, str], attempts: int = 4
    ) -> tuple[int, str]:
        """GET under the endpoint's budget; 429/503 pause everyone and retry; resets back off."""
        backoff = 1.0
        for attempt in range(attempts):
            if self.down is not None:
                raise ArchiveError(f"{self.cfg.name} not asked: {self.down}")
            await self.turn()
            if self.down is not None:  # it went down while we waited for our turn
                raise ArchiveError(f"{self.cfg.name} not asked: {self.down}")
            try:
                resp = await client.get(url, params=params)
            except (httpx.TransportError, httpx.DecodingError) as exc:
                self._failed(type(exc).__name__)
                if attempt == attempts - 1 or self.down is not None:
                    raise ArchiveError(f"{self.cfg.name}: {type(exc).__name__}") from None
                self.pause(backoff)
                backoff *= 2
                continue
            if resp.status_code >= 500 and resp.status_code != 503:
                self._failed(f"HTTP {resp.status_code}")
            else:
                self.failed_requests = 0
            if resp.status_code in (429, 503):
                wait = retry_after_seconds(resp.headers.get("retry-after"))
                self.pause(wait if wait is not None else 60.0)
                if resp.status_code == 429:
                    self.slow_down()
                log.info("%s answered %d; pausing it", self.cfg.name, resp.status_code)
                if attempt == attempts - 1:
                    raise ArchiveError(f"{self.cfg.name}: HTTP {resp.status_code}, throttled")
                continue
            return resp.status_code, resp.text
        raise ArchiveError(f"{self.cfg.name}: no answer")  # pragma: no cover

    async def captures(self, client: httpx.AsyncClient, url: str, anchor: dt.date) -> list[Capture]:
        """Every capture of `url` and its variants (one CDX query per variant)."""
        found: list[Capture] = []
        stamp = anchor.strftime("%Y%m%d")
        keys: set[str] = set()
        for variant in url_variants(url):
            if index_key(variant) in keys:
                continue
            keys.add(index_key(variant))
            params = {
                "url": variant,
                "output": "json",
                "limit": "500",
                "closest": stamp,
                "sort": "closest",
            }
            status, text = await self.get_text(client, self.cfg.cdx, params)
            if status == 404 or (status == 200 and not text.strip()):
                continue  # no captures of this variant
            if status != 200:
                raise ArchiveError(f"{self.cfg.name}: CDX answered HTTP {status}")
            try:
                found.extend(parse_cdx(text))
            except (ValueError, KeyError, IndexError) as exc:
                raise ArchiveError(f"{self.cfg.name}: unreadable CDX answer ({exc})") from None
            if any(c.status in GOOD_CAPTURE_STATUS for c in found):
                break  # the URL as cited (or a close variant) has captures: enough
        return found


def raw_replay(archive_url: str, extra_hosts: tuple[str, ...] = ()) -> str:
    """The `id_` form of a Wayback-style link (archived bytes, no banner)."""
    link = parse_archive_link(archive_url, extra_hosts)
    if link is None:
        return archive_url
    parts = urlsplit(archive_url)
    head, sep, tail = parts.path.partition("/http")
    segs = head.rstrip("/").split("/")
    ts = segs[-1]
    digits = "".join(ch for ch in ts if ch.isdigit())
    if not digits:
        return archive_url
    segs[-1] = digits + "id_"
    path = "/".join(segs) + "/" + (("http" + tail) if sep else "")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
