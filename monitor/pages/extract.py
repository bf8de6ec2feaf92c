"""From a citation page's content to citations: title, publisher line, access stamps, link.

Every input format is first reduced to the same thing, a list of visual *lines* with the
links that sit on them (HTML block boundaries and `<br>`; Markdown rendered to HTML; plain
text lines with bare URLs). One assembler then finds citation blocks the way a reader does:

    Kazak Women Sold as Sex Slaves                      <- title (often the link text)
    Gaziza Baituova, Institute for War & Peace ...      <- publisher/author/date line
    At one time this article had been archived ... [here]   <- archive note (fallback link)
    [accessed 16 February 2011]  [accessed 7 June 2017] <- access stamps
    When teenagers Lyuda and Sveta were offered ...     <- prose: the excerpt, ends the block

A block is anchored by access stamps or by a link; up to a few short lines before it are
its header. Prose (long lines, sentences), decoration lines (`*** ARCHIVES ***`) and the
next link end a block. Blocks with stamps but no link are kept as *unlinked citations*,
so a plain-text page like the seed still yields its ~21 entries.

Pure functions of the content: no I/O here (ingest.py reads files and fetches URLs).
"""

from __future__ import annotations

import contextlib
import enum
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.core.errors import ExtractError
from monitor.core.patterns import quick, squash
from monitor.core.results import Extraction, FoundCitation, Link
from monitor.core.safe import redact
from monitor.core.stamps import AccessStamp, find_stamps, strip_stamps
from monitor.core.urls import (
    ArchiveAddress,
    UrlError,
    address_host,
    has_credentials,
    is_archive_host,
    normalise,
    parse_archive_link,
)
from monitor.pages import reflines
from monitor.pages.formats import FORMATS, detect_format
from monitor.pages.htmlparse import BIG_PAGE, give_back_memory, parse_html
from monitor.pages.markdown import markdown_to_html
from monitor.pages.scope import MARK
from monitor.pages.scope import mark as mark_scope
from monitor.pages.sourcemap import locate
from monitor.pages.texturls import URL_LEAD, join_broken_urls, text_urls, written_out
from monitor.pages.titles import YEAR, meaningful_anchor, page_heading, unquote
from monitor.pages.works import (
    label_texts,
    lead_title,
    names_a_place,
    reference_title,
    same_copy,
    split_links,
    without_labels,
)


@dataclass(slots=True)
class Line:
    """One visual line of a page. Its links and emphasis are tuples: a page of 100,000
    references is as many lines, held beside the parse tree, and most have no emphasis
    (the empty tuple is shared; an empty list is not)."""

    text: str
    links: tuple[Link, ...] = ()
    in_refs: bool = False  # inside a page's references (scope.mark): never running prose
    emphasis: tuple[str, ...] = ()  # <em>, <i>, <cite> text: a title?
    quote: str | None = None  # a <blockquote> inside a reference item: its quoted passage


# ---------------------------------------------------------------- content -> lines

_BLOCK_TAGS = frozenset([
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "thead", "tfoot", "tr", "td", "th", "ul", "caption", "center",
])  # fmt: skip
_SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object", "select"]
)
_WS = re.compile(r"\s+")


def _spaced(s: str) -> str:
    """`_WS.sub(" ", s)`, ends kept; `s` itself when its only white space is single spaces
    (every other white space character is unprintable), as a line's text nearly always is."""
    return s if s.isprintable() and "  " not in s else _WS.sub(" ", s)


# punctuation left spaced out once a reference's parts are cut ("Title , . 2005"), in text
# whose whitespace is squashed
_SPACED_PUNCTUATION = re.compile(r"(?: [.,;:]){2,}(?= |$)")
_EMPTY_BRACKETS = re.compile(r"[(\[]\s*[)\]]")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_EMPHASIS = frozenset(["em", "i", "cite", "q"])
_FOOTNOTE_LABEL = re.compile(r"^\s*\[\^[^\]\s]+\]:\s*")
_LEFT, _LEFT_MARKED = 1, 2  # html_lines' events of leaving a node


def html_lines(
    tree: LexborHTMLParser, scope: str = "auto", page_url: str | None = None
) -> tuple[list[Line], str | None, str | None]:
    """Visual lines of a parsed HTML page (of its reference parts, when it has any:
    `scope.mark`, which edits the tree), its <title>, and its <base href>."""
    title_node = tree.css_first("title")
    title = squash(title_node.text()) if title_node else None
    base_node = tree.css_first("base[href]")
    base = (base_node.attributes.get("href") or None) if base_node else None
    only_marked = mark_scope(tree, scope, page_url)
    inside = 0  # how many marked elements enclose the walk (only_marked: read only there)
    item = 0  # open <li>s inside the marked parts: one reference, one line, whatever nests

    lines: list[Line] = []
    text_parts: list[str] = []
    links: list[Link] = []
    anchors: list[tuple[str, list[str]]] = []  # open <a>: href and the text seen inside it
    emphasised: list[list[str]] = []  # open <em>/<i>/<cite>: the text seen inside it
    emphasis: list[str] = []
    quoting = 0  # open <blockquote>s inside a reference item
    quote_parts: list[str] = []

    def flush() -> None:
        if not (text_parts or links or emphasis or quote_parts):
            return  # nothing read since the last line (a reference item's start)
        text = squash(join_broken_urls("".join(text_parts)))
        if not links and text:  # URLs written as text: "<http://...>", "Available at: ..."
            links.extend(Link(href, written) for href, written in text_urls(text))
        if (text or links) and (inside or not only_marked):
            marked = bool(inside and only_marked)
            quote = squash("".join(quote_parts)) or None
            lines.append(
                Line(text, tuple(links), in_refs=marked, emphasis=tuple(emphasis), quote=quote)
            )
        text_parts.clear()
        links.clear()
        emphasis.clear()
        quote_parts.clear()

    def add_text(s: str) -> None:
        if quoting:  # a reference's quoted passage: its excerpt, not words of the reference
            quote_parts.append(s)
            return
        text_parts.append(s)
        for _, buf in anchors:
            buf.append(s)
        for buf in emphasised:
            buf.append(s)

    root = tree.body or tree.root
    if root is None:
        return [], title, base
    # Iterative walk (enter/exit events) so absurdly deep markup cannot exhaust the stack.
    # (node, 0) enters a node; (node, LEFT) and (node, LEFT_MARKED) leave it, the latter a
    # node `mark_scope` marked (told on entering: its attributes are read once). A node
    # entered puts its next sibling on the stack, under its own subtree, and its first
    # child on top: the stack holds a path's worth of nodes, never a whole list of
    # children (a reference list of 100,000 items was 100,000 node objects at once).
    stack: list[tuple[LexborNode, int]] = [(root, 0)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag
        if not leaving and node is not root and (after := node.next) is not None:
            stack.append((after, 0))
        if leaving:
            if leaving == _LEFT_MARKED:
                flush()
                inside -= 1
            if tag == "a":
                href, buf = anchors.pop()
                links.append(Link(href, squash("".join(buf))))
            if tag in _EMPHASIS and emphasised:
                emphasis.append(squash("".join(emphasised.pop())))
            if tag == "blockquote" and quoting:
                quoting -= 1
            if tag == "li" and item:
                item -= 1
            if tag in _BLOCK_TAGS and not item:
                flush()
            continue
        if tag == "-text":
            add_text(node.text_content or "")
            continue
        if tag in _SKIP_TAGS or (tag or "").startswith(("_", "!")):
            continue
        if tag == "br":
            if item:  # a line break inside one reference of a reference list: the same one
                add_text(" ")
            else:
                flush()
            continue
        if tag == "img":
            alt = node.attributes.get("alt")
            if alt and anchors:
                add_text(f" {alt} ")
            continue
        if node.attributes.get(MARK) is not None:
            flush()
            inside += 1
            stack.append((node, _LEFT_MARKED))
            if tag == "a":  # a marked link (a CSS scope): its text and href still count
                anchors.append((node.attributes.get("href") or "", []))
        elif tag == "blockquote" and item:
            quoting += 1  # inside a reference item: its quoted passage, kept apart
            stack.append((node, _LEFT))
        elif tag in _BLOCK_TAGS:
            if not item:
                flush()
            if tag == "li" and (item or (inside and only_marked)):
                item += 1  # a reference's own lists (a button row) stay in its line
            stack.append((node, _LEFT))
        elif tag in _EMPHASIS and "citation" not in (node.attributes.get("class") or ""):
            emphasised.append([])  # CS1's <cite class="citation"> is the whole reference
            stack.append((node, _LEFT))
        elif tag == "a":
            href = node.attributes.get("href")
            if href is not None:  # <a name=...> has nothing to close
                anchors.append((href, []))
                stack.append((node, _LEFT))
        if (first := node.first_child) is not None:
            stack.append((first, 0))
    flush()
    return lines, title, base


def text_lines(text: str) -> list[Line]:
    """Plain text: one line a line, bare URLs as links."""
    out = []
    for raw in text.splitlines():
        s = squash(raw)
        if not s:
            continue
        out.append(Line(s, tuple(Link(href, written) for href, written in text_urls(s))))
    return out


# ---------------------------------------------------------------- lines -> citations


class Kind(enum.Enum):
    STAMP = "stamp"  # only access stamps
    NOTE = "note"  # an archive note ("... may possibly still be accessible [here]")
    SEP = "sep"  # decoration that separates sections
    PROSE = "prose"  # running text: an excerpt or an introduction
    SHORT = "short"  # a header candidate: title, publisher line, link


@dataclass(slots=True)
class _Info:
    line: Line
    kind: Kind
    rest: str  # text without stamps
    stamps: list[AccessStamp]
    primary: list[tuple[str, Link]]  # (normalised url, link)
    archives: list[ArchiveAddress]


_NOTE = quick(
    r"(been archived|may (possibly )?still be accessible|archived (copy|version)|archive copy"
    r"|wayback machine|archived from the original|archived at)", re.IGNORECASE
)  # fmt: skip
_SEP = re.compile(r"^[^\w\s]{2,}.*[^\w\s]{2,}$|^[^\w]+$")


def _is_prose(text: str) -> bool:
    if len(text) > 200:
        return True
    words = text.split()
    return len(words) >= 6 and text.rstrip().endswith((".", "!", "?", ":", ".”", '."'))


class _Assembler:
    def __init__(
        self, base: str | None, archive_hosts: tuple[str, ...], date_order: str | None = None
    ) -> None:
        self.base = base
        self.date_order = date_order
        self.archive_hosts = archive_hosts
        self.citations: list[FoundCitation] = []
        self.skipped: Counter[str] = Counter()
        self.awaiting_excerpt: list[FoundCitation] = []

    def classify(self, line: Line) -> _Info:
        stamps = find_stamps(line.text, self.date_order)
        rest = strip_stamps(line.text, stamps) if stamps else line.text
        primary: list[tuple[str, Link]] = []
        seen: set[str] = set()  # the URLs in primary: a line of 40,000 links is linear
        archives: list[ArchiveAddress] = []
        for link in line.links:
            try:
                url = normalise(link.href, self.base)
            except UrlError as exc:
                self.skipped[str(exc)] += 1
                continue
            # Archive links are parsed from the link as written: normalising first would
            # collapse the "//" of the embedded original URL. Only an archive's host can
            # hold one (the normalised host is the written one, lower-cased).
            arch = None
            if is_archive_host(address_host(url), self.archive_hosts):
                href = link.href.strip()
                absolute = urljoin(self.base, href) if self.base else href
                arch = parse_archive_link(absolute.split("#", 1)[0], self.archive_hosts)
            if arch:
                archives.append(arch)
            elif url not in seen:
                seen.add(url)
                primary.append((url, link))
        if stamps:  # brackets a stamp was cut out of ("[]" is a byte search away)
            if "(" in rest or "[" in rest:
                rest = _EMPTY_BRACKETS.sub("", rest)
            rest = rest.strip(" ,;")
        for link in line.links:  # a bare URL on the line is not part of its title
            if written_out(link.href, link.text):
                rest = rest.replace(link.text.strip(), " ")
                rest = URL_LEAD.sub(" ", rest)  # nor are "<>" and "Available at:" around it
        if "[^" in rest:  # "[^2]: " of a Markdown footnote
            rest = _FOOTNOTE_LABEL.sub("", rest)
        rest = _spaced(rest)
        if " ." in rest or " ," in rest or " ;" in rest or " :" in rest:  # what it needs
            rest = _SPACED_PUNCTUATION.sub("", rest)
        rest = rest.strip(" ,;")
        if stamps and _LETTER_OR_DIGIT.search(rest) is None:
            kind = Kind.STAMP
        elif (
            archives
            and not primary
            and (_NOTE.search(rest) or not any(meaningful_anchor(ln.text) for ln in line.links))
        ) or (not primary and len(rest) < 200 and _NOTE.search(rest)):
            kind = Kind.NOTE
        elif (not primary and _SEP.match(rest)) or (line.links and not primary and not archives):
            # decoration, or a line whose every link was unusable (menus, mailto: lines)
            kind = Kind.SEP
        elif not stamps and not line.in_refs and _is_prose(rest):
            kind = Kind.PROSE
        else:
            kind = Kind.SHORT
        return _Info(line, kind, rest, stamps, primary, archives)

    # A block: header lines + tail lines (stamps, notes)
    def emit(self, header: list[_Info], tail: list[_Info]) -> None:
        infos = header + tail
        stamps: list[AccessStamp] = []
        primary: list[tuple[str, Link]] = []
        archives: list[ArchiveAddress] = []
        in_refs, quoted = False, None  # in a reference list; the first quoted passage
        for i in infos:  # one pass: a block is mostly one line
            stamps += i.stamps
            primary += i.primary
            archives += i.archives
            in_refs = in_refs or i.line.in_refs
            quoted = quoted or i.line.quote
        # without a link or a stamp, only a page's reference list says "this is a citation"
        # (a book, cited with its year); elsewhere it is just a line of text
        bare = not stamps and not primary and not archives
        if bare and not (in_refs and any(YEAR.search(i.rest) for i in infos)):
            return
        self.awaiting_excerpt = []  # an earlier block without prose after it has no excerpt
        primary, alternates = split_links(primary)
        demoted = set(alternates)
        labels = (
            label_texts([ln for i in infos for ln in i.line.links if ln.href.strip() in demoted])
            if demoted
            else []
        )
        cut = [without_labels(i.rest, labels) for i in header]
        texts = [t for t in cut if t]
        lead = cut[0] if cut else ""
        if header and header[0].primary and texts and texts[0] == lead:
            # "<a>Title</a>, Publisher, 2005" or a link inside a sentence: the anchor text
            # is the title; text after a leading anchor is the publisher line.
            anchor = header[0].primary[0][1].text.strip(" []")
            line = texts[0]
            if names_a_place(line, anchor):
                anchor = ""  # "Available from: <a>Site</a>": the site, not the work
            if meaningful_anchor(anchor) and len(anchor) < len(line) - 3:
                at = line.find(anchor)  # -1 once a URL-as-text anchor was cut from the line
                rest = line.split(anchor, 1)[1].strip(" ,.;:-–—[]") if 0 <= at <= 2 else ""
                texts = [anchor, *([rest] if rest else []), *texts[1:]]
        title = unquote(texts[0]) if texts else None
        if title is None and primary and meaningful_anchor(primary[0][1].text):
            title = unquote(primary[0][1].text)
        publisher = texts[1] if len(texts) > 1 else None
        first = primary[0][1] if primary else None
        placed = first is not None and names_a_place(texts[0] if texts else "", first.text)
        written = first is not None and (not meaningful_anchor(first.text) or placed)
        emphasis = [e for i in header for e in i.line.emphasis]
        if texts and ((in_refs and not primary) or written):
            # an unlinked reference, or one whose link is not its title (a URL written
            # out, a button, a DOI): "Horn, R. (2013). Matrix Analysis. CUP." has its
            # title inside; what follows is the publisher
            found = reference_title(texts[0], emphasis)
            if found:
                title = found
                publisher = texts[0].split(found, 1)[-1].strip(' "”»,.;:') or publisher
        note = " | ".join(texts[2:]) or None
        urls: list[tuple[str | None, str | None, str | None]] = []  # url, raw, title
        for n, (url, link) in enumerate(primary):
            t = title if n == 0 else f"{title} — {link.text}" if title else link.text
            if urls and any(u == url for u, _, _ in urls):
                continue
            urls.append((url, _as_written(link), t))
        if not urls:
            if archives:  # only the archive copy is linked: it cites its original
                urls.append((archives[0].original_url, archives[0].archive_url, title))
            else:
                urls.append((None, None, title))
        for n, (url, raw, t) in enumerate(urls):
            mine = (
                [a for a in archives if a.original_url == url or len(urls) == 1] if archives else []
            )
            c = FoundCitation(
                position=len(self.citations) + 1,
                title=t,
                publisher=publisher,
                stamps=list(stamps),
                url=url,
                raw_url=raw,
                archive_links=mine,
                note=note,
                alternates=alternates if n == 0 else [],
                excerpt=unquote(quoted[:500]) if quoted else None,
            )
            self.citations.append(c)
            self.awaiting_excerpt.append(c)

    def inline(self, info: _Info) -> None:
        """Links inside running text: each is its own citation, titled by its anchor text
        (or, when that is no title, "Falsehoods about Gender: [#1] & [#2]", by the words
        the line opens with)."""
        lead = lead_title(info.line.text, info.line.links)
        # a whole reference written as one long line ("Author. 2020. “Title”. DOI: URL")
        structured = reference_title(info.rest, info.line.emphasis, strict=True)
        for url, link in info.primary:
            c = FoundCitation(
                position=len(self.citations) + 1,
                title=unquote(link.text) if meaningful_anchor(link.text) else structured or lead,
                url=url,
                raw_url=_as_written(link),
                archive_links=[a for a in info.archives if a.original_url == url],
                excerpt=info.rest[:500],
            )
            self.citations.append(c)
        known = {c.url for c in self.citations}
        for a in info.archives:
            if a.original_url not in known:
                anchor = next((ln.text for ln in info.line.links if same_copy(ln.href, a)), "")
                self.citations.append(
                    FoundCitation(
                        position=len(self.citations) + 1,
                        title=unquote(anchor) if meaningful_anchor(anchor) else lead,
                        url=a.original_url,
                        raw_url=a.original_url,
                        archive_links=[a],
                        excerpt=info.rest[:500],
                    )
                )

    def run(self, lines: list[Line]) -> list[FoundCitation]:
        pending: list[_Info] = []
        header: list[_Info] | None = None
        tail: list[_Info] = []

        def close() -> None:
            nonlocal header, tail
            if header is not None:
                self.emit(header, tail)
            header, tail = None, []

        def flush_pending() -> None:
            nonlocal pending
            if any(p.primary or p.archives for p in pending):
                self.emit(_header_of(pending), [])
            pending = []

        for line in lines:
            info = self.classify(line)
            if line.in_refs:  # an item of a reference list is one reference, alone
                close()
                flush_pending()
                self.emit([info], [])
                continue
            if info.kind in (Kind.STAMP, Kind.NOTE):
                if header is None:
                    header, pending = _header_of(pending), []
                tail.append(info)
                continue
            close()
            if info.kind is Kind.SEP:
                flush_pending()
                self.awaiting_excerpt = []
                continue
            if info.kind is Kind.PROSE:
                flush_pending()
                for c in self.awaiting_excerpt:
                    c.excerpt = c.excerpt or info.rest[:500]
                self.awaiting_excerpt = []
                self.inline(info)
                continue
            if info.primary and any(p.primary for p in pending):
                flush_pending()
            pending.append(info)
            if info.stamps:  # a header line carrying its own stamp ("..., Web. 9 Sept. 2009")
                header, pending = _header_of(pending), []
        close()
        flush_pending()
        return self.citations


def _as_written(link: Link) -> str:
    """The link as the page wrote it: a scheme-less URL in text is its text."""
    return link.text.strip() if link.href == "https://" + link.text.strip() else link.href


def _bare_url_text(info: _Info) -> str | None:
    """The line's original text if it was nothing but a URL (its `rest` is then empty)."""
    return info.line.text if info.primary and not info.rest else None


def _header_of(pending: list[_Info]) -> list[_Info]:
    """The header lines of a block: from its link line (or the line before a bare URL)."""
    idx = next(
        (i for i in range(len(pending) - 1, -1, -1) if pending[i].primary or pending[i].archives),
        None,
    )
    if idx is None:
        return pending[-3:]
    if _bare_url_text(pending[idx]):  # title and publisher lines come before a bare URL
        return pending[:idx][-2:] + pending[idx:][:3]
    return pending[idx:][:4]


# ---------------------------------------------------------------- entry point


CREDENTIALS_NOTE = "the cited address carries a user name and password: checked without them"


def extract(
    text: str,
    fmt: str | None = None,
    name: str | None = None,
    base_url: str | None = None,
    archive_hosts: tuple[str, ...] = (),
    date_order: str | None = None,
    scope: str = "auto",
) -> Extraction:
    """Citations of one page. `fmt` overrides detection; `base_url` resolves relative links;
    `date_order` ("dmy", "mdy") reads ambiguous numeric access dates; `scope` says where
    an HTML page's references are ("auto", "all" or a CSS selector, see `monitor.pages.scope`).
    Each citation knows the line it is on, found the way `monitor patch` finds it."""
    ex = _extract(text, fmt, name, base_url, archive_hosts, date_order, scope)
    if ex.title is None and name:  # no <title>, no heading: the page is named by its file
        ex.title = PurePath(name.split("?", 1)[0].rstrip("/")).name or None
    stamps = [[s.raw for s in c.stamps] for c in ex.citations]
    for c, place in zip(ex.citations, locate(text, ex.format, ex.citations, stamps), strict=True):
        c.source_line = place.line if place is not None else None
        if place is not None:  # 1-based, in characters, as editors count
            c.source_column = place.anchor[0] - text.rfind("\n", 0, place.anchor[0])
        if c.raw_url and has_credentials(c.raw_url):  # the password is never kept
            c.raw_url = redact(c.raw_url)
            c.note = " | ".join(filter(None, [c.note, CREDENTIALS_NOTE]))
    return ex


def _extract(
    text: str,
    fmt: str | None,
    name: str | None,
    base_url: str | None,
    archive_hosts: tuple[str, ...],
    date_order: str | None,
    scope: str,
) -> Extraction:
    fmt = fmt or detect_format(name, text)
    if fmt not in READERS:
        raise ExtractError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if not text or text.isspace():  # (not text.strip(): a copy of the whole page)
        raise ExtractError("empty page")
    return READERS[fmt](Reading(text, base_url, archive_hosts, date_order, scope))


@dataclass(frozen=True, slots=True)
class Reading:
    """What every reader is handed: the page's text and how to read it."""

    text: str
    base_url: str | None
    archive_hosts: tuple[str, ...]
    date_order: str | None
    scope: str


def _assemble(
    fmt: str, title: str | None, lines: list[Line], r: Reading, base: str | None
) -> Extraction:
    asm = _Assembler(base, r.archive_hosts, r.date_order)
    citations = asm.run(lines)
    return Extraction(fmt, title, citations, asm.skipped)


def _read_html(r: Reading) -> Extraction:
    tree = parse_html(r.text)
    if r.scope == "auto" and (pres := tree.css("pre")):
        # an Internet-Draft as HTML: its References section is plain text in <pre>
        pre_lines = "\n".join(p.text() for p in pres).splitlines()
        found = reflines.read(pre_lines, r.base_url, r.archive_hosts, r.date_order, True)
        if found is not None:
            return Extraction("html", None, *found)
    lines, title, base = html_lines(tree, r.scope, r.base_url)
    del tree  # the parser's memory (several times the page's) is freed before assembling
    if len(r.text) > BIG_PAGE:
        give_back_memory()
    base_url = r.base_url
    if base:
        with contextlib.suppress(UrlError):
            base_url = normalise(base, base_url)
    return _assemble("html", title, lines, r, base_url)


def _read_markdown(r: Reading) -> Extraction:
    lines, _, _ = html_lines(parse_html(markdown_to_html(r.text)), r.scope, r.base_url)
    return _assemble("markdown", page_heading(ln.text for ln in lines), lines, r, r.base_url)


def _read_text(r: Reading) -> Extraction:
    found = reflines.read(r.text.splitlines(), r.base_url, r.archive_hosts, r.date_order)
    if found is not None:  # a reference list, or a text with a References section
        return Extraction("text", None, *found)
    lines = text_lines(r.text)
    return _assemble("text", page_heading(ln.text for ln in lines), lines, r, r.base_url)


def _read_rst(r: Reading) -> Extraction:
    """reStructuredText (a PEP, Sphinx sources): every footnote, target and embedded link
    is deliberate (a document of this kind has no navigation to leave out)."""
    skipped: Counter[str] = Counter()
    texts = reflines.rst_references(r.text.splitlines())
    found = reflines.references(texts, r.base_url, r.archive_hosts, r.date_order, skipped)
    lines = r.text.splitlines()
    title = page_heading(ln.strip() for ln in lines if ln.strip() and ":" not in ln[:20])
    return Extraction("rst", title, found, skipped)


def _read_urls(r: Reading) -> Extraction:
    return reflines.url_list(r.text, r.base_url, r.archive_hosts)


# one reader per input format of `formats.FORMATS`
READERS: dict[str, Callable[[Reading], Extraction]] = {
    "html": _read_html,
    "markdown": _read_markdown,
    "rst": _read_rst,
    "text": _read_text,
    "urls": _read_urls,
}
