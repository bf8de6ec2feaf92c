"""A check's GET over aiohttp's connection handling and C-accelerated HTTP parser
(`AiohttpFetcher`, an `http.Fetcher`), with the private-network guard at aiohttp's
resolver and before each request.

Why: on realistic pages the HTTP layer was the largest cost left once pages were read in
bounded time. Through httpx's own transport (httpcore, h11, anyio), and still through
httpx's API over aiohttp (httpx-aiohttp), a page cost far more CPU than through aiohttp
alone, and through this fetcher about what it costs through aiohttp alone (measured:
docs/performance.md, "Figures behind the code"): so checks call aiohttp directly, not
through httpx's Request and Response objects.

What is kept from httpx's transport, on purpose:
- Every address is checked before a connection: host names by `GuardedResolver` (aiohttp
  asks it for every name it connects to), literal addresses (which aiohttp never resolves)
  before each request. The same `netguard` rule, the same `PrivateAddressError`.
- Failures keep their cause chain (socket.gaierror, ConnectionRefusedError, ssl errors), so
  `check.classify_error` reads them as it reads httpx's; aiohttp's own exceptions become
  the httpx exceptions of the same meaning (a connect timeout stays a connect timeout, an
  oversized header is a protocol error).
- Bodies arrive as sent (no decompression here: `check._read_capped` inflates with a cap),
  redirects are not followed (`check.observe` follows them hop by hop), URLs are sent as
  httpx would send them, and no cookie is kept between requests.
- The URL is the request target, byte for byte: aiohttp hands a string URL to yarl, which
  re-quotes it (`J%3A%20X` becomes `J:%20X`, `%7E` `~`, `%2F` in a query `/`;
  aio-libs/aiohttp#2188, #7183), so it is given `yarl.URL(url, encoded=True)`, which yarl
  takes as it is.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict
from yarl import URL

from monitor.checking.netguard import Network, _check, _literal
from monitor.core.patterns import squash

CHUNK = 64 * 1024


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, answering only addresses the guard permits."""

    def __init__(self, allow: Sequence[Network]) -> None:
        self.allow = list(allow)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        chosen = _check(host, addresses, self.allow)  # PrivateAddressError when none is
        fam = socket.AF_INET6 if ":" in chosen else socket.AF_INET
        return [
            ResolveResult(
                hostname=host, host=chosen, port=port, family=fam, proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]  # fmt: skip

    async def close(self) -> None:
        return None


def _said(message: object) -> str:
    """aiohttp's parser message on one line, in the words h11 uses for the same fault."""
    text = squash(str(message))
    if text.lower().startswith("bad status line"):
        text = "illegal status line" + text[len("bad status line") :]
    return text[:200]


class _mapped:
    """aiohttp's failures as the httpx exceptions of the same meaning, cause kept."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or isinstance(exc, (httpx.HTTPError, asyncio.CancelledError)):
            return False
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            raise httpx.ConnectTimeout(str(exc) or "connect timeout") from exc
        if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError, TimeoutError)):
            raise httpx.ReadTimeout(str(exc) or "read timeout") from exc
        if isinstance(exc, aiohttp.ClientConnectorError):
            raise httpx.ConnectError(str(exc)) from (exc.os_error or exc)
        if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
            raise httpx.RemoteProtocolError(str(exc) or "server disconnected") from exc
        if isinstance(exc, aiohttp.ClientResponseError):  # a malformed or oversized answer
            raise httpx.RemoteProtocolError(_said(exc.message or exc)) from exc
        if isinstance(exc, aiohttp.InvalidURL):
            raise httpx.InvalidURL(str(exc)) from exc
        if isinstance(exc, aiohttp.ClientOSError):
            raise httpx.ReadError(str(exc)) from (exc.__cause__ or exc)
        if isinstance(exc, aiohttp.ClientError):
            raise httpx.RemoteProtocolError(str(exc)) from exc
        return False


def _open_session(
    allow: Sequence[Network], verify: ssl.SSLContext, limits: httpx.Limits
) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow),
        ssl=verify,
        limit=limits.max_connections or 100,
        limit_per_host=0,
        keepalive_timeout=limits.keepalive_expiry or 5.0,
        use_dns_cache=False,  # each connection is checked afresh (rebinding)
    )
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps cookies, not us
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
        trust_env=False,
    )


def _guard(host: str, allow: Sequence[Network]) -> None:
    literal = _literal(host)
    if literal is not None:
        _check(host, literal, allow)  # aiohttp never resolves a literal address


class _Answer:
    """An aiohttp response as `http.Answer`."""

    __slots__ = ("headers", "response", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response, self.status, self.headers = response, response.status, response.headers

    @property
    def charset(self) -> str | None:
        return self.response.charset

    async def raw(self) -> AsyncIterator[bytes]:
        with _mapped():  # aiohttp's failures as httpx's
            async for chunk in self.response.content.iter_chunked(CHUNK):
                yield chunk

    async def aclose(self) -> None:
        self.response.release()


# A URL that httpx.URL would give back unchanged: a lower-case scheme and host name, a
# port other than the scheme's own, a path without dot segments, and only characters no
# component re-encodes (no escapes, no fragment). Most stored URLs are written that way, so
# most requests skip httpx's parser (a cost on every request: docs/performance.md, "Figures
# behind the code"); anything else goes through it, which gives back a URL from
# `urls.normalise` unchanged too (escapes included: both encode with the WHATWG sets).
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_PLAIN = re.compile(
    rf"https?://(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[1-9][0-9]{{0,4}}))?"
    r"(?<!:80)(?<!:443)"
    r"(?!(?:[^?]*)/\.\.?(?:[/?]|$))"
    r"/[A-Za-z0-9._~!$&'()*+,;=:@/-]*(?:\?[A-Za-z0-9._~!$&'()*+,;=:@/?-]*)?"
)


class AiohttpFetcher:
    """A check's GET straight over aiohttp (`http.Fetcher`), guarded as the transport
    below is. A URL not already in the form httpx.URL keeps is read by httpx.URL, so it is
    sent exactly as an httpx client would send it and an unusable one fails the same way
    (InvalidURL); the result goes to aiohttp as it is (`encoded=True`)."""

    def __init__(
        self,
        allow: Sequence[Network],
        verify: ssl.SSLContext,
        limits: httpx.Limits,
        timeout: httpx.Timeout,
        headers: dict[str, str],
    ) -> None:
        self.allow, self.verify, self.limits = list(allow), verify, limits
        self.timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout.connect, sock_read=timeout.read
        )
        self.headers = CIMultiDict(headers)
        self.session: aiohttp.ClientSession | None = None
        self.passed: set[str] = set()  # hosts the guard has let through

    async def get(self, url: str, headers: Mapping[str, str]) -> _Answer:
        plain = _PLAIN.fullmatch(url)
        if plain is not None and int(plain["port"] or 0) <= 65535:
            host = plain["host"]  # httpx would send it as written: no need to ask it
        else:
            target = httpx.URL(url)
            if target.scheme not in ("http", "https"):
                raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol {url!r}")
            url, host = str(target), target.host
        if host not in self.passed:  # a literal address's answer cannot change
            _guard(host, self.allow)
            self.passed.add(host)
        sent = self.headers
        if headers:
            sent = self.headers.copy()
            sent.update(headers)  # case-insensitively, as httpx merges them
        if self.session is None:
            self.session = _open_session(self.allow, self.verify, self.limits)
        with _mapped():
            response = await self.session.request(
                "GET",
                URL(url, encoded=True),  # sent as it is: yarl re-quotes a str
                headers=sent,
                allow_redirects=False,
                timeout=self.timeout,
            )
        return _Answer(response)

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def __aenter__(self) -> AiohttpFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
