"""What a fetched page says about itself (pure): its title fields, the site's name, its
visible text, and where a meta refresh or a one-line script sends the reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser

from monitor.extract import ExtractError, decode

# Characters of a page's text kept. Judging a page (the title's evidence, the cues, the
# fingerprint's 12,000) reads its beginning; only a page with quoted passages to look for is
# read further. Whitespace squashing and every scan after it cost in proportion to the text,
# so a long article costs what a middling one does unless its passages are wanted.
TEXT_KEPT = 20_000
PASSAGE_TEXT = 60_000


def squash(text: str) -> str:
    """Runs of whitespace as one space (str.split is C-fast; a whitespace regex substitution
    cost 8 ms on a 150 KB text)."""
    return " ".join(text.split())


@dataclass
class PageFacts:
    title: str | None
    text: str
    # og:title, citation_title, DC.title and the first h1-h3, each with where it came from
    fields: list[tuple[str, str]] = field(default_factory=list)
    site_name: str | None = None  # og:site_name
    refresh: str | None = None  # where a meta refresh or a one-line script sends the reader
    html: bool = False


_META_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)
_SCRIPT_GO = re.compile(
    r"(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]"
    r"|location\.(?:replace|assign)\(\s*['\"]([^'\"]+)['\"]\s*\)",
    re.I,
)
_HTML_TAG = re.compile(r"<(html|head|body|title|p|div)\b", re.I)
REFRESH_WAIT = 10.0  # a refresh later than this is a page that reloads itself, not a redirect


def _refresh_target(tree: LexborHTMLParser, visible: int, scripts: list[str]) -> str | None:
    """Where a browser takes the reader without a click: `<meta http-equiv=refresh>` within
    a few seconds, or a script that only sets `location` on a page with no text of its own
    (`visible` characters, the body's scripts included)."""
    for meta in tree.css("meta[http-equiv]"):
        if (meta.attributes.get("http-equiv") or "").lower() != "refresh":
            continue
        m = _META_REFRESH.match(meta.attributes.get("content") or "")
        if m and m.group(2).strip() and float(m.group(1) or 0) <= REFRESH_WAIT:
            return m.group(2).strip()
    if visible < 200:
        for script in scripts:
            m = _SCRIPT_GO.search(script)
            if m:
                return (m.group(1) or m.group(2)).strip()
    return None


def inspect_page(
    body: bytes, charset: str | None, ctype: str = "", keep: int = TEXT_KEPT
) -> PageFacts:
    """Title fields, site name, visible text (its first `keep` characters) and any refresh
    of a (partial) body. A NUL byte or a broken encoding is read past, never a reason to
    look no further."""
    body = body.replace(b"\x00", b"")
    try:
        html = decode(body, charset)
    except ExtractError:
        html = body.decode(charset or "utf-8", errors="replace")
    looks_html = "<" in html[:2048] and bool(_HTML_TAG.search(html[:8192]))
    said_html = "html" in ctype
    if not looks_html or (ctype and not said_html and "xml" not in ctype):
        # an HTML page that is nothing readable (a bomb of zeros) is still an HTML page
        return PageFacts(None, squash(html[:40_000])[:20_000], html=said_html)
    tree = LexborHTMLParser(html)
    node = tree.css_first("title")
    title = (squash(node.text()) or None) if node else None
    fields: list[tuple[str, str]] = []
    for where, selector in (
        ("og:title", 'meta[property="og:title"]'),
        ("citation_title", 'meta[name="citation_title"]'),
        ("dc.title", 'meta[name="DC.title"], meta[name="dc.title"]'),
    ):
        meta = tree.css_first(selector)
        if meta is not None and meta.attributes.get("content"):
            fields.append((where, squash(meta.attributes["content"] or "")))
    headings = []
    for h in tree.css("h1, h2, h3")[:12]:
        text = squash(h.text())
        if text:
            headings.append(text[:300])
    fields += [("heading", h) for h in headings[:6]]
    site = tree.css_first('meta[property="og:site_name"]')
    site_name = (site.attributes.get("content") or None) if site is not None else None
    if not title and headings:
        title = headings[0]
    for bad in tree.css("style, noscript, template"):
        bad.decompose()
    body_node = tree.body
    scripts = [s.text() or "" for s in tree.css("script")]  # read before they go
    in_body = [s.text() or "" for s in body_node.css("script")] if body_node else []
    for bad in tree.css("script"):
        bad.decompose()
    # the body's text is read once, and no more of it than is kept (with room for the
    # whitespace squashed away); its length with the body's scripts decides whether a
    # script is all the page has
    text = squash((body_node.text(separator=" ") if body_node else "")[: keep * 6 // 5])
    visible = len(text) + sum(len(squash(s)) + 1 for s in in_body if s.strip())
    refresh = _refresh_target(tree, visible, scripts)
    return PageFacts(title, text[:keep], fields, site_name, refresh, True)
