"""Where each citation sits in the decoded page source (pure).

Extraction reads a parsed tree (or the lines of a text file), which has no byte offsets;
`monitor patch` edits the raw text, and a maintainer reading the report needs to know
where on the page a dead link is. One function answers for all three: `locate` walks the
citations in page order with a cursor and finds each by its link as written (`href` value,
entities allowed) or, for an unlinked citation, by its title; its extent is its list item
(`<li>`) in HTML, else the stretch up to the next citation; its stamps are the last
occurrences of their text in that extent, after the link or, failing that, before it
("Title. Publisher. [accessed 30 August 2018]. <a href=URL>URL</a>").

Ingest stores the line of each citation, the report shows it, and patch inserts at the
offsets it returns; all three call this on the same decoded text, so they agree on what and
where a citation is.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Locatable(Protocol):
    """What `locate` needs of a citation (an extracted `FoundCitation` or a stored one)."""

    @property
    def raw_url(self) -> str | None: ...

    @property
    def title(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Place:
    """One citation in the source text: offsets into the decoded page."""

    start: int  # the citation: its list item, or from the end of the previous citation
    end: int
    anchor: tuple[int, int]  # the link as written (the href value), or the title
    link_end: int  # after the link element (`</a>`), where a note may go in HTML
    line: int  # 1-based line of the anchor, for people
    stamps: dict[str, tuple[int, int]] = field(default_factory=dict)  # stamp text -> span

    def stamp(self, raw: str) -> tuple[int, int] | None:
        return self.stamps.get(raw)


_ESCAPED = re.compile(r"[&<>\"']")  # what html.escape changes


def variants(text: str) -> list[str]:
    """How a string may be written in a page: as is, HTML-escaped, with &amp; in URLs."""
    if not _ESCAPED.search(text):  # nothing to escape: as is (most URLs and titles)
        return [text] if text else []
    out = [text, html.escape(text, quote=False), html.escape(text), text.replace("&", "&amp;")]
    return list(dict.fromkeys(v for v in out if v))


def _find(hay: str, needles: list[str], start: int) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    for n in needles:
        i = hay.find(n, start)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, i + len(n))
    return best


_ITEM_OPEN = re.compile(r"<li[\s>]", re.IGNORECASE)
_ITEM_CLOSE = re.compile(r"</li\s*>", re.IGNORECASE)
_ITEM_END = re.compile(r"</li\s*>|<li[\s>]|</[ou]l\s*>", re.IGNORECASE)
_A_END = re.compile(r"</a\s*>", re.IGNORECASE)
_A_START = re.compile(r"<a[\s>]", re.IGNORECASE)


class _Items:
    """The list items (`<li>`) of an HTML page, found once: a citation in a list is its item,
    and its stamps and notes belong inside it. Bisecting sorted offsets keeps a page of
    100,000 citations linear."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.opens = [m.start() for m in _ITEM_OPEN.finditer(text)]
        self.closes = [m.start() for m in _ITEM_CLOSE.finditer(text)]

    def around(self, start: int, end: int) -> tuple[int, int] | None:
        k = bisect_right(self.opens, start) - 1
        if k < 0 or start - self.opens[k] > 20000:
            return None
        opened = self.opens[k]
        c = bisect_right(self.closes, opened)  # the first </li> after the item opened
        if c < len(self.closes) and self.closes[c] < start:
            return None  # that item closed before the link
        close = _ITEM_END.search(self.text, end)
        return opened, close.start() if close else len(self.text)


_GAP = r"(?:\s|&nbsp;|&#160;|<[^<>]{0,300}>)+"
_TAGS = r"(?:<[^<>]{0,300}>)*"


_PARTS = re.compile(r"\w+|[^\w]")  # a word's parts: its letter runs and each other character


def _word_pattern(word: str) -> str:
    """One word of a stamp as a page may write it: a tag may sit between its letters and
    its punctuation, as zh CS1 writes `[<span class="nowrap">2020-01-11</span>]`."""
    parts = _PARTS.findall(word)
    return _TAGS.join(re.escape(p).replace("&", "&(?:amp;)?") for p in parts)


def stamp_span(
    text: str, raw: str, start: int, end: int, last: bool = True
) -> tuple[int, int] | None:
    """Where the stamp whose text is `raw` sits in text[start:end] (the last or first
    occurrence). In HTML its words may be split by tags and entities, as CS1 writes
    `Retrieved <span class="nowrap">18 November</span> 2015`."""
    words = raw.split()
    if not words:
        return None
    # As written, and the only place its first letters stand in the span: the one match the
    # pattern could find, found without compiling a pattern per stamp (each stamp's text
    # differs, so each compiled pattern was used once).
    plain, first = " ".join(words), _PARTS.match(words[0])
    at = text.find(plain, start, end)
    if at >= 0 and first is not None and text.count(first.group(), start, end) == 1:
        return at, at + len(plain)
    pattern = re.compile(_GAP.join(_word_pattern(w) for w in words))
    spans = [m.span() for m in pattern.finditer(text, start, end)]
    if not spans:
        return None
    return spans[-1] if last else spans[0]


def after_tag(text: str, pos: int) -> int:
    """`pos`, moved out of any tag it falls in: after the link's `</a>` when it is inside an
    `<a>` start tag (a URL in an href), else after the tag's `>`."""
    lt, gt = text.rfind("<", 0, pos), text.rfind(">", 0, pos)
    if lt <= gt:
        return pos
    if _A_START.match(text, lt):
        close = _A_END.search(text, pos)
        if close:
            return close.end()
    end = text.find(">", pos)
    return end + 1 if end >= 0 else pos


def _loose(text: str, url: str | None, title: str | None, cursor: int) -> tuple[int, int] | None:
    """A link or title not written in one piece: a URL broken over lines in a plain-text
    reference list, a title whose words are split by tags or line breaks."""
    if url:
        gap = r"(?:\s|<[^<>]{0,300}>)*"
        head, sep, rest = url[:300].partition("://")
        if sep:  # the page may carry a user name and password that we never keep
            userinfo = r"(?:[^/@\s\"'<>]*@)?"
            pattern = re.escape(head + sep) + userinfo + gap.join(map(re.escape, rest))
        else:
            pattern = gap.join(re.escape(ch) for ch in url[:300])
    elif title and title.split():
        pattern = _GAP.join(_word_pattern(w) for w in title.split()[:12])
    else:
        return None
    m = re.compile(pattern).search(text, cursor)
    return m.span() if m else None


def locate(
    text: str, fmt: str, citations: Sequence[Locatable], stamps: Sequence[Sequence[str]]
) -> list[Place | None]:
    """The place of each citation (given in page order) in `text`, None where it is not
    found; `stamps[i]` are the raw texts of citation i's stamps."""
    anchors: list[tuple[int, int] | None] = []
    cursor = last_start = 0
    for c in citations:
        needles = variants(c.raw_url) if c.raw_url else variants(c.title or "")
        found = _find(text, needles, cursor) if needles else None
        if found is None and c.raw_url and needles:
            # two citations of one link (an image and its caption inside one <a>): the
            # second is where the first is
            found = _find(text, needles, last_start)
        if found is None or not c.raw_url:
            # a title may be wrapped over lines: the earlier of the two places is its own
            loose = _loose(text, c.raw_url, c.title, cursor)
            found = min((f for f in (found, loose) if f is not None), default=None)
        anchors.append(found)
        if found:
            cursor, last_start = found[1], found[0]
    line_starts = _LineIndex(text)
    items = _Items(text) if fmt == "html" else None
    # the end of the previous found citation and the start of the next, in one pass each
    prevs, last_end = [], 0
    for a in anchors:
        prevs.append(last_end)
        last_end = a[1] if a is not None else last_end
    nexts, next_start = [0] * len(anchors), len(text)
    for i in range(len(anchors) - 1, -1, -1):
        nexts[i] = next_start
        next_start = anchors[i][0] if anchors[i] is not None else next_start  # type: ignore[index]
    places: list[Place | None] = []
    for i, here in enumerate(anchors):
        if here is None:
            places.append(None)
            continue
        prev, nxt = prevs[i], nexts[i]
        start, end = prev, nxt
        item = items.around(*here) if items is not None else None
        if item is not None:  # in a list, the citation is its item: stamps stay inside it
            start, end = max(prev, item[0]), min(nxt, item[1])
        found_stamps: dict[str, tuple[int, int]] = {}
        for raw in stamps[i]:
            span = stamp_span(text, raw, here[0], end)
            if span is None:  # the stamp may sit before the link
                span = stamp_span(text, raw, start, here[0])
            if span is not None:
                found_stamps[raw] = span
        link_end = after_tag(text, here[1]) if fmt == "html" else here[1]
        if text.startswith("&gt;", link_end):  # a URL written as text, MLA's <http://...>
            link_end += 4
        elif text.startswith(">", link_end) and fmt != "html":
            link_end += 1
        places.append(Place(start, end, here, link_end, line_starts.line(here[0]), found_stamps))
    return places


class _LineIndex:
    """Offset -> 1-based line number, by bisecting the offsets of the line starts."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect_right(self.starts, offset)
