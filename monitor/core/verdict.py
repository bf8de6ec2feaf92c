"""The verdict vocabulary and the pure decision that turns one observation into a verdict.

Everything that decides what a check *means* lives here, with no I/O, so every rule can be
tested with a plain function call. `check.py` gathers an `Observation` (status codes,
redirect chain, a decoded slice of the body, or the class of transport error) and hands it
to `decide()`.

Why these rules (InternetArchiveBot's dead-link rules, Google's soft-404 guidance, Bar-Yossef
et al. 2004):
- A 200 is not enough: "Page not found" pages served with 200 and deep links redirected to
  a home page are `soft404`, not alive (IABot's "REDIRECT TO ROOT" rule, Google's soft-404).
- Throttling (429), server errors and timeouts say nothing about the cited work: they are
  `transient`, never `dead`. 401/403 and bot walls are `blocked`: we cannot judge.
- A permanent redirect to a *different* live URL is `moved`; an http->https or `www.` hop
  of the same address is not news to the maintainer and stays `alive`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import unquote, urlsplit

from monitor.core.evidence import PageFields, is_exact, title_evidence


class Verdict(enum.StrEnum):
    """What one check says about a cited URL. Values are the stable JSON strings."""

    ALIVE = "alive"
    """Answered 2xx with real content: the source is still there."""
    MOVED = "moved"
    """Permanently redirected (301/308) to another live URL: update the link."""
    DEAD = "dead"
    """404/410, name not found, connection refused, redirect loop: the source is gone."""
    SOFT404 = "soft404"
    """Answers 200 but with a not-found page, or a deep link redirected to a home page."""
    DRIFTED = "drifted"
    """Reachable, but the cited work is no longer there (e.g. a parked or sold domain)."""
    TRANSIENT = "transient"
    """Timeout, 5xx, 429, reset: not judged yet, check again later."""
    BLOCKED = "blocked"
    """401/403/451 or a bot wall: the server refuses us, so we cannot judge."""
    TLS_ERROR = "tls_error"
    """Certificate invalid, self-signed or expired: reachable only insecurely."""

    @property
    def is_failure(self) -> bool:
        """Failures count towards death; transient/blocked are 'cannot tell', not failures."""
        return self in FAILURES


# The verdict groups, named once and used everywhere:
# failures count towards a confirmed death (transient and blocked are "cannot tell")
FAILURES = frozenset({Verdict.DEAD, Verdict.SOFT404, Verdict.DRIFTED, Verdict.TLS_ERROR})
# the page answered and carries the work, here or at a new address
GOOD = frozenset({Verdict.ALIVE, Verdict.MOVED})
# the cited work is not at its address: these get archive fallbacks and archive notes
GONE = frozenset({Verdict.DEAD, Verdict.SOFT404, Verdict.DRIFTED})
# ... of which a page still answers at the address, only not with the work: worth a look
ANSWERS_ANOTHER_PAGE = frozenset({Verdict.SOFT404, Verdict.DRIFTED})
# the order verdicts are listed in, in reports and tables (then "unchecked", "ignored")
ORDER = tuple(Verdict)


class ErrorClass(enum.StrEnum):
    """Transport failures, as classified by `check.classify_error`; data, not message text."""

    DNS_NOT_FOUND = "dns_not_found"
    DNS_TEMPORARY = "dns_temporary"
    REFUSED = "refused"
    RESET = "reset"
    UNREACHABLE = "unreachable"
    CONNECT_TIMEOUT = "connect_timeout"
    READ_TIMEOUT = "read_timeout"
    TLS_CERT = "tls_cert"
    TLS_OTHER = "tls_other"
    PROTOCOL = "protocol"
    REDIRECT_LOOP = "redirect_loop"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    INTERNAL = "internal"
    PRIVATE_ADDRESS = "private_address"


# Error class -> (verdict, human reason). One table, so the mapping is visible at once.
ERROR_VERDICTS: dict[ErrorClass, tuple[Verdict, str]] = {
    ErrorClass.DNS_NOT_FOUND: (Verdict.DEAD, "host name does not exist (DNS NXDOMAIN)"),
    ErrorClass.DNS_TEMPORARY: (Verdict.TRANSIENT, "DNS lookup failed temporarily"),
    ErrorClass.REFUSED: (Verdict.DEAD, "connection refused"),
    ErrorClass.RESET: (Verdict.TRANSIENT, "connection reset by the server"),
    ErrorClass.UNREACHABLE: (Verdict.TRANSIENT, "network or host unreachable"),
    ErrorClass.CONNECT_TIMEOUT: (Verdict.TRANSIENT, "timed out connecting"),
    ErrorClass.READ_TIMEOUT: (Verdict.TRANSIENT, "timed out waiting for the response"),
    ErrorClass.TLS_CERT: (Verdict.TLS_ERROR, "TLS certificate rejected"),
    ErrorClass.TLS_OTHER: (Verdict.TLS_ERROR, "TLS handshake failed"),
    ErrorClass.PROTOCOL: (Verdict.TRANSIENT, "server broke the HTTP protocol"),
    ErrorClass.REDIRECT_LOOP: (Verdict.DEAD, "redirect loop"),
    ErrorClass.TOO_MANY_REDIRECTS: (Verdict.DEAD, "too many redirects"),
    ErrorClass.INVALID_URL: (Verdict.DEAD, "invalid URL"),
    ErrorClass.UNSUPPORTED_SCHEME: (Verdict.DEAD, "unsupported URL scheme"),
    ErrorClass.INTERNAL: (Verdict.TRANSIENT, "internal error in the monitor (not the site)"),
    ErrorClass.PRIVATE_ADDRESS: (Verdict.BLOCKED, "private address: not fetched"),
}


@dataclass(frozen=True)
class Hop:
    """One response in a redirect chain."""

    url: str
    status: int


@dataclass
class Observation:
    """What a check saw, with no judgement attached."""

    url: str
    status: int | None = None
    final_url: str | None = None
    chain: list[Hop] = field(default_factory=list)  # redirects before the final response
    content_type: str | None = None
    title: str | None = None
    text: str = ""  # decoded, whitespace-collapsed text of the part of the body we read
    # the page's own words, read when asked for: no navigation, sidebars, related posts or
    # link text (`pageread.PageFacts.own`): the only text that evidences the cited work
    own_text: Callable[[], str] | None = None
    error: ErrorClass | None = None
    error_detail: str = ""
    retry_after: str | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)  # og:title, citation_title...
    site_names: list[str] = field(default_factory=list)  # og:site_name, shared title parts
    readable: bool = True  # a body we read (HTML or text), not data, an image or a PDF
    html: bool = False  # an HTML page: a document with a title, which can drift by title
    refresh_target: str | None = None  # a meta refresh or script redirect was followed here
    cited_titles: list[str] = field(default_factory=list)  # what the citations call it
    sibling_similarity: float | None = None  # 0-100 vs a made-up sibling URL; None = no probe
    # where the page says it lives (canonical link, og:url, its navigation's current page)
    self_urls: list[str] = field(default_factory=list)
    # a conditional request (the last good answer's validators) was answered 304
    not_modified: bool = False
    etag: str | None = None  # validators of this answer, kept when it is a good 200
    last_modified: str | None = None


@dataclass(frozen=True)
class Judgement:
    """What the decision table makes of one observation: a verdict and why. (Not a
    maintainer's decision: those are `store.models.Decision`.)"""

    verdict: Verdict
    reason: str
    title_score: float | None = None
    title_where: str | None = None  # where the cited title was found best

    @property
    def title_exact(self) -> bool:
        return is_exact(self.title_where, self.title_score)


@cache
def load_cues(name: str) -> tuple[str, ...]:
    """Phrases from `monitor/core/cues/<name>.txt`, lower-cased; '#' starts a comment.

    Cues live in data files so a maintainer can add a language without touching code.
    """
    text = resources.files("monitor.core.cues").joinpath(f"{name}.txt").read_text("utf-8")
    cues = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower()
        if line:
            cues.append(line)
    return tuple(cues)


def find_cue(name: str, *texts: str | None) -> str | None:
    """The first cue of list `name` found in any of `texts` (case-insensitive)."""
    hay = [t.lower() for t in texts if t]
    for cue in load_cues(name):
        for h in hay:
            if cue in h:
                return cue
    return None


# "404 Not Found", "Error 404", "404 - File or directory not found" - but not "Report 404".
_NOT_FOUND_TITLE = re.compile(
    r"^\W*(error\W*)?(404|410)\b|\b(404|410)\W*(error|not found|page not found|gone|ошибка)"
    r"|\b(error|ошибка)\W*(404|410)\b",
    re.IGNORECASE,
)


def _is_deep(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path not in ("", "/") or bool(parts.query)


def _same_site(a: str, b: str) -> bool:
    ha = (urlsplit(a).hostname or "").removeprefix("www.")
    hb = (urlsplit(b).hostname or "").removeprefix("www.")
    return ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha)


def same_resource(a: str, b: str) -> bool:
    """True when two URLs differ only by scheme, `www.`, or a trailing slash."""
    pa, pb = urlsplit(a), urlsplit(b)
    ha = (pa.hostname or "").removeprefix("www.")
    hb = (pb.hostname or "").removeprefix("www.")
    return ha == hb and pa.path.rstrip("/") == pb.path.rstrip("/") and pa.query == pb.query


def _page_path(url: str) -> str:
    path = unquote(urlsplit(url).path).lower().rstrip("/")
    for index in ("/index.html", "/index.htm", "/index.php"):
        path = path.removesuffix(index)
    return path.removesuffix(".html").removesuffix(".htm")


def _elsewhere(obs: Observation) -> str | None:
    """The address the page gives as its own (`Observation.self_urls`), when it is another
    page's: another path than the one cited or reached, and not a page above it (a
    section, a first page of several). Hosts are not compared: a canonical link names the
    production site whatever serves the copy."""
    final = _page_path(obs.final_url or obs.url)
    here = {final, _page_path(obs.url)}  # a moved page may keep its old name
    for own in obs.self_urls:
        path = _page_path(own)
        if path not in here and not _path_above(final, path):
            return own
    return None


def _path_above(path: str, other: str) -> bool:
    """Is path `other` above `path` (/blog/2024/post -> /blog/)? Segment by segment."""
    mine = [s for s in path.split("/") if s]
    theirs = [s for s in other.split("/") if s]
    return len(theirs) < len(mine) and mine[: len(theirs)] == theirs


def _above(url: str, final_url: str) -> bool:
    """Is `final_url` a page above `url` on the same site (/blog/2024/post -> /blog/)?"""
    return _same_site(url, final_url) and _path_above(urlsplit(url).path, urlsplit(final_url).path)


def _is_landing(final_url: str) -> bool:
    """Home, login, search or error pages. Cues starting with "/" match a whole path segment
    ("/404" matches /404 and /404.html, not /new/4041); others match anywhere in the path."""
    path = urlsplit(final_url).path.lower().rstrip("/")
    if path in ("", "/index.html", "/index.htm", "/index.php", "/default.aspx", "/home"):
        return True
    segments = {seg.split(".", 1)[0] for seg in path.split("/") if seg}
    for cue in load_cues("landing_paths"):
        if cue.startswith("/"):
            if cue.strip("/") in segments:
                return True
        elif cue in path:
            return True
    return False


def _judge_content(obs: Observation) -> Judgement | None:
    """Content cues that override a 2xx: not-found pages, parked domains."""
    title = obs.title or ""
    head = obs.text[:2000]
    cue = find_cue("parked", title, head)
    if cue:
        return Judgement(Verdict.DRIFTED, f"parked or for-sale domain page ({cue!r})")
    if _NOT_FOUND_TITLE.search(title):
        return Judgement(
            Verdict.SOFT404, f"not-found page served with {obs.status} (title {title!r})"
        )
    cue = find_cue("soft404", title)
    if cue is None:
        # In body text only phrases of three or more words count: an article may well say
        # "not found" in its first lines, it will rarely say "the page could not be found".
        text_cue = find_cue("soft404", head[:600])
        cue = text_cue if text_cue and len(text_cue.split()) >= 3 else None
    if cue:
        return Judgement(Verdict.SOFT404, f"not-found page served with {obs.status} ({cue!r})")
    return None


_DOCUMENT_TYPES = ("", "text/html", "application/xhtml+xml")


def is_document(obs: Observation) -> bool:
    """A page that carries a title (HTML), as opposed to data (CSV, JSON), an image or a
    PDF we do not read: only documents are judged by their words."""
    if obs.html or obs.title:
        return True
    ctype = (obs.content_type or "").split(";")[0].strip().lower()
    return obs.readable and ctype in _DOCUMENT_TYPES and bool(obs.text)


def _redirect_verdict(obs: Observation, final: str) -> Verdict | None:
    """What the hops to another page say: `moved` when every one is permanent (301/308),
    `alive` when any is temporary (a 302, a refresh); None when the URL stayed put (no
    hops, or only to the same resource). A 304 at the end of them says the same."""
    if not obs.chain or same_resource(obs.url, final):
        return None
    return Verdict.MOVED if all(h.status in (301, 308) for h in obs.chain) else Verdict.ALIVE


def decide(obs: Observation, title_threshold: float = 60.0) -> Judgement:
    """The verdict a careful human would give for one observation."""
    if obs.error is not None:
        verdict, reason = ERROR_VERDICTS[obs.error]
        detail = f": {obs.error_detail}" if obs.error_detail else ""
        return Judgement(verdict, reason + detail)

    status = obs.status or 0
    final = obs.final_url or obs.url

    if status == 304 and obs.not_modified:
        # asked "has it changed since the last good answer?" and told no: still that page,
        # reached as it was reached then
        same = "not modified since the last good check"
        redirected = _redirect_verdict(obs, final)
        if redirected is Verdict.MOVED:
            return Judgement(Verdict.MOVED, f"permanently redirected to {final}; HTTP 304: {same}")
        if redirected is not None:
            return Judgement(Verdict.ALIVE, f"HTTP 304 after temporary redirect to {final}: {same}")
        return Judgement(Verdict.ALIVE, f"HTTP 304: {same}")
    if status in (401, 407):
        return Judgement(Verdict.BLOCKED, f"HTTP {status}: authentication required")
    if status == 451:
        return Judgement(Verdict.BLOCKED, "HTTP 451: unavailable for legal reasons")
    if status in (403, 503) or status == 429:
        wall = find_cue("botwall", obs.title, obs.text[:2000])
        if wall:
            return Judgement(Verdict.BLOCKED, f"HTTP {status}: bot wall ({wall!r})")
    if status == 403:
        return Judgement(Verdict.BLOCKED, "HTTP 403: forbidden to the monitor")
    if status == 429:
        extra = f", Retry-After {obs.retry_after}" if obs.retry_after else ""
        return Judgement(Verdict.TRANSIENT, f"HTTP 429: throttled{extra}")
    if status >= 500:
        return Judgement(Verdict.TRANSIENT, f"HTTP {status}: server error")
    if status in (404, 410):
        return Judgement(Verdict.DEAD, f"HTTP {status}: {'gone' if status == 410 else 'not found'}")
    if 400 <= status < 500:
        return Judgement(Verdict.DEAD, f"HTTP {status}: client error")
    if 300 <= status < 400:
        return Judgement(Verdict.DEAD, f"HTTP {status}: redirect without a usable Location")
    if not 200 <= status < 300:
        return Judgement(Verdict.TRANSIENT, f"unexpected HTTP status {status}")

    # 2xx from here on.
    document = is_document(obs)
    if document:
        content = _judge_content(obs)
        if content:
            return content
    if obs.chain and _is_deep(obs.url):
        if not _is_deep(final) and _same_site(obs.url, final):
            return Judgement(
                Verdict.SOFT404, f"deep link redirected to the site's home page {final}"
            )
        if _is_landing(final) and not same_resource(obs.url, final):
            return Judgement(Verdict.SOFT404, f"redirected to a generic landing page {final}")
    if obs.sibling_similarity is not None and obs.sibling_similarity >= SIBLING_SAME and document:
        # the server answers a made-up address beside it with this same page: whatever
        # the page says, it is what the site says for pages it does not have
        return Judgement(
            Verdict.SOFT404,
            f"a made-up URL beside it gets the same page ({obs.sibling_similarity:.0f}% alike): "
            "the server answers 200 for pages it does not have",
        )
    match = None
    if document:  # only a document with a title can drift by title (not data, images, PDF)
        page = PageFields(obs.title, obs.fields, obs.text, obs.site_names, obs.own_text)
        match = title_evidence(obs.cited_titles, page)
    score = match.score if match else None
    where = match.where if match else None
    title_ok = match is not None and match.score >= title_threshold
    if match is not None and not title_ok:
        if not obs.text and not obs.title:
            why = "the page has no readable text"
        else:
            why = (
                f"the cited title is no longer on the page (best match {match.score:.0f}% "
                f"in {match.where}, for {match.title!r})"
            )
        if obs.chain and not same_resource(obs.url, final):
            if _above(obs.url, final):
                # sent up to the section or the site's front page it belonged to: gone
                return Judgement(
                    Verdict.SOFT404, f"redirected to {final}, a page above it: {why}", score, where
                )
            why = f"redirected to {final}: {why}"
        return Judgement(Verdict.DRIFTED, why, score, where)
    if match is not None and title_ok and match.words <= 2 and (other := _elsewhere(obs)):
        # a title as plain as "Getting Started" is carried by many pages of a site; this
        # one names another address as its own: another page of the same name is served
        return Judgement(
            Verdict.DRIFTED,
            f"the page calls itself {other}: another page of the same name "
            f"({match.score:.0f}% in {match.where}, for {match.title!r})",
            score,
            where,
        )
    via = f" via {obs.refresh_target}" if obs.refresh_target else ""
    redirected = _redirect_verdict(obs, final)
    if redirected is Verdict.MOVED:
        return Judgement(Verdict.MOVED, f"permanently redirected to {final}", score, where)
    if redirected is not None:
        return Judgement(
            Verdict.ALIVE, f"HTTP {status} after temporary redirect to {final}", score, where
        )
    if match is not None:
        return Judgement(
            Verdict.ALIVE,
            f"HTTP {status}, cited title found ({match.score:.0f}% in {match.where}){via}",
            score,
            where,
        )
    kind = "" if obs.readable else f" ({(obs.content_type or '').split(';')[0]})"
    return Judgement(Verdict.ALIVE, f"HTTP {status}{kind}{via}")


def counts_text(counts: Mapping[str, int]) -> str:
    """Counts by verdict as words, "alive 12, dead 3": most frequent first, ties in the
    verdicts' own order (not the order results happened to arrive in, which concurrency
    makes random). The one wording of a run's counts, for people and for log lines."""
    rank = {v.value: i for i, v in enumerate(Verdict)}
    ordered = sorted(counts.items(), key=lambda vn: (-vn[1], rank.get(vn[0], len(rank))))
    return ", ".join(f"{v} {n}" for v, n in ordered)


# A made-up sibling page this alike (rapidfuzz ratio, 0-100) means "same page for anything".
SIBLING_SAME = 90.0


# Failures that happen before any server is reached. If *every* host of a run fails this
# way, the likelier explanation is our own network (or DNS) being down, not N sites dying
# at once; those results are then `transient`, never `dead`.
NETWORK_ERRORS = frozenset(
    {
        ErrorClass.DNS_NOT_FOUND,
        ErrorClass.DNS_TEMPORARY,
        ErrorClass.REFUSED,
        ErrorClass.UNREACHABLE,
        ErrorClass.CONNECT_TIMEOUT,
    }
)


def outage_suspected(
    reached_hosts: int, unreachable_hosts: int, share: float, min_hosts: int
) -> bool:
    """Enough distinct hosts unreachable, and a large enough share of them, to blame *our*
    network: dead sites do not all fail at once, an unplugged cable makes them all fail."""
    tried = reached_hosts + unreachable_hosts
    return unreachable_hosts >= min_hosts and unreachable_hosts >= share * tried


OUTAGE_PREFIX = "network outage suspected"  # how every outage reason starts


def outage_reason(unreachable_hosts: int, tried_hosts: int, reason: str) -> str:
    return (
        f"{OUTAGE_PREFIX}: {unreachable_hosts} of {tried_hosts} hosts unreachable, "
        f"so the monitor's own network looks down; not judged ({reason})"
    )
