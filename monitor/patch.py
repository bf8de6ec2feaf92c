"""Patched pages: the monitored page with refreshed access stamps and archive notes.

Every other byte stays as it was: the page is decoded with the encoding it came in,
changed only by *inserting* text at chosen offsets (and, with `--update-moved`, by
replacing a moved link's address), and encoded back the same way, so line endings,
markup, entities and whitespace survive untouched.

Finding where a citation sits in the raw file: citations are visited in page order with a
cursor; each is found by its link as written (`href` value, entities allowed) or, for an
unlinked citation, by its title; its stamps are the last occurrence of its newest stamp's
text between it and the next citation. New text goes right after that stamp, in the
page's own style (`[accessed 23 November 2026]` after `[accessed 7 June 2017]`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from monitor.extract import decode, detect_format
from monitor.models import ArchiveLink, Citation, Url
from monitor.stamps import AccessStamp, format_stamp, newest


class PatchError(Exception):
    """The page cannot be patched; the message is for the user."""


@dataclass
class Edit:
    start: int
    end: int  # == start for an insertion
    text: str
    why: str


@dataclass
class Patch:
    original: str
    encoding: str
    edits: list[Edit] = field(default_factory=list)
    bom: bytes = b""  # a UTF-16 page's byte-order mark, written back as it was

    def encode(self) -> bytes:
        """The patched page in the page's own encoding, byte-order mark included."""
        return self.bom + self.apply().encode(self.encoding)

    def apply(self) -> str:
        out, pos = [], 0
        for e in sorted(self.edits, key=lambda e: (e.start, e.end)):
            out.append(self.original[pos : e.start])
            out.append(e.text)
            pos = e.end
        out.append(self.original[pos:])
        return "".join(out)

    def diff(self, name: str) -> str:
        new = self.apply()
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                new.splitlines(keepends=True),
                f"a/{name}",
                f"b/{name}",
            )
        )


@dataclass
class Policy:
    mode: str = "append"  # append | replace | older
    older_than_days: int = 365
    update_moved: bool = False
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())


def _variants(text: str) -> list[str]:
    """How a string may be written in a page: as is, HTML-escaped, with &amp; in URLs."""
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
_ITEM_END = re.compile(r"</li\s*>|<li[\s>]|</[ou]l\s*>", re.IGNORECASE)
_A_END = re.compile(r"</a\s*>", re.IGNORECASE)


def _item(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The list item (`<li>`) around text[start:end] of an HTML page, or None: a citation in
    a list is that item, and its stamps and notes belong inside it."""
    opened = None
    for m in _ITEM_OPEN.finditer(text, max(0, start - 20000), start):
        opened = m.start()
    if opened is None or re.search(r"</li\s*>", text[opened:start], re.IGNORECASE):
        return None
    close = _ITEM_END.search(text, end)
    return opened, close.start() if close else len(text)


_GAP = r"(?:\s|&nbsp;|&#160;|<[^<>]{0,300}>)+"


_TAGS = r"(?:<[^<>]{0,300}>)*"


def _word_pattern(word: str) -> str:
    """One word of a stamp as a page may write it: a tag may sit between its letters and
    its punctuation, as zh CS1 writes `[<span class="nowrap">2020-01-11</span>]`."""
    parts = re.findall(r"\w+|[^\w]", word)
    return _TAGS.join(re.escape(p).replace("&", "&(?:amp;)?") for p in parts)


def _stamp_span(
    text: str, raw: str, start: int, end: int, last: bool = True
) -> tuple[int, int] | None:
    """Where the stamp whose text is `raw` sits in text[start:end] (the last or first
    occurrence). In HTML its words may be split by tags and entities, as CS1 writes
    `Retrieved <span class="nowrap">18 November</span> 2015`."""
    words = raw.split()
    if not words:
        return None
    pattern = re.compile(_GAP.join(_word_pattern(w) for w in words))
    spans = [m.span() for m in pattern.finditer(text, start, end)]
    if not spans:
        return None
    return spans[-1] if last else spans[0]


def _after_tag(text: str, pos: int) -> int:
    """`pos`, moved out of any tag it falls in: after the link's `</a>` when it is inside an
    `<a>` start tag (a URL in an href), else after the tag's `>`."""
    lt, gt = text.rfind("<", 0, pos), text.rfind(">", 0, pos)
    if lt <= gt:
        return pos
    if re.match(r"<a[\s>]", text[lt : lt + 3], re.IGNORECASE):
        close = _A_END.search(text, pos)
        if close:
            return close.end()
    end = text.find(">", pos)
    return end + 1 if end >= 0 else pos


def _fallback_note(fmt: str, link: ArchiveLink, nl: str) -> str:
    when = link.captured_at.strftime("%-d %B %Y") if link.captured_at else "an earlier date"
    text = f"An archived copy of this article (captured {when}) is accessible"
    if fmt == "html":
        return f' <br>{text} <a href="{html.escape(link.archive_url)}">[here]</a>'
    if fmt == "markdown":
        return f"  {nl}{text} [here]({link.archive_url})"
    return f"{nl}{text} [here] {link.archive_url}"


def plan(
    path: Path,
    rows: list[tuple[Citation, Url | None]],
    verified: dict[int, dt.date],
    fallbacks: dict[str, ArchiveLink],
    page_links: dict[str, ArchiveLink],
    policy: Policy,
) -> Patch:
    """The edits that bring the page up to date (nothing is written here)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PatchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    enc = "utf-8"
    text = decode(data)
    bom = b""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: little or big end first, as given
        enc = "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be"
        bom, data = data[:2], data[2:]
    for candidate in (
        enc if bom else "utf-8",
        "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8",
        "windows-1251",
        "koi8-r",
        "cp1252",
        "iso-8859-5",
        "latin-1",
    ):
        try:
            if data.decode(candidate) == text:
                enc = candidate
                break
        except UnicodeDecodeError:
            continue
    fmt = detect_format(path.name, text)
    nl = "\r\n" if "\r\n" in text else "\n"
    patch = Patch(text, enc, bom=bom)
    ordered = sorted(rows, key=lambda r: r[0].position)
    anchors: list[tuple[int, int] | None] = []
    cursor = 0
    for c, _u in ordered:
        needles = _variants(c.raw_url) if c.raw_url else _variants(c.title or "")
        found = _find(text, needles, cursor) if needles else None
        anchors.append(found)
        if found:
            cursor = found[1]
    for i, (c, u) in enumerate(ordered):
        here = anchors[i]
        if here is None:
            continue
        nxt = next((a[0] for a in anchors[i + 1 :] if a is not None), len(text))
        prev = next((a[1] for a in reversed(anchors[:i]) if a is not None), 0)
        region_start, region_end = prev, nxt
        item = _item(text, *here) if fmt == "html" else None
        if item is not None:  # in a list, the citation is its item: stamps stay inside it
            region_start, region_end = max(prev, item[0]), min(nxt, item[1])
        stamps = [AccessStamp.from_dict(s) for s in c.stamps]
        last = newest(stamps) or (stamps[-1] if stamps else None)
        # after the link element, never inside its tag (the first match may be the href);
        # in Markdown and text, a note goes at the end of the citation's line
        insert_at = _after_tag(text, here[1]) if fmt == "html" else here[1]
        line_end = text.find("\n", here[1])
        line_end = len(text) if line_end < 0 else line_end - (text[line_end - 1] == "\r")
        note_at = insert_at if fmt == "html" else line_end
        last_span = None
        if last is not None:
            span = _stamp_span(text, last.raw, here[0], region_end)
            if span is None:  # the stamp may sit before the link: "Title. [accessed ...]. <a>"
                span = _stamp_span(text, last.raw, region_start, here[0])
            j = span[0] if span else -1
            if span is not None:
                last_span = span
                insert_at = last_span[1]  # a new stamp goes right after the newest one
                if j > here[0]:
                    note_at = max(note_at, insert_at)
        if u is None:
            continue
        day = verified.get(c.id)  # type: ignore[arg-type]
        if u.last_verdict == "alive" and day is not None and last_span is not None:
            old = last.date if last else None
            if old is None or old < day:
                stale = old is None or (policy.today - old).days >= policy.older_than_days
                new_stamp = format_stamp(day, last.raw if last else None)
                if policy.mode == "replace":
                    patch.edits.append(Edit(*last_span, new_stamp, "access date refreshed"))
                elif policy.mode == "append" or stale:
                    patch.edits.append(Edit(insert_at, insert_at, "  " + new_stamp, "access date"))
        fb = fallbacks.get(u.url)
        if u.last_verdict in ("dead", "soft404", "drifted") and fb is not None and fb.verified:
            patch.edits.append(Edit(note_at, note_at, _fallback_note(fmt, fb, nl), "fallback"))
        if policy.update_moved and u.last_verdict == "moved" and u.last_final_url and c.raw_url:
            for needle in _variants(c.raw_url):
                j = text.find(needle, here[0], here[1] + 1)
                if j >= 0:
                    new = u.last_final_url if needle == c.raw_url else html.escape(u.last_final_url)
                    patch.edits.append(Edit(j, j + len(needle), new, "moved link updated"))
                    break
    for link_url, link in page_links.items():
        if link.verified is None:
            continue
        for needle in _variants(link_url):
            for m in re.finditer(re.escape(needle), text):
                close = text.find("</a>", m.end())
                end = close + 4 if fmt == "html" and 0 <= close < m.end() + 500 else m.end()
                if fmt == "markdown":
                    end = m.end() + 1 if text[m.end() : m.end() + 1] == ")" else m.end()
                state = "archive copy verified" if link.verified else "archive copy no longer works"
                when = link.verified_at.strftime("%-d %B %Y") if link.verified_at else ""
                note = f" ({state} {when})" if when else f" ({state})"
                patch.edits.append(Edit(end, end, note, "[here] link state"))
            break
    _check_overlaps(patch)
    return patch


def _check_overlaps(patch: Patch) -> None:
    spans = sorted((e.start, e.end) for e in patch.edits if e.end > e.start)
    for (_a0, a1), (b0, _b1) in itertools.pairwise(spans):
        if b0 < a1:
            raise PatchError("overlapping edits; the page changed since it was ingested?")


def write(patch: Patch, out: Path) -> None:
    out.write_bytes(patch.encode())
