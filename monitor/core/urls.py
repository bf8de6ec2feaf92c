"""URL hygiene: which links are checkable, the address each is checked at, and archive links.

The address checked is the address the page wrote, byte for byte in its path and query:
servers answer `title=A%20Study%2Fof%20Things` and `title=A%20Study/of%20Things`
differently, and `q=a=b` and `q=a%3Db` too, so no percent-escape is decoded or re-encoded
and no `=`, `&`, `;`, `+`, empty parameter or `//` is touched. What `normalise` does is what
a browser does before it sends the link: surrounding whitespace trimmed (and tabs and line
breaks inside dropped), the fragment dropped (it never reaches the server), a relative link
resolved against the page's URL (RFC 3986, section 5.2, dot segments included), the
characters that cannot go on the wire (spaces, quotes, `<>`, controls, non-ASCII)
percent-encoded as UTF-8 with the WHATWG URL Standard's path and query sets, the scheme and
host case-folded, the host IDNA-encoded, a default port and a user name dropped. The result
is the request target both transports send (neither re-encodes it: tested against a server
that records the request line).

Two spellings of one source (`%7E` and `~`, `%3a` and `:`) are therefore two addresses;
`url_key` is the comparison key that finds them (url-normalize's canonical form), never an
address to send or show.

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
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urlsplit

from url_normalize import url_normalize

from monitor.core.errors import UrlError
from monitor.core.times import wayback_time

# The host step IDNA-checks the host of every URL, a cost on each; a page cites the same few
# hosts thousands of times, so the pure host step is memoised (measured:
# docs/performance.md, "Figures behind the code").
_url_normalize_module = importlib.import_module("url_normalize.url_normalize")
_url_normalize_module.normalize_host = functools.lru_cache(maxsize=65536)(
    _url_normalize_module.normalize_host
)
_normalize_host = _url_normalize_module.normalize_host


MAX_URL_LENGTH = 2000  # longer URLs are almost always junk, and overflow index rows

_SKIP_SCHEMES = {"mailto", "javascript", "tel", "data", "ftp", "file", "news", "irc", "sms"}

# RFC 3986, appendix B: a reference's scheme, then its authority, path, query and fragment.
_SCHEMED = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_RELATIVE = re.compile(r"(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?", re.S)
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")  # a browser drops them anywhere in a URL

# What a browser percent-encodes before sending (WHATWG URL Standard, the path and query
# percent-encode sets; httpx encodes with the same sets, so it leaves our URLs alone): C0
# controls, DEL and everything above it, and these. `%` is never touched, even where no two
# hex digits follow it: a browser sends it as written too.
_BAD_IN_HOST = frozenset(" <>\"'{}|\\^`")
_PATH_ENCODED = frozenset(' "#<>?`{}')
_QUERY_ENCODED = frozenset(' "#<>')
_PATH_CLEAN = re.compile(r"[!$-;=@-_a-z|~]*")  # printable ASCII minus _PATH_ENCODED
_QUERY_CLEAN = re.compile(r"[!$-;=?-~]*")  # printable ASCII minus _QUERY_ENCODED


@dataclass(frozen=True)
class UrlFilter:
    """lychee's include/exclude, `check.include` and `check.exclude`: a URL matching an
    include is checked, whatever the excludes say; else one matching an exclude is not,
    nor, when includes are set, one matching none. `monitor check` leaves such URLs out;
    the stored commands hold them as ignored, as `monitor ignore` does."""

    includes: tuple[re.Pattern[str], ...] = ()
    excludes: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def of(cls, includes: Iterable[str], excludes: Iterable[str]) -> UrlFilter:
        return cls(tuple(map(re.compile, includes)), tuple(map(re.compile, excludes)))

    def __bool__(self) -> bool:
        return bool(self.includes or self.excludes)

    def left_out(self, url: str) -> str | None:
        """Why `url` is not checked ("excluded: ..."), or None when it is."""
        if any(p.search(url) for p in self.includes):
            return None
        if hit := next((p.pattern for p in self.excludes if p.search(url)), None):
            return f"excluded: matches {hit!r}"
        return "excluded: matches no include pattern" if self.includes else None

    def rules(self) -> list[tuple[str, str]]:
        """The patterns, as the report's "Decisions in force" lists them: (pattern, why)."""
        return [(f"/{p.pattern}/", "check.include: always checked") for p in self.includes] + [
            (f"/{p.pattern}/", "check.exclude: never checked") for p in self.excludes
        ]


def has_credentials(url: str) -> bool:
    """A link that carries a user name or password (`http://alice:s3cret@host/`)."""
    if "@" not in url:  # no user part without one: asked of every citation of a page
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.username is not None or parts.password is not None


def normalise(url: str, base: str | None = None) -> str:
    """The address `url` is checked at (resolved against `base`, the page's URL): the URL as
    written, made sendable (see the module's notes), or UrlError for a link that cannot be
    checked."""
    try:
        return _normalise(url, base)
    except UrlError:
        raise
    except (ValueError, UnicodeError) as exc:  # urlsplit: "Invalid IPv6 URL", bad ports...
        raise UrlError(f"malformed URL ({exc})") from None


def redirect_target(location: str, current: str) -> str:
    """Where a redirect (a Location header, a meta refresh) sends the reader: `location` as
    written, resolved against `current` (the URL that answered) and made sendable as
    `normalise` makes a link, with no limit on its length (a browser has none). A target
    that is not HTTP(S) comes back as `scheme:...`, for the caller to say so; UrlError for
    one that cannot be read."""
    try:
        raw = _TAB_OR_NEWLINE.sub("", location.strip())
        scheme, authority, path, query = _resolve(raw, current)
        if scheme not in ("http", "https"):
            return f"{scheme}:" + raw.split(":", 1)[-1] if ":" in raw else raw
        return _address(scheme, authority, path, query)
    except UrlError:
        raise
    except (ValueError, UnicodeError) as exc:
        raise UrlError(f"malformed URL ({exc})") from None


def _normalise(url: str, base: str | None) -> str:
    raw = _TAB_OR_NEWLINE.sub("", url.strip())
    if not raw:
        raise UrlError("empty link")
    if len(raw) > MAX_URL_LENGTH:
        raise UrlError(f"URL longer than {MAX_URL_LENGTH:,} characters")
    m = _SCHEMED.match(raw)
    scheme = m.group(1).lower() if m else ""
    if scheme in _SKIP_SCHEMES:
        raise UrlError(f"{scheme}: link")
    if not scheme:
        if raw.startswith("#"):
            raise UrlError("in-page anchor")
        if raw.startswith("//") and base is None:
            raw = "https:" + raw  # protocol-relative, and no page to take a scheme from
        elif base is None:
            raise UrlError("relative link with no base URL")
    scheme, authority, path, query = _resolve(raw, base)
    if not scheme:  # the page's own address has none (a file name)
        raise UrlError("relative link with no base URL")
    if scheme not in ("http", "https"):
        raise UrlError(f"{scheme}: link")
    return _address(scheme, authority, path, query)


# An authority that is just a host name of ASCII labels and maybe a port, as nearly every
# cited link's is: its address needs none of the checks below (no user name, no brackets,
# no empty label, nothing to parse twice), which cost more than the rest of reading a link.
_PLAIN_AUTHORITY = re.compile(
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


def _address(scheme: str, authority: str | None, path: str, query: str | None) -> str:
    """The sendable address of a resolved http(s) reference: scheme and host case-folded,
    the host IDNA-encoded, a default port and a user name dropped, in the path and query
    only what cannot go on the wire percent-encoded."""
    if authority is None:
        raise UrlError("link without a host name")
    plain = _PLAIN_AUTHORITY.fullmatch(authority)
    if plain is not None and (path[:1] == "/" or not path):
        host, port = _normalize_host(plain["host"].lower()), plain["port"]
        if port is not None:
            if int(port) > 65535:
                raise ValueError("Port out of range 0-65535")  # urlsplit's words
            if int(port) != (80 if scheme == "http" else 443):
                host = f"{host}:{int(port)}"
        out = f"{scheme}://{host}{_path(path)}"
        return out if query is None else out + "?" + _encoded(query, _QUERY_CLEAN, _QUERY_ENCODED)
    return _checked_address(scheme, authority, path, query)


def _checked_address(scheme: str, authority: str, path: str, query: str | None) -> str:
    """`_address` for any authority: parsed, each part checked."""
    parts = urlsplit(f"{scheme}://{authority}/")  # ValueError: "Invalid IPv6 URL"...
    if not parts.hostname:
        raise UrlError("link without a host name")
    port = parts.port  # ValueError ("Port out of range") for ports no server can have
    if any(c in _BAD_IN_HOST or c < "!" or c == "\x7f" for c in parts.netloc):
        raise UrlError("host name with invalid characters")
    if ".." in parts.hostname or parts.hostname.startswith("."):
        raise UrlError("host name with an empty label (two dots in a row)")
    # a user name and password are never sent (httpx would send them as Basic auth,
    # robots.txt included) nor kept: the address checked is the one without them
    host = _host(parts.hostname)
    if not host.strip(".[]"):
        raise UrlError("link without a host name")
    if port is not None and port != (80 if scheme == "http" else 443):
        host = f"{host}:{port}"
    out = f"{scheme}://{host}{_path(path)}"
    if query is not None:
        out += "?" + _encoded(query, _QUERY_CLEAN, _QUERY_ENCODED)
    final = urlsplit(out)  # ValueError (-> UrlError) for what no later step could read
    _ = final.port
    if not (final.hostname or "").strip("."):
        raise UrlError("link without a host name")
    return out


def _split(ref: str) -> tuple[str | None, str | None, str, str | None]:
    """Scheme, authority, path and query of a URI reference (RFC 3986, appendix B; None
    where a part is absent, so an empty query `a?` is told from none). What does not start
    with a valid scheme is a relative reference (`Chapter 1: intro.htm`), as in a browser."""
    m = _SCHEMED.match(ref)
    rest = ref[m.end() :] if m else ref
    r = _RELATIVE.fullmatch(rest)
    assert r is not None  # every string matches: each part is optional
    return (m.group(1).lower() if m else None), r.group(1), r.group(2), r.group(3)


def _resolve(ref: str, base: str | None) -> tuple[str, str | None, str, str | None]:
    """Scheme (lower case, "" if neither has one), authority, path (dot segments removed)
    and query of `ref` resolved against `base` (RFC 3986, section 5.2.2); the fragment is
    dropped."""
    scheme, authority, path, query = _split(ref)
    if scheme is not None:
        return scheme, authority, _without_dots(path), query
    b_scheme, b_authority, b_path, b_query = _split(_TAB_OR_NEWLINE.sub("", (base or "").strip()))
    b_scheme = b_scheme or ""
    if authority is not None:
        return b_scheme, authority, _without_dots(path), query
    if not path:
        return b_scheme, b_authority, b_path, query if query is not None else b_query
    if not path.startswith("/"):
        if b_authority is not None and not b_path:
            path = "/" + path
        else:
            path = b_path[: b_path.rfind("/") + 1] + path
    return b_scheme, b_authority, _without_dots(path), query


def _without_dots(path: str) -> str:
    """RFC 3986, section 5.2.4: `.` and `..` segments removed (literal ones only: `%2E` is
    a name the server may serve), every other segment kept, empty ones included."""
    if "." not in path:
        return path
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
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
    return "/".join(out)


def _path(path: str) -> str:
    return _encoded(path, _PATH_CLEAN, _PATH_ENCODED) if path else "/"


def _encoded(text: str, clean: re.Pattern[str], encoded: frozenset[str]) -> str:
    """`text` with what cannot go on the wire percent-encoded as UTF-8; nothing else
    changed. (A header aiohttp could not read as UTF-8 holds its bytes as surrogates: they
    are sent as those bytes.)"""
    if clean.fullmatch(text):
        return text
    return "".join(
        ch
        if " " < ch < "\x7f" and ch not in encoded
        else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape"))
        for ch in text
    )


def _host(hostname: str) -> str:
    """Lower case and IDNA; an IPv6 literal in its brackets."""
    if ":" in hostname:
        return f"[{hostname.lower()}]"
    return _normalize_host(hostname)


def url_key(url: str) -> str:
    """A comparison key for two spellings of one source (`%7E` and `~`, `%3a` and `%3A`):
    url-normalize's canonical form of an address from `normalise`. Only for comparing:
    the address checked, stored and shown is `normalise`'s."""
    try:
        return url_normalize(url) or url
    except (ValueError, UnicodeError):
        return url


def address_host(url: str) -> str:
    """The host of an address `normalise` made (scheme://host[:port]/..., already lower
    case), without parsing it again; "" for an IPv6 literal."""
    netloc = url.split("/", 3)[2]
    return "" if netloc.startswith("[") else netloc.rsplit(":", 1)[0]


# scheme://host[:port] followed by the path, query or fragment (or nothing): the host as
# urlsplit's hostname reads it, for an address with no user name, no IPv6 literal and no
# character urlsplit would drop or stop at
_PLAIN_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([A-Za-z0-9._~-]*)(?::[0-9]*)?(?=[/?#]|\Z)")


@functools.lru_cache(maxsize=16384)
def host_of(url: str) -> str:
    """Lower-cased host name: the key for per-host politeness. (Asked several times for
    each URL of a run, so remembered: urlsplit's own cache is too small for a run.) A plain
    address is read by one match, the rest by urlsplit: ingest asks once for every URL of a
    large page, and urlsplit was most of storing its new URLs (measured:
    docs/performance.md); a test holds both readings equal."""
    m = _PLAIN_HOST.match(url)
    if m is not None:
        return m.group(1).lower()
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
