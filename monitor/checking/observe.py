"""Observing one URL: a streamed GET (aiohttp by default, httpx on request), its redirects
followed by hand, its body capped, its failure classified. What the observation means is
decided in `core.verdict`; one host's URLs are checked politely in `checking.batch`.

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
  so clients (`http.Fetcher`s) are sharded by host. aiohttp is called through the
  Fetcher's few calls, not httpx's API: its Request and Response objects added much to the
  HTTP layer's CPU per page (measured: docs/performance.md, "Figures behind the code").
- A page is read for what is judged: its first 20,000 characters of text (more when a
  quoted passage is looked for), an error page's first 2,000.

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
import errno
import logging
import re
import socket
import ssl
import zlib
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.checking.http import Answer, Fetcher, as_fetcher
from monitor.checking.netguard import PrivateAddressError
from monitor.checking.pageread import TEXT_KEPT, inspect_page
from monitor.config import CheckSettings
from monitor.core.urls import UrlError, host_of, redirect_target
from monitor.core.verdict import (
    ErrorClass,
    Hop,
    Observation,
)

log = logging.getLogger(__name__)
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_TEXTY = re.compile(r"^(text/|application/(xhtml\+xml|xml|json|ld\+json))", re.IGNORECASE)
_WS = re.compile(r"\s+")


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
        if isinstance(e, PrivateAddressError):
            return ErrorClass.PRIVATE_ADDRESS, str(e)
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

ERROR_PAGE_BYTES = 64 * 1024  # of an error status's body, parsed ...
ERROR_PAGE_TEXT = 2000  # ... and characters of its text kept


async def read_capped(resp: Answer, cap: int) -> bytes:
    """At most `cap` *decoded* bytes of the body.

    Decoding is done here, from the raw stream, with zlib's `max_length`: httpx would
    inflate each compressed chunk whole, and a 64 KiB chunk of a compression bomb inflates
    to tens of megabytes. Only gzip and deflate are asked for (Accept-Encoding); a body in
    another encoding is not decoded at all.
    """
    encoding = resp.headers.get("content-encoding", "").strip().lower()
    buf = bytearray()
    if encoding in ("", "identity"):
        async for chunk in resp.raw():
            buf += chunk[: cap - len(buf)]
            if len(buf) >= cap:
                break
        return bytes(buf)
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return b""
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    try:
        async for chunk in resp.raw():
            data = chunk
            while data and len(buf) < cap:
                buf += inflate.decompress(data, cap - len(buf))
                data = inflate.unconsumed_tail
            if len(buf) >= cap:
                break
    except zlib.error:
        pass  # a corrupt stream: judge what was readable
    return bytes(buf[:cap])


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port): a redirect from https to http, or to another port of the same
    host name, is another origin, and a host's headers and cookies are not sent there."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        port = None
    return (parts.scheme, host_of(url), port)


async def observe(
    client: Fetcher | httpx.AsyncClient,
    url: str,
    cfg: CheckSettings,
    user_agent: str | None = None,
    host_headers: tuple[tuple[str, str], ...] = (),
    validators: tuple[str | None, str | None, str] | None = None,
    keep: int = TEXT_KEPT,
) -> Observation:
    """Fetch `url` the way a careful reader would, recording what happened. `host_headers`
    (a host's configured headers and cookies) go only to `url`'s own host: a redirect to
    another host does not carry them. `validators` (ETag, Last-Modified of the last good
    answer, and the URL that gave it) make a request conditional: a 304 means the page is
    unchanged. `keep`: how many characters of the page's text are read (more where
    passages are looked for).

    The validators go with the request for the URL that answered them: the URL itself, or
    the page its HTTP redirects led to last time (http:// to https://, a moved article),
    so a page reached through redirects is asked for conditionally too. A page that sends
    the reader on by a meta refresh keeps no validators: where it leads is read whole."""
    fetcher = as_fetcher(client)
    obs = Observation(url=url)
    current = url
    seen = {url}
    home = origin(url)  # the host's headers and cookies go to this origin only
    etag, modified, asked_at = validators or (None, None, None)  # asked_at: who answered them
    try:
        async with asyncio.timeout(cfg.timeout):
            for _ in range(cfg.max_redirects + 1):
                headers = {"User-Agent": user_agent} if user_agent else {}
                if host_headers and origin(current) == home:
                    headers.update(host_headers)
                conditional = current == asked_at
                if conditional:
                    if etag:
                        headers["If-None-Match"] = etag
                    if modified:
                        headers["If-Modified-Since"] = modified
                resp = await fetcher.get(current, headers)
                try:
                    location = resp.headers.get("location")
                    if resp.status in REDIRECT_CODES and location:
                        obs.chain.append(Hop(current, resp.status))
                        try:  # followed as written, as a browser does (core.urls)
                            nxt = redirect_target(location, current)
                        except UrlError as exc:
                            obs.error = ErrorClass.INVALID_URL
                            obs.error_detail = (
                                f"redirect from {current} to an unusable address ({exc})"
                            )
                            return obs
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
                    obs.status = resp.status
                    obs.final_url = current
                    if resp.status == 304 and conditional:
                        obs.not_modified = True
                        return obs
                    if resp.status == 200 and obs.refresh_target is None:
                        obs.etag = resp.headers.get("etag")
                        obs.last_modified = resp.headers.get("last-modified")
                    obs.content_type = resp.headers.get("content-type")
                    obs.retry_after = resp.headers.get("retry-after")
                    ctype = (obs.content_type or "").split(";")[0].strip().lower()
                    obs.readable = not ctype or bool(_TEXTY.match(ctype))
                    if obs.readable:
                        body = await read_capped(resp, cfg.max_body_bytes)
                        if not 200 <= resp.status < 300:
                            # an error page is judged by its title and first lines (a bot
                            # wall says so at the top), not read as an article
                            body, keep = body[:ERROR_PAGE_BYTES], min(keep, ERROR_PAGE_TEXT)
                        facts = inspect_page(body, resp.charset, ctype, keep, current)
                        obs.title, obs.text, obs.own_text = facts.title, facts.text, facts.own
                        obs.self_urls = [urljoin(current, h) for h in facts.self_urls]
                        obs.fields, obs.html = facts.fields, facts.html
                        obs.site_names = [facts.site_name] if facts.site_name else []
                        if facts.refresh and 200 <= resp.status < 300:
                            # a browser goes on to the refresh's target: so does the reader
                            nxt = ""  # an unusable target is not followed
                            with contextlib.suppress(UrlError):
                                nxt = redirect_target(facts.refresh, current)
                            if nxt in seen and nxt != current:  # A -> B -> A by refresh
                                obs.error = ErrorClass.REDIRECT_LOOP
                                obs.error_detail = f"{current} refreshes back to {nxt}"
                                return obs
                            if urlsplit(nxt).scheme in ("http", "https") and nxt not in seen:
                                obs.chain.append(Hop(current, resp.status))
                                obs.refresh_target = nxt
                                obs.etag = obs.last_modified = None
                                seen.add(nxt)
                                current = nxt
                                continue
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
