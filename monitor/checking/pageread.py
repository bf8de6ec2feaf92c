"""What a fetched page says about itself (pure): its title fields, the site's name, its
visible text, and where a meta refresh or a one-line script sends the reader."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.core.decoding import decode, meta_charset
from monitor.core.errors import ExtractError

# Characters of a page's text kept. Judging a page (the title's evidence, the cues, the
# fingerprint's 12,000) reads its beginning; only a page with quoted passages to look for is
# read further. Whitespace squashing and every scan after it cost in proportion to the text,
# so a long article costs what a middling one does unless its passages are wanted.
TEXT_KEPT = 20_000
PASSAGE_TEXT = 60_000
# Characters of text every check reads: the fingerprint's 12,000 (the cues and the sibling
# comparison read less). Only the search for a cited title in the text, when no title field
# carries it, reads on; so the text past this is squashed only then (`PageFacts.whole`).
HEAD = 12_000


def squash(text: str) -> str:
    """Runs of whitespace as one space (str.split is C-fast; a whitespace regex substitution
    was slow on a long text: docs/performance.md, "Figures behind the code")."""
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
    tail: str = ""  # the text after `text`, as extracted: squashed when it is read
    keep: int = TEXT_KEPT

    def whole(self) -> str:
        """All the kept text (`text` is at least its first `HEAD` characters)."""
        if not self.tail:
            return self.text
        rest = squash(self.tail)
        return (f"{self.text} {rest}" if self.text and rest else self.text or rest)[: self.keep]


def _head(raw: str, keep: int) -> tuple[str, str]:
    """`raw` text squashed past its first `HEAD` characters (cut at a space, so the two
    parts squashed apart make the whole squashed), and the rest as it is. Squashing is
    the larger part of reading a page's text (measured: docs/performance.md, "Figures
    behind the code")."""
    parts: list[str] = []
    got = start = 0
    while got <= HEAD and start < len(raw):
        end = raw.find(" ", start + HEAD + 500 - got)
        end = len(raw) if end < 0 else end
        piece = squash(raw[start:end])
        if piece:
            parts.append(piece)
            got += len(piece) + 1
        start = end
    return " ".join(parts)[:keep], raw[start:]


_META_REFRESH = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.I)
_SCRIPT_GO = re.compile(
    r"(?:window\.|document\.|self\.|top\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]"
    r"|location\.(?:replace|assign)\(\s*['\"]([^'\"]+)['\"]\s*\)",
    re.I,
)
_SCRIPT_TAG = re.compile(r"<script", re.I)
_HTML_TAG = re.compile(r"<(html|head|body|title|p|div)\b", re.I)
REFRESH_WAIT = 10.0  # a refresh later than this is a page that reloads itself, not a redirect


def _script_target(html: str | bytes, text: str) -> str | None:
    """Where a script that only sets `location` sends the reader of a page with no text of
    its own (fewer than 200 visible characters, the body's scripts counted): read from a
    tree parsed again, as such a page is small and rare, so the scripts of every other
    page need not be read at all."""
    tree = LexborHTMLParser(html)
    tree.strip_tags(["style", "noscript", "template"], recursive=True)
    scripts = [s.text() or "" for s in tree.css("script")]
    in_body = [s.text() or "" for s in tree.body.css("script")] if tree.body else []
    if len(text) + sum(len(squash(s)) + 1 for s in in_body if s.strip()) >= 200:
        return None
    for script in scripts:
        m = _SCRIPT_GO.search(script)
        if m:
            return (m.group(1) or m.group(2)).strip()
    return None


def _refresh_wait(content: str) -> str | None:
    """The target of a `<meta http-equiv=refresh>` that moves the reader within a few
    seconds."""
    m = _META_REFRESH.match(content)
    if m and m.group(2).strip() and float(m.group(1) or 0) <= REFRESH_WAIT:
        return m.group(2).strip()
    return None


def _inert(node: LexborNode) -> bool:
    """Inside a `<noscript>` or `<template>`: not what a browser runs."""
    parent = node.parent
    while parent is not None:
        if parent.tag in ("noscript", "template"):
            return True
        parent = parent.parent
    return False


def _utf8(body: bytes, charset: str | None) -> str | None:
    """The body read as UTF-8 when that is how `extract.decode` would read it (declared,
    or by its `<meta charset>`, or undeclared), so the parser can be given the bytes as
    they are instead of the text encoded once more, a cost on every page (measured:
    docs/performance.md, "Figures behind the code")."""
    enc = charset or meta_charset(body)
    try:
        if enc is not None and codecs.lookup(enc).name != "utf-8":
            return None
        if body.startswith(codecs.BOM_UTF8):
            return None
        return body.decode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return None


_FIELDS = {
    ("property", "og:title"): "og:title",
    ("property", "og:site_name"): "og:site_name",
    ("name", "citation_title"): "citation_title",
    ("name", "DC.title"): "dc.title",
    ("name", "dc.title"): "dc.title",
}


_FIELD_ORDER = ("og:title", "citation_title", "dc.title")


def inspect_page(
    body: bytes, charset: str | None, ctype: str = "", keep: int = TEXT_KEPT
) -> PageFacts:
    """Title fields, site name, visible text (its first `keep` characters) and any refresh
    of a (partial) body. A NUL byte or a broken encoding is read past, never a reason to
    look no further.

    The tree is walked once for what the page says about itself (one selector list, in
    document order: each separate query cost a walk and a compiled selector), the parts a
    reader never sees are cut by the parser (`strip_tags`), and the body's text is read
    once, no more of it than is kept."""
    if b"\x00" in body:
        body = body.replace(b"\x00", b"")
    html = _utf8(body, charset)
    source: str | bytes = body
    if html is None:
        try:
            html = decode(body, charset)
        except ExtractError:
            html = body.decode(charset or "utf-8", errors="replace")
        source = html
    looks_html = "<" in html[:2048] and bool(_HTML_TAG.search(html[:8192]))
    said_html = "html" in ctype
    if not looks_html or (ctype and not said_html and "xml" not in ctype):
        # an HTML page that is nothing readable (a bomb of zeros) is still an HTML page
        return PageFacts(None, squash(html[:40_000])[:20_000], html=said_html)
    tree = LexborHTMLParser(source)
    title_node: LexborNode | None = None
    found: dict[str, str] = {}  # each field's first meta, its content ("" for none)
    headings: list[str] = []
    refreshes: list[LexborNode] = []
    seen_headings = 0
    for node in tree.css("title, meta, h1, h2, h3"):
        tag = node.tag
        if tag == "meta":
            attrs = node.attrs
            for key in ("property", "name"):
                value = attrs.get(key)
                if value is None:
                    continue
                where = _FIELDS.get((key, value))
                if where and where not in found:
                    found[where] = attrs.get("content") or ""
            if "http-equiv" in attrs:
                refreshes.append(node)
        elif tag == "title":
            title_node = title_node or node
        elif seen_headings < 12:
            seen_headings += 1
            text = squash(node.text())
            if text:
                headings.append(text[:300])
    fields = [(w, squash(found[w])) for w in _FIELD_ORDER if found.get(w)]
    site_name = found.get("og:site_name") or None
    fields += [("heading", h) for h in headings[:6]]
    title = (squash(title_node.text()) or None) if title_node is not None else None
    if not title and headings:
        title = headings[0]
    refresh = None
    for meta in refreshes:
        if (meta.attrs.get("http-equiv") or "").lower() == "refresh" and not _inert(meta):
            refresh = _refresh_wait(meta.attrs.get("content") or "")
            if refresh:
                break
    tree.strip_tags(["style", "noscript", "template", "script"], recursive=True)
    body_node = tree.body
    # the body's text is read once, and no more of it than is kept (with room for the
    # whitespace squashed away)
    raw = (body_node.text(separator=" ") if body_node else "")[: keep * 6 // 5]
    text, tail = _head(raw, keep) if keep <= TEXT_KEPT else (squash(raw)[:keep], "")
    if refresh is None and len(text) < 200 and _SCRIPT_TAG.search(html):  # the whole text
        refresh = _script_target(source, text)
    return PageFacts(title, text, fields, site_name, refresh, True, tail, keep)
