"""Patched pages: the monitored page with refreshed access stamps and archive notes.

Every other byte stays as it was: the page is decoded with the encoding it came in,
changed only by *inserting* text at chosen offsets (and, with `--update-moved`, by
replacing a moved link's address), and encoded back the same way, so line endings,
markup, entities and whitespace survive untouched.

Where each citation, its link and its stamps sit in the page is `monitor.pages.sourcemap`'s
answer, the same one ingest stored and the report shows. A new stamp goes right after the
citation's newest stamp, in the page's own style (`[accessed 23 November 2026]` after
`[accessed 7 June 2017]`); a fallback note after the link element in HTML, at the end of
the citation's line in Markdown and text.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import html
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from monitor.core.access import stamp_due
from monitor.core.decoding import decode
from monitor.core.errors import PatchError
from monitor.core.patterns import occurrences
from monitor.core.stamps import AccessStamp, format_stamp, newest
from monitor.core.verdict import GONE
from monitor.pages.formats import FORMATS
from monitor.pages.sourcemap import locate, variants
from monitor.store.models import ArchiveLink, Citation, Url


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
    errors: str = "strict"  # "surrogateescape": bytes no encoding explains, kept as they were

    def encode(self) -> bytes:
        """The patched page in the page's own encoding, byte-order mark included."""
        return self.bom + self.apply().encode(self.encoding, self.errors)

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
    """How `patch` stamps a verified citation. `own` (the default): the page's own stamps
    are kept and the monitor keeps one stamp of its own, the latest verified date, updated
    in place week after week; `older`: a new stamp is added only when the newest is older
    than `older_than_days` (pages that keep a history of re-verifications, over years);
    `append`: a new stamp at every verified date; `replace`: the newest stamp, whoever
    wrote it, is replaced."""

    mode: str = "own"  # own | older | append | replace
    older_than_days: int = 365
    update_moved: bool = False
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())


_REPLAY_TIME = re.compile(r"/(\d{8,14})(?:[a-z]{2}_)?/https?:")


def _accepted_copy(u: Url, archive_url: str, known: ArchiveLink | None) -> ArchiveLink:
    """The snapshot the maintainer accepted, with its capture date: from the copy the
    monitor found (the same address), from a known archive's address, or from the
    timestamp any Wayback-style replay address carries (a configured endpoint's too)."""
    from monitor.core.times import wayback_time
    from monitor.core.urls import parse_archive_link

    when = known.captured_at if known is not None and known.archive_url == archive_url else None
    if when is None:
        parsed = parse_archive_link(archive_url)
        when = parsed.captured_at if parsed else None
    if when is None and (m := _REPLAY_TIME.search(archive_url)):
        when = wayback_time(m.group(1))
    return ArchiveLink(url_id=u.id or 0, archive_url=archive_url, captured_at=when, verified=True)


NOTE_TEXT = "An archived copy of this article (captured {when}) is accessible"


def _fallback_note(fmt: str, link: ArchiveLink, nl: str) -> str:
    when = link.captured_at.strftime("%-d %B %Y") if link.captured_at else "an earlier date"
    return FORMATS[fmt].note(NOTE_TEXT.format(when=when), link.archive_url, nl)


_WHEN, _URL = "\x00when\x00", "\x00url\x00"


@functools.cache
def note_pattern(fmt: str) -> re.Pattern[str]:
    """A note this monitor wrote, in `fmt`'s syntax, whatever its date and link: how a
    patch finds its own note again, to update it in place instead of adding another
    (built once a format, not once a citation)."""
    shape = re.escape(FORMATS[fmt].note(NOTE_TEXT.format(when=_WHEN), _URL, "\n"))
    shape = shape.replace(re.escape(_WHEN), r"[^)\n]{1,40}").replace(re.escape(_URL), r"[^\s\"<>]+")
    return re.compile(shape.replace(re.escape("\n"), r"\r?\n"))


def _own_note(text: str, fmt: str, start: int, end: int) -> tuple[int, int] | None:
    m = note_pattern(fmt).search(text, start, end)
    return m.span() if m else None


def plan(
    path: Path,
    fmt: str,
    rows: list[tuple[Citation, Url | None]],
    verified: dict[int, dt.date],
    fallbacks: dict[str, ArchiveLink],
    page_links: dict[str, ArchiveLink],
    policy: Policy,
    accepted: dict[str, tuple[str | None, str | None]] | None = None,
    verified_days: dict[int, set[dt.date]] | None = None,
) -> Patch:
    """The edits that bring the page up to date (nothing is written here). `fmt` is the
    format the page was read in at ingest (`Document.format`), so notes are written in the
    syntax the citations were found in. `accepted` maps a URL to the maintainer's decision
    (snapshot, new address): written whatever the last check said. `verified_days`: every
    date each citation was verified, by which the monitor's own stamps are known."""
    accepted = accepted or {}
    verified_days = verified_days or {}
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PatchError(f"{path}: cannot read ({exc.strerror or exc})") from None
    enc, errors = "utf-8", "strict"
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
                enc, errors = candidate, "strict"
                break
        except UnicodeDecodeError:
            continue
    else:
        # no encoding gives back what ingest read (a UTF-8 page with a few invalid bytes):
        # read the bytes as UTF-8, each invalid byte kept as itself, and write them so;
        # every byte the patch does not touch is the byte it was, in an href too
        text, enc, errors = data.decode("utf-8", "surrogateescape"), "utf-8", "surrogateescape"
    nl = "\r\n" if "\r\n" in text else "\n"
    patch = Patch(text, enc, bom=bom, errors=errors)
    ordered = sorted(rows, key=lambda r: r[0].position)
    stamps_of = [[AccessStamp.from_dict(s) for s in c.stamps] for c, _ in ordered]
    places = locate(text, fmt, [c for c, _ in ordered], [[s.raw for s in st] for st in stamps_of])
    for (c, u), stamps, place in zip(ordered, stamps_of, places, strict=True):
        if place is None:
            continue
        here = place.anchor
        last = newest(stamps) or (stamps[-1] if stamps else None)
        # after the link element, never inside its tag (the first match may be the href);
        # in Markdown and text, a note goes at the end of the citation's line
        insert_at = place.link_end
        line_end = text.find("\n", here[1])
        line_end = len(text) if line_end < 0 else line_end - (text[line_end - 1] == "\r")
        note_at = insert_at if fmt == "html" else line_end
        last_span = place.stamp(last.raw) if last is not None else None
        if last_span is not None:
            insert_at = last_span[1]  # a new stamp goes right after the newest one
            if last_span[0] > here[0]:
                note_at = max(note_at, insert_at)
        if u is None:
            continue
        day = verified.get(c.id)  # type: ignore[arg-type]
        old = last.date if last else None
        if last_span is not None and stamp_due(u.last_verdict, day, old):
            assert day is not None  # stamp_due says so
            stale = old is None or (policy.today - old).days >= policy.older_than_days
            new_stamp = format_stamp(day, last.raw if last else None)
            ours = last is not None and last.date in verified_days.get(c.id or 0, set())
            if policy.mode == "replace" or (policy.mode == "own" and ours):
                patch.edits.append(Edit(*last_span, new_stamp, "access date refreshed"))
            elif policy.mode in ("append", "own") or stale:
                patch.edits.append(Edit(insert_at, insert_at, "  " + new_stamp, "access date"))
        snapshot, new_address = accepted.get(u.url, (None, None))
        fb = fallbacks.get(u.url)
        note, why = None, ""
        if snapshot:  # the maintainer's choice of copy, taken as given
            copy = _accepted_copy(u, snapshot, fb)
            note, why = _fallback_note(fmt, copy, nl), "accepted"
        elif u.status == "dead" and u.last_verdict in GONE and fb is not None and fb.verified:
            # only a death the confirmation rule stands by: one bad day is not a dead link
            note, why = _fallback_note(fmt, fb, nl), "fallback"
        mine = _own_note(text, fmt, max(place.link_end, place.start), place.end)
        if mine is None and note is not None:
            patch.edits.append(Edit(note_at, note_at, note, why))
        elif mine is not None and note is not None and text[mine[0] : mine[1]] != note:
            patch.edits.append(Edit(*mine, note, f"{why} note updated"))
        elif mine is not None and note is None and u.status in ("alive", "moved"):
            patch.edits.append(Edit(*mine, "", "archive note removed: the link works again"))
        moved = policy.update_moved and u.last_verdict == "moved" and u.last_final_url
        target = new_address or (u.last_final_url if moved else None)
        if target and c.raw_url:
            why = "accepted new address" if new_address else "moved link updated"
            for needle in variants(c.raw_url):
                j = text.find(needle, here[0], here[1] + 1)
                if j >= 0:
                    new = target if needle == c.raw_url else html.escape(target)
                    patch.edits.append(Edit(j, j + len(needle), new, why))
                    # the link's visible text, when it is the address written out:
                    # <a href="U">U</a>, or [U](U) in Markdown
                    k = -1
                    if fmt == "html":
                        k = text.find(needle, j + len(needle), max(place.link_end, here[1] + 1))
                    elif fmt == "markdown" and text.endswith(f"[{needle}](", 0, j):
                        k = j - len(needle) - 2
                    elif fmt == "markdown" and text.startswith(f"]({needle})", j + len(needle)):
                        k = j + len(needle) + 2  # found the text first: the address follows
                    if k >= 0:
                        patch.edits.append(Edit(k, k + len(needle), new, f"{why} (its text)"))
                    break
    for link_url, link in page_links.items():
        if link.verified is None:
            continue
        for needle in variants(link_url):
            for at in occurrences(text, needle):
                found = at + len(needle)
                close = text.find("</a>", found)
                end = close + 4 if fmt == "html" and 0 <= close < found + 500 else found
                if fmt == "markdown":
                    end = found + 1 if text[found : found + 1] == ")" else found
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
