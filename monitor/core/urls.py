"""URL hygiene: which links are checkable, their normalised key, and archive links.

The same source cited twice (`HTTP://Example.com:80/a#top` and `http://example.com/a`)
must be checked once, so every URL is reduced to one key with url-normalize (host case,
default ports, dot segments, percent-encoding, IDNA) plus dropping the fragment, which
never reaches the server. Query order is kept: servers may care.

Archive links ("may possibly still be accessible [here]") are not independent sources:
`parse_archive_link` recognises Wayback-style replay URLs (`/web/<timestamp>/<url>` and
relatives used by Archive-It, national and institutional archives, archive.today) and
returns the original URL and the capture time, so ingest can file the link as a fallback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urljoin, urlsplit, urlunsplit

from url_normalize import url_normalize
from url_normalize.normalize_query import process_query_param
from url_normalize.tools import RESERVED_CHARACTERS, normalize_component

from monitor.core.errors import UrlError
from monitor.core.times import wayback_time

# url-normalize IDNA-checks the host of every URL, a cost on each; a page cites the same few
# hosts thousands of times, so the pure host step is memoised (measured:
# docs/performance.md, "Figures behind the code").
_url_normalize_module = importlib.import_module("url_normalize.url_normalize")
_url_normalize_module.normalize_host = functools.lru_cache(maxsize=65536)(
    _url_normalize_module.normalize_host
)


MAX_URL_LENGTH = 2000  # longer URLs are almost always junk, and overflow index rows

_SKIP_SCHEMES = {"mailto", "javascript", "tel", "data", "ftp", "file", "news", "irc", "sms"}


def has_credentials(url: str) -> bool:
    """A link that carries a user name or password (`http://alice:s3cret@host/`)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def normalise(url: str, base: str | None = None) -> str:
    """The checkable, normalised form of `url` (resolved against `base`), or UrlError."""
    try:
        return _normalise(url, base)
    except UrlError:
        raise
    except (ValueError, UnicodeError) as exc:  # urlsplit: "Invalid IPv6 URL", bad ports...
        raise UrlError(f"malformed URL ({exc})") from None


def _normalise(url: str, base: str | None) -> str:
    raw = url.strip()
    if not raw:
        raise UrlError("empty link")
    if len(raw) > MAX_URL_LENGTH:
        raise UrlError(f"URL longer than {MAX_URL_LENGTH:,} characters")
    scheme = raw.split(":", 1)[0].lower() if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", raw) else ""
    if scheme in _SKIP_SCHEMES:
        raise UrlError(f"{scheme}: link")
    if not scheme:
        if raw.startswith("#"):
            raise UrlError("in-page anchor")
        if raw.startswith("//") and base is None:
            raw = "https:" + raw  # protocol-relative, and no page to take a scheme from
        elif base is None:
            raise UrlError("relative link with no base URL")
        raw = urljoin(base, raw)
        scheme = urlsplit(raw).scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlError(f"{scheme}: link")
    parts = urlsplit(raw)
    if not parts.hostname:
        raise UrlError("link without a host name")
    _ = parts.port  # ValueError ("Port out of range") for ports no server can have
    if any(c in parts.netloc for c in " <>\"'{}|\\^`"):
        raise UrlError("host name with invalid characters")
    if ".." in (parts.hostname or "") or (parts.hostname or "").startswith("."):
        raise UrlError("host name with an empty label (two dots in a row)")
    if parts.username is not None or parts.password is not None:
        # a user name and password are never sent (httpx would send them as Basic auth,
        # robots.txt included) nor kept: the address checked is the one without them
        host = parts.hostname or ""
        netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=netloc)
    try:
        norm = url_normalize(urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, "")))
    except (ValueError, UnicodeError) as exc:
        raise UrlError(f"malformed URL ({exc})") from exc
    if not norm:
        raise UrlError("malformed URL")
    # url-normalize collapses `//` in a path and drops empty query parameters; the server
    # sees both, so the address checked keeps them (the reader's browser sends them too)
    kept = urlsplit(norm)
    out = urlunsplit((kept.scheme, kept.netloc, _path(parts.path), _query(parts.query), ""))
    final = urlsplit(out)  # ValueError (-> UrlError) for what no later step could read
    _ = final.port
    if not (final.hostname or "").strip("."):
        raise UrlError("link without a host name")
    return out


def _path(path: str) -> str:
    """Percent-encoding normalised, dot segments removed (RFC 3986 5.2.4), every other
    segment kept, empty ones included."""
    path = normalize_component(path, "~:/[]@!$&'()*+,;=", RESERVED_CHARACTERS)
    segments = path.split("/")
    out: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg in (".", ".."):
            if seg == ".." and len(out) > 1:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(seg)
    return "/".join(out) or "/"


def _query(query: str) -> str:
    """Each parameter percent-encoding normalised as url-normalize does; order and empty
    parameters kept."""
    out = []
    for param in query.split("&") if query else []:
        key, sep, value = param.partition("=")
        out.append(f"{process_query_param(key)}{sep}{process_query_param(value)}")
    return "&".join(out)


@functools.lru_cache(maxsize=16384)
def host_of(url: str) -> str:
    """Lower-cased host name: the key for per-host politeness. (Asked several times for
    each URL of a run, so remembered: urlsplit's own cache is too small for a run.)"""
    return (urlsplit(url).hostname or "").lower()


# Hosts whose replay URLs we recognise even if not configured as archive endpoints.
_ARCHIVE_HOSTS = (
    "web.archive.org",
    "wayback.archive.org",
    "archive.org",
    "wayback.archive-it.org",
    "webarchive.archive.unhcr.org",
    "webarchive.nationalarchives.gov.uk",
    "webarchive.loc.gov",
    "arquivo.pt",
    "archive.ph",
    "archive.today",
    "archive.is",
    "archive.li",
    "archive.vn",
    "archive.md",
    "webcitation.org",
    "www.webcitation.org",
)
# /web/20110216000000/http://x  /web/20110216id_/x  /1234/20110216/x  /20221023223309mp_/x
_REPLAY_PATH = re.compile(
    r"^/(?:web/|wayback/|\d+/|[a-z\-]+/)?(?P<ts>\d{4,14})(?:[a-z]{2}_|\*)?/(?P<orig>.+)$"
)


@dataclass(frozen=True)
class ArchiveAddress:
    """A parsed link into a web archive: which original URL it replays, captured when (the
    stored copy a lookup or a page gave us is `models.ArchiveLink`)."""

    archive_url: str
    original_url: str
    captured_at: dt.datetime | None


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _webcite(url: str, parts: SplitResult) -> ArchiveAddress | None:
    """A WebCite copy, `webcitation.org/61H1Nogft?url=ORIGINAL`: its id is the capture time
    in microseconds since 1970, written in base 62."""
    originals = parse_qs(parts.query).get("url")
    if not originals:
        return None
    try:
        original = normalise(originals[0])
    except UrlError:
        return None
    ident = parts.path.strip("/").split("/")[0]
    captured = None
    if ident and all(ch in _BASE62 for ch in ident):
        micros = 0
        for ch in ident:
            micros = micros * 62 + _BASE62.index(ch)
        with contextlib.suppress(OverflowError, OSError, ValueError):
            when = dt.datetime.fromtimestamp(micros / 1e6, dt.UTC)
            captured = when if 1997 <= when.year <= 2030 else None
    return ArchiveAddress(archive_url=url, original_url=original, captured_at=captured)


def is_archive_host(host: str, extra_hosts: tuple[str, ...] = ()) -> bool:
    host = host.lower()
    return host in _ARCHIVE_HOSTS or host in extra_hosts or host.endswith(".archive-it.org")


def parse_archive_link(url: str, extra_hosts: tuple[str, ...] = ()) -> ArchiveAddress | None:
    """The original URL and capture time of a Wayback-style replay link, else None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not is_archive_host(host, extra_hosts):
        return None
    if host.endswith("webcitation.org"):
        return _webcite(url, parts)
    # The original URL is everything after the timestamp, query included.
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    m = _REPLAY_PATH.match(rest)
    if not m:
        return None
    orig = m.group("orig")
    orig = re.sub(r"^(https?):/(?!/)", r"\1://", orig, flags=re.IGNORECASE)
    if not re.match(r"^https?://", orig, re.IGNORECASE):
        orig = "http://" + orig
    try:
        original = normalise(orig)
    except UrlError:
        return None
    return ArchiveAddress(
        archive_url=url, original_url=original, captured_at=wayback_time(m.group("ts"))
    )
