"""What a fetched page says about itself (pure): its title fields, the site's name, its
visible text, and where a meta refresh or a one-line script sends the reader."""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.core.decoding import decode, meta_charset
from monitor.core.errors import ExtractError
from monitor.core.patterns import squash

# Characters of a page's text kept. Judging a page (the title's evidence, the cues, the
# fingerprint's 12,000) reads its beginning; only a page with quoted passages to look for is
# read further. Whitespace squashing and every scan after it cost in proportion to the text,
# so a long article costs what a middling one does unless its passages are wanted.
TEXT_KEPT = 20_000
PASSAGE_TEXT = 60_000
# Characters of text every check reads: the fingerprint's 12,000 (the cues and the sibling
# comparison read less). Only the search for a cited title in the text, when no title field
# carries it, reads on, in the page's own text (`PageFacts.own`), read only then.
HEAD = 12_000


@dataclass
class PageFacts:
    title: str | None
    text: str
    # og:title, citation_title, DC.title and the first h1-h3, each with where it came from
    fields: list[tuple[str, str]] = field(default_factory=list)
    site_name: str | None = None  # og:site_name
    refresh: str | None = None  # where a meta refresh or a one-line script sends the reader
    html: bool = False
    # the page's own words: its text without the site's chrome (navigation, sidebars, tables
    # of contents, related posts, page header and footer) and without link text, so a page
    # that only links to a work does not carry it; read when first asked for (`_own_text`)
    own: Callable[[], str] | None = None
    # where the page says it lives: its canonical link, og:url, and the link its own
    # navigation marks as the current page (aria-current="page"), deepest first
    self_urls: list[str] = field(default_factory=list)


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


# The parts of a page that are the site's, not the work's: what a reader skips. Tags and
# ARIA roles say so where a template uses them; otherwise the words of a class or id do
# (Readability's method: a sidebar, a table of contents, related or recent posts, a
# breadcrumb, pagination, a tag cloud, comments), unless they also say it is the content
# ("wy-nav-content" is Sphinx's main column). A page header or footer is the site's only
# outside the article: an article's own header carries its title.
_CHROME_TAGS = frozenset({"nav", "aside", "menu", "form", "select", "button", "dialog"})
_PAGE_TAGS = frozenset({"header", "footer"})
_CHROME_ROLES = frozenset(
    {"navigation", "complementary", "menu", "menubar", "tree", "search", "dialog"}
)
_PAGE_ROLES = frozenset({"banner", "contentinfo"})
_CHROME_WORDS = re.compile(
    r"(?:^|[-_\s])(?:side-?bar|sidenav|side|toc|tocs|table-of-contents|menu|menus|nav|navbar"
    r"|navigation|breadcrumbs?|crumbs|related|recent|popular|pagination|pager|paginator"
    r"|prev|next|previous|widgets?|share|sharing|social|comments?|disqus|tags|tag-?cloud"
    r"|categories|subscribe|newsletter|cookies?|banner|sponsor|ads?|footnav|sitemap"
    r"|summary-nav|chapters?-nav|book-summary)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
_PAGE_WORDS = re.compile(
    r"(?:^|[-_\s])(?:header|footer|masthead|topbar|site-?header|site-?footer)(?:$|[-_\s\d])",
    re.IGNORECASE,
)
_CONTENT_WORDS = re.compile(
    r"(?:^|[-_\s])(?:content|main|article|body|entry|markdown-body|prose)(?:$|[-_\s])",
    re.IGNORECASE,
)
# candidates found by the parser (C-fast substring tests), then read by the rules above
_CHROME_SELECTOR = ", ".join(
    ["nav", "aside", "menu", "form", "select", "button", "dialog", "header", "footer", "[role]"]
    + [
        f"[{attr}*={word}]"
        for attr in ("class", "id")
        for word in (
            "side", "toc", "menu", "nav", "crumb", "related", "recent", "popular", "pagina",
            "pager", "prev", "next", "widget", "shar", "social", "comment", "disqus", "tag",
            "categor", "subscri", "newsletter", "cookie", "banner", "sponsor", "head",
            "foot", "masthead", "topbar", "sitemap", "summary", "chapter",
        )
    ]
)  # fmt: skip
_MAIN_TAGS = frozenset({"article", "main"})
_HOLDS_WORK = "article, main, [role=main]"


def _inside_main(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.is_element_node:
        if parent.tag in _MAIN_TAGS or (parent.attrs.get("role") or "") == "main":
            return True
        parent = parent.parent
    return False


def _is_chrome(node: LexborNode, page_chars: int) -> bool:
    """Is this element the site's rather than the work's (see `_CHROME_WORDS`)? The page's
    text is `page_chars` long."""
    tag = node.tag
    if tag in _CHROME_TAGS:
        return True
    attrs = node.attrs
    role = (attrs.get("role") or "").lower()
    if role in _CHROME_ROLES:
        return True
    names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    if tag in ("html", "body", "main", "article") or _CONTENT_WORDS.search(names):
        return False
    if tag in _PAGE_TAGS or role in _PAGE_ROLES or _PAGE_WORDS.search(names):
        return not _inside_main(node)
    # a wrapper named for its sidebar ("container has-sidebar") holding the article itself,
    # or most of the page's words, is not the sidebar
    return (
        bool(_CHROME_WORDS.search(names))
        and node.css_first(_HOLDS_WORK) is None
        and len(node.text()) < 0.5 * page_chars
    )


def _links_away(heading: LexborNode, url: str | None) -> bool:
    """A heading that is a link to another page: an entry of a listing ("recent posts",
    a blog's front page), not the page's own title. A link to the page itself (a post
    title that is its own permalink) or to a part of it (`#section`) is the page's own."""
    links = heading.css("a[href]")
    if not links:
        return False
    text = squash(heading.text())
    linked = sum(len(squash(a.text())) for a in links)
    if linked < 0.5 * len(text):
        return False
    for a in links:
        href = (a.attrs.get("href") or "").strip()
        if not href or href.startswith("#"):
            continue
        if url is None:
            return True
        target = urlsplit(urljoin(url, href))
        here = urlsplit(url)
        same = target.netloc == here.netloc and target.path.rstrip("/") == here.path.rstrip("/")
        if not same:
            return True
    return False


def _in_chrome(node: LexborNode, page_chars: int) -> bool:
    """Inside the site's chrome (see `_is_chrome`): a heading of a sidebar or a menu."""
    parent = node.parent
    while parent is not None and parent.is_element_node and parent.tag != "body":
        if _is_chrome(parent, page_chars):
            return True
        parent = parent.parent
    return False


def _own_headings(
    nodes: list[LexborNode], url: str | None, page_chars: int
) -> list[tuple[str, str]]:
    """The page's own headings among `nodes` (its h1-h3, in document order): those outside
    its chrome, not links to other pages, each with its kind ("h1": a main heading,
    "heading": a section's)."""
    headings: list[tuple[str, str]] = []
    for node in nodes[:40]:
        text = squash(node.text())
        if text and not _in_chrome(node, page_chars) and not _links_away(node, url):
            headings.append(("h1" if node.tag == "h1" else "heading", text[:300]))
            if len(headings) >= 6:
                break
    return headings


def _own_text(tree: LexborHTMLParser, limit: int, page_chars: int) -> Callable[[], str]:
    """The page's own text (no chrome, no link text), its first `limit` characters, read
    when first asked for: most pages carry the cited title in a title field, and cutting a
    tree costs more than reading it (measured: docs/performance.md, "Figures behind the
    code"). The tree is cut then: everything else is read from it before."""
    done: list[str] = []

    def own() -> str:
        if done:
            return done[0]
        body = tree.body
        text = ""
        if body is not None:
            for node in body.css(_CHROME_SELECTOR):
                if _is_chrome(node, page_chars):
                    node.remove()
            for a in body.css("a"):
                a.remove()
            text = squash(body.text(separator=" ")[: limit * 6 // 5])[:limit]
        done.append(text)
        return text

    return own


_FIELDS = {
    ("property", "og:title"): "og:title",
    ("property", "og:site_name"): "og:site_name",
    ("name", "citation_title"): "citation_title",
    ("name", "DC.title"): "dc.title",
    ("name", "dc.title"): "dc.title",
    ("property", "og:url"): "og:url",
}


_FIELD_ORDER = ("og:title", "citation_title", "dc.title")


def inspect_page(
    body: bytes, charset: str | None, ctype: str = "", keep: int = TEXT_KEPT, url: str | None = None
) -> PageFacts:
    """Title fields, site name, visible text (its first `keep` characters), the page's own
    words (`PageFacts.own`), where it says it lives, and any refresh of a (partial) body at
    `url`. A NUL byte or a broken encoding is read past, never a reason to look no further.

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
    refreshes: list[LexborNode] = []
    canonical: LexborNode | None = None
    # one walk of the tree for all three (each query is a walk of its own)
    for node in tree.css('title, meta, link[rel="canonical"][href]'):
        tag = node.tag
        if tag == "link":
            canonical = canonical or node
        elif tag == "meta":
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
    fields = [(w, squash(found[w])) for w in _FIELD_ORDER if found.get(w)]
    site_name = found.get("og:site_name") or None
    title = (squash(title_node.text()) or None) if title_node is not None else None
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
    full = body_node.text(separator=" ") if body_node else ""
    page_chars, raw = len(full), full[: keep * 6 // 5]
    text = _head(raw, keep)[0] if keep <= TEXT_KEPT else squash(raw)[:keep]
    if refresh is None and len(text) < 200 and _SCRIPT_TAG.search(html):  # the whole text
        refresh = _script_target(source, text)
    heads: list[LexborNode] = []
    marked: list[LexborNode] = []  # links its navigation marks as the current page
    for node in tree.css('h1, h2, h3, a[aria-current="page"][href]'):  # one walk for both
        (marked if node.tag == "a" else heads).append(node)
    headings = _own_headings(heads, url, page_chars)
    selves = [(canonical.attrs.get("href") or "") if canonical is not None else ""]
    selves.append(found.get("og:url") or "")
    current = [a.attrs.get("href") or "" for a in marked[:8]]
    selves += sorted(current, key=lambda h: -len(h.rstrip("/")))[:1]
    fields += headings
    if not title and headings:
        title = headings[0][1]
    own = _own_text(tree, min(keep, TEXT_KEPT), page_chars)
    selves = [h.strip() for h in selves if h.strip()]
    return PageFacts(title, text, fields, site_name, refresh, True, own, selves)
