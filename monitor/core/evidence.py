"""Does the live page still carry the cited work? Title and passage evidence (pure).

A site's name is on every page it serves: in the `<title>` ("Page not found | The Daily
Telegraph"), in `og:site_name`, in the header and the footer. A cited title that carries
the publisher ("Kazak Women Sold as Sex Slaves. Institute for War & Peace Reporting") would
match any page of that site, its not-found page included, if the whole title were compared
with the whole page. So:
- the site's name is taken off both sides first: the page title's segments that name the
  site (`og:site_name`, the part shared with the made-up sibling's answer, the host name),
  and the same words at the end of the cited title;
- the title fields (`<title>`, `og:title`, `citation_title`, the first headings) are
  compared with the title on its *distinctive words* (not the site's, not "the", "and"):
  a field must carry most of them, in about that length;
- the body text is searched for the distinctive words first (an index of word positions),
  and only the few windows where they cluster are aligned with the title. A page that
  mentions the site's name 40 times but not the work scores nothing.

The quoted passage (the excerpt a scholar copied under the citation) is found the same
way: its distinctive words located, then the window aligned, tolerant of whitespace,
quotes, ellipses and a passage cut short on either side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

_WORD = re.compile(r"\w+", re.UNICODE)
# "Title | Site", "Title - Site", "Title — Site": the parts of a page title
TITLE_PARTS = re.compile(r"\s+[|–—:·»«\-]\s+|\s*\|\s*")
# words that say nothing about which work a title names, in the languages of the stamps
_STOP = (
    "a an the and or of in on at to for from by with as is are was were be it its this that",
    "how why what who new about after over under into than vs via",
    "de la le les des du et en un une der die das und von zu im el los las y del por para con",
    "и в на с по о из за для не что как",
    "pdf html home page online official website",
)
STOPWORDS = frozenset(w for line in _STOP for w in line.split())
EXACT = 95.0  # a title field this alike is the cited title itself
TEXT_CAP = 90.0  # the text carrying a title says less than a title field carrying it


def tokens(text: str | None) -> list[str]:
    return _WORD.findall((text or "").lower())


@dataclass(frozen=True)
class PageFields:
    """What a page says about itself: title fields, site name, visible text."""

    title: str | None
    fields: Sequence[tuple[str, str]]  # (where, text): og:title, citation_title, h1-h3
    text: str
    site_names: Sequence[str] = ()  # og:site_name, the sibling's title segments, host words
    # the whole text, when `text` is only its beginning (`pageread.PageFacts.whole`): read
    # only if the title is searched for in the text
    whole: Callable[[], str] | None = None


@dataclass(frozen=True)
class TitleEvidence:
    score: float  # 0-100
    title: str  # the cited title that matched best
    where: str  # "title", "og:title", "citation_title", "heading" or "text"


def is_exact(where: str | None, score: float | None) -> bool:
    """Found as the title of the page itself (a title field, not the text, at least
    `EXACT`): no sibling probe can argue with that."""
    return where not in (None, "text") and (score or 0) >= EXACT


def _site_words(names: Iterable[str]) -> set[str]:
    return {w for n in names for w in tokens(n)}


def strip_site(title: str, names: Iterable[str]) -> str:
    """`title` without the segments that name the site ("Title | Site" -> "Title"); the
    whole title when every segment names it (a home page titled with the site's name)."""
    site = _site_words(names)
    if not site:
        return title
    parts = [p for p in TITLE_PARTS.split(title) if p.strip()]
    if len(parts) < 2:
        parts = [p for p in re.split(r"(?<=\w)\.\s+", title) if p.strip()]  # "Title. Site"
    kept = [p for p in parts if not set(tokens(p)) <= site]
    return " ".join(kept) if kept else title


def distinctive(title: str, site_names: Iterable[str] = ()) -> list[str]:
    """The words of a title that tell it from other pages (not the site's, not stopwords)."""
    site = _site_words(site_names)
    out = [w for w in tokens(title) if w not in STOPWORDS and w not in site]
    return list(dict.fromkeys(out))


def _field_score(title: str, words: list[str], field: str) -> float:
    """How well one title field carries the title: its distinctive words, about as many."""
    have = set(tokens(field))
    if not words or not have:
        return 0.0
    covered = sum(w in have for w in words) / len(words)
    t, f = " ".join(tokens(title)), " ".join(tokens(field))
    alike = max(fuzz.ratio(t, f), fuzz.token_sort_ratio(t, f))
    if covered >= 0.999 and len(f) <= 2.5 * len(t):
        alike = max(alike, fuzz.token_set_ratio(t, f))  # "Title: a subtitle" still counts
    return round(min(100.0 * covered, alike), 1)


class TextIndex:
    """A page's text, searched for a handful of words at a time: the words are located by
    one C-level regex scan, and only the text around the rarest one is tokenised. Building
    it costs a lower-casing; a search costs a scan, not a Python step per word of the page
    (indexing every word was slow on a long text: docs/performance.md, "Figures behind the
    code")."""

    CHARS_PER_WORD = 8  # a word and its separator, for turning word widths into characters

    def __init__(self, text: str, limit: int = 60000) -> None:
        self.low = text[:limit].lower()

    def where(self, words: Iterable[str]) -> dict[str, list[int]]:
        """Where each of `words` starts in the text (character offsets), whole words only."""
        wanted = sorted(set(words), key=len, reverse=True)
        out: dict[str, list[int]] = {w: [] for w in wanted}
        if not wanted:
            return out
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, wanted)) + r")\b")
        for m in pattern.finditer(self.low):
            out[m.group()].append(m.start())
        return out

    def best_window(self, words: list[str], width: int) -> tuple[float, str]:
        """The share of `words` found within `width` words either side of an occurrence of
        the rarest of them (at most 50 tried), and the text from there on (about three
        widths, tokenised), for an alignment; (0, "") when none is on the page."""
        places = {w: p for w, p in self.where(words).items() if p}
        if not places:
            return 0.0, ""
        rare = min(places, key=lambda w: len(places[w]))
        reach = width * self.CHARS_PER_WORD
        wanted = set(words)
        best, at = 0.0, -1
        for pos in places[rare][:50]:
            lo = max(0, pos - reach)
            near = {w for w, ps in places.items() if any(lo <= p <= pos + reach for p in ps)}
            share = len(wanted & near) / len(wanted)
            if share > best:
                best, at = share, lo
        return best, " ".join(tokens(self.low[at : at + 3 * reach]))


def title_evidence(
    cited: Iterable[str], page: PageFields, index: TextIndex | None = None
) -> TitleEvidence | None:
    """Best evidence that any cited title is on the page; None when no title is usable
    (fewer than two distinctive words: "[PDF]", "Home")."""
    best: TitleEvidence | None = None
    names = list(page.site_names)
    fields = [("title", page.title)] if page.title else []
    fields += [(where, text) for where, text in page.fields if text]
    stripped: dict[int, str] = {}
    for raw in cited:
        if best is not None and best.score >= 100.0:
            break  # nothing scores higher, and a tie keeps the first
        title = strip_site(raw, names)
        words = distinctive(title, names)
        if len(words) < 2:
            continue
        scored = []
        for k, (where, text) in enumerate(fields):  # in the order they are trusted
            if k not in stripped:
                stripped[k] = strip_site(text, names)
            scored.append((where, _field_score(title, words, stripped[k])))
            if scored[-1][1] >= 100.0:
                break  # the fields after it could only tie, and a tie keeps the first
        # the text's evidence is capped at TEXT_CAP: when a title field says as much, the
        # text cannot change the answer, and its search is skipped
        if page.text and max((sc for _, sc in scored), default=0.0) < TEXT_CAP:
            index = index or TextIndex(page.whole() if page.whole else page.text)
            width = max(8, 2 * len(tokens(title)))
            share, window = index.best_window(words, width)
            if window and share >= 0.5:
                aligned = fuzz.partial_ratio(" ".join(tokens(title)), window)
                scored.append(("text", round(min(100.0 * share, aligned, TEXT_CAP), 1)))
            else:
                scored.append(("text", round(100.0 * share * 0.5, 1)))
        if not scored:  # an empty page: nothing carries the title
            scored = [("page", 0.0)]
        for where, score in scored:
            if best is None or score > best.score:
                best = TitleEvidence(score, raw, where)
    return best


def _passage_words(passage: str) -> list[str]:
    """A quoted passage's distinctive words, its ellipses not counted."""
    return distinctive(re.sub(r"\.\.\.|…", " ", passage))


def passage_key(passage: str) -> str:
    """A short, stable name for a passage (its first distinctive words): what a check
    reports missing and what the store matches against each citation's excerpt."""
    return " ".join(_passage_words(passage)[:12])


def usable_passage(passage: str | None) -> bool:
    return len(distinctive(passage or "")) >= 6


def passage_found(passage: str, index: TextIndex) -> bool:
    """Whether the page still carries the quoted passage: most of its distinctive words in
    one window of its length, in about that order (quotes, spacing, an ellipsis or a cut at
    either end do not matter)."""
    words = _passage_words(passage)[:40]
    if len(words) < 6:
        return True  # nothing to tell by
    width = max(12, len(tokens(passage)))
    share, window = index.best_window(words, width)
    if share < 0.8:
        return False
    head = " ".join(tokens(passage)[:40])
    return fuzz.partial_ratio(head, window) >= 80
