"""The one place that builds HTTP clients: TLS settings, the private-network guard,
connection limits, timeouts and the User-Agent are decided here, once, for every purpose.

Clients differ by purpose, on purpose:
- `check_client`: cited URLs, written by strangers. Guarded (`netguard`), redirects followed
  by hand (`check.observe` records every hop), gzip/deflate asked for and inflated with a
  cap by the checker, a small pool per host batch (httpcore scans its pool on every
  request, encode/httpcore#1035, so one big shared pool was the largest cost of a run).
- `page_client`: page URLs given to `ingest` (synchronous). Guarded; httpx follows redirects.
- `archive_client` and `save_client`: the archive endpoints of `[[archive.endpoints]]` and
  `[archive.save]`, set by the administrator (a pywb on the local network is normal), so
  not guarded.

Every builder takes `transport=` so a test can swap the network (httpx.MockTransport, a
recording transport), as httpx intends; without one, the transport is the guarded one
where the purpose needs it.

Checks go through a `Fetcher`, the few calls `check.observe` makes (a GET with headers, an
answer's status, headers, charset and raw body). `check_fetcher` gives aiohttp itself
(`aiotransport.AiohttpFetcher`): httpx's Request and Response objects cost more CPU a
page than the rest of the HTTP layer (measured: docs/performance.md, "Figures behind the
code").
Any httpx client (the `httpx` transport, a test's MockTransport, the archive client) is a
Fetcher through `HttpxFetcher`.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

import httpx

from monitor.checking.netguard import GuardedSyncTransport, GuardedTransport
from monitor.config import ArchiveSettings, CheckSettings, SaveSettings

if TYPE_CHECKING:
    from monitor.checking.aiotransport import AiohttpFetcher

CHECK_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en;q=1.0, ru;q=0.8, *;q=0.5",
    "Accept-Encoding": "gzip, deflate",  # decoded by check._read_capped, with a cap
}


def ssl_context(cfg: CheckSettings) -> ssl.SSLContext:
    """One TLS context for every client of a run: building one is costly (the CA
    bundle), a client that is handed one is cheap, so clients can be per host (measured:
    docs/performance.md, "Figures behind the code")."""
    verify = cfg.tls_verify()
    if isinstance(verify, ssl.SSLContext):
        return verify
    return httpx.create_ssl_context(verify=verify, trust_env=cfg.trust_env)


def _limits(connections: int) -> httpx.Limits:
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=min(connections, 32),
        keepalive_expiry=5.0,
    )


def _headers(cfg: CheckSettings) -> dict[str, str]:
    return {"User-Agent": cfg.agent(), **CHECK_HEADERS}


def _timeout(cfg: CheckSettings) -> httpx.Timeout:
    return httpx.Timeout(cfg.read_timeout, connect=cfg.connect_timeout, pool=None)


def check_client(
    cfg: CheckSettings,
    verify: ssl.SSLContext | None = None,
    connections: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An httpx client for cited URLs: what `[check] transport = "httpx"` checks with
    (through `check_fetcher`), and what a test hands its own transport."""
    tls = verify if verify is not None else ssl_context(cfg)
    limits = _limits(connections or cfg.concurrency)
    return httpx.AsyncClient(
        headers=_headers(cfg),
        timeout=_timeout(cfg),
        limits=limits,
        follow_redirects=False,
        verify=tls,
        trust_env=cfg.trust_env,
        transport=transport or GuardedTransport(cfg.allowed_networks(), tls, limits),
    )


class Answer(Protocol):
    """A response as a check reads it: the body is read from `raw()` (undecoded), then
    `aclose()` hands the connection back."""

    status: int
    headers: Mapping[str, str]  # case-insensitive

    @property
    def charset(self) -> str | None: ...

    def raw(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class Fetcher(Protocol):
    """What `check.observe` needs of an HTTP client: one GET, redirects not followed. A
    failure raises the httpx exception of its meaning (`check.classify_error` reads it)."""

    async def get(self, url: str, headers: Mapping[str, str]) -> Answer: ...

    async def aclose(self) -> None: ...


class _HttpxAnswer:
    __slots__ = ("headers", "response", "status")

    def __init__(self, response: httpx.Response) -> None:
        self.response, self.status, self.headers = response, response.status_code, response.headers

    @property
    def charset(self) -> str | None:
        return self.response.charset_encoding

    def raw(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()

    async def aclose(self) -> None:
        await self.response.aclose()


class HttpxFetcher:
    """Any httpx client as a Fetcher: the `httpx` transport, a test's mock, the archive's.

    The URL is the request target as it is: httpx.URL (httpx 0.28) keeps every `%` escape
    and every character the WHATWG path and query sets leave alone, and encodes the rest
    with those sets, as `urls.normalise` already did, so `raw_path` is the stored URL's path
    and query byte for byte (tests/test_url_as_written.py reads the request line)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, url: str, headers: Mapping[str, str]) -> Answer:
        request = self.client.build_request("GET", url, headers=dict(headers) or None)
        return _HttpxAnswer(await self.client.send(request, stream=True))

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> HttpxFetcher:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def as_fetcher(client: Fetcher | httpx.AsyncClient) -> Fetcher:
    return HttpxFetcher(client) if isinstance(client, httpx.AsyncClient) else client


# a check of at most this many URLs uses httpx under `transport = "auto"`: importing aiohttp
# (it builds its TLS contexts at import) costs more than its cheaper pages save on so few
FEW_URLS = 16


def transport_for(cfg: CheckSettings, urls: int | None = None) -> str:
    """The transport for a check of `urls` URLs (None: a run's feed, many)."""
    if cfg.transport != "auto":
        return cfg.transport
    return "httpx" if urls is not None and urls <= FEW_URLS else "aiohttp"


def check_fetcher(
    cfg: CheckSettings,
    verify: ssl.SSLContext | None = None,
    connections: int | None = None,
    transport: str | None = None,
) -> HttpxFetcher | AiohttpFetcher:
    """What a run checks cited URLs with (one per host batch, sharing `verify`): aiohttp
    itself for many URLs, the guarded httpx client for a few (`transport_for`)."""
    tls = verify if verify is not None else ssl_context(cfg)
    if (transport or transport_for(cfg)) == "aiohttp":
        from monitor.checking.aiotransport import AiohttpFetcher

        limits = _limits(connections or cfg.concurrency)
        return AiohttpFetcher(cfg.allowed_networks(), tls, limits, _timeout(cfg), _headers(cfg))
    return HttpxFetcher(check_client(cfg, tls, connections))


def page_client(cfg: CheckSettings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A synchronous client for the page URLs given to `ingest`."""
    tls = ssl_context(cfg)
    limits = _limits(4)
    return httpx.Client(
        headers={"User-Agent": cfg.agent()},
        timeout=httpx.Timeout(cfg.read_timeout, connect=cfg.connect_timeout),
        limits=limits,
        follow_redirects=True,
        max_redirects=cfg.max_redirects,
        verify=tls,
        trust_env=cfg.trust_env,
        transport=transport or GuardedSyncTransport(cfg.allowed_networks(), tls, limits),
    )


def archive_client(
    check: CheckSettings,
    archive: ArchiveSettings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client for CDX queries and replays of the configured archive endpoints."""
    return httpx.AsyncClient(
        headers={"User-Agent": check.agent()},
        timeout=httpx.Timeout(archive.timeout, connect=min(archive.timeout, 10.0)),
        follow_redirects=False,
        verify=ssl_context(check),
        trust_env=check.trust_env,
        transport=transport,
    )


def save_client(
    check: CheckSettings,
    save: SaveSettings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """A client for Save Page Now 2 (with keys)."""
    return httpx.AsyncClient(
        headers={"User-Agent": check.agent()},
        timeout=save.timeout,
        verify=ssl_context(check),
        trust_env=check.trust_env,
        transport=transport,
    )
