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
from difflib import SequenceMatcher

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
    "pdf html home page online official website here link click read more download view",
)
STOPWORDS = frozenset(w for line in _STOP for w in line.split())
_GENERIC = frozenset(_STOP[-1].split())  # words that never name a work, even alone
EXACT = 95.0  # a title field this alike is the cited title itself
TEXT_CAP = 90.0  # the text carrying a title says less than a title field carrying it


# Chinese, Japanese and Korean scripts write no spaces between words: a run of their
# characters is read as its overlapping character pairs (bigrams), as full-text search
# engines do for CJK, so "过滤器、拦截器" is compared pair by pair, not as one long "word"
_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_HAS_CJK = re.compile(f"[{_CJK}]")


def _split_cjk(word: str) -> list[str]:
    out: list[str] = []
    at = 0
    for m in _CJK_RUN.finditer(word):
        if m.start() > at:
            out.append(word[at : m.start()])
        run = m.group()
        out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        at = m.end()
    if at < len(word):
        out.append(word[at:])
    return out


def tokens(text: str | None) -> list[str]:
    """The words of a text in lower case; runs of CJK characters as character pairs."""
    low = (text or "").lower()
    words = _WORD.findall(low)
    if low.isascii() or not _HAS_CJK.search(low):
        return words
    return [t for w in words for t in (_split_cjk(w) if _HAS_CJK.search(w) else [w])]


def is_cjk(word: str) -> bool:
    return bool(_HAS_CJK.search(word))


_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7",
          "viii": "8", "ix": "9", "x": "10", "xi": "11", "xii": "12"}  # fmt: skip
# words after which a roman numeral is a number ("Part II", "Mk. I"), not a pronoun ("I")
_SERIES_WORDS = "part parts mk mark vol volume chapter book episode season phase act tome no"
_SERIES = frozenset(f"{_SERIES_WORDS} issue teil band parte partie tomo capitulo".split(" "))


def _numbers(words: Sequence[str] | Iterable[str]) -> set[str]:
    """The numbers among words ("1", "2011", "v2", "Part II"): parts, volumes, years,
    episodes."""
    out, before = set(), ""
    for w in words:
        if _DIGIT.search(w):
            out.add(w.lstrip("0") or "0")
        elif w in _ROMAN and before in _SERIES:
            out.add(_ROMAN[w])
        before = w
    return out


_DIGIT = re.compile(r"\d")


def numbers_disagree(title_words: Iterable[str], other_words: Iterable[str]) -> bool:
    """The other text names another number where the title names its own ("Part 1" against
    "Part 3", "2011" against "2012"): another work of the same series, whatever else they
    share. A text with no number at all does not disagree (a title field may leave a year
    out)."""
    mine = _numbers(title_words)
    if not mine:
        return False
    theirs = _numbers(other_words)
    return bool(theirs) and not mine <= theirs


@dataclass(frozen=True)
class PageFields:
    """What a page says about itself: title fields, site name, visible text."""

    title: str | None
    # (where, text): og:title, citation_title, dc.title, then the page's own headings ("h1"
    # for a main heading, "heading" for h2 and h3)
    fields: Sequence[tuple[str, str]]
    text: str
    site_names: Sequence[str] = ()  # og:site_name, the sibling's title segments, host words
    # the page's own text, without the site's navigation, sidebars and link text
    # (`pageread.PageFacts.own`): read only if the title is searched for in the text, and
    # then instead of `text`, which is all the page's words
    own: Callable[[], str] | None = None


@dataclass(frozen=True)
class TitleEvidence:
    score: float  # 0-100
    title: str  # the cited title that matched best
    where: str  # "title", "og:title", "citation_title", "dc.title", "h1", "heading", "text"
    words: int = 0  # how many words tell that title from others (two or fewer: a generic one)


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


DIFFERENT_NUMBER = 40.0  # the most a field or window naming another number scores


def _field_score(title: str, words: list[str], field: str) -> float:
    """How well one title field carries the title: its distinctive words, about as many,
    and no other number in place of the title's. A field of several parts ("Title | Docs
    v2 | Site") is also read part by part: a part that is the title carries it, whatever
    the other parts name."""
    best = _one_field_score(title, words, field)
    parts = [p for p in TITLE_PARTS.split(field) if p.strip()]
    if best < 100.0 and len(parts) > 1:
        best = max([best, *(_one_field_score(title, words, p) for p in parts)])
    return best


def _one_field_score(title: str, words: list[str], field: str) -> float:
    seen = tokens(field)
    have = set(seen)
    if not words or not have:
        return 0.0
    covered = sum(w in have for w in words) / len(words)
    t, f = " ".join(tokens(title)), " ".join(seen)
    alike = max(fuzz.ratio(t, f), fuzz.token_sort_ratio(t, f))
    if covered >= 0.999 and len(f) <= 2.5 * len(t):
        alike = max(alike, fuzz.token_set_ratio(t, f))  # "Title: a subtitle" still counts
    score = round(min(100.0 * covered, alike), 1)
    if numbers_disagree(words, seen) or (covered < 0.999 and _substituted(words, seen)):
        score = min(score, DIFFERENT_NUMBER)
    return score


def _substituted(words: list[str], field: list[str], window: bool = False) -> bool:
    """Does the field put other words in place of some of the title's, words nothing like
    them ("Migrating a MySQL Database" -> "Migrating a SQLite database", "Goのインストール"
    -> "gRPCのインストール")? The same template naming another work. A word spelt
    otherwise ("Kazak" -> "Kazakh") or inflected ("slaves" -> "slavery") is no other work."""
    theirs = [w for w in field if w not in STOPWORDS]
    mine = set(words)
    for op, i1, i2, j1, j2 in SequenceMatcher(None, words, theirs, autojunk=False).get_opcodes():
        if op != "replace":
            continue
        if not window and i2 == len(words) and j2 == len(theirs) and i2 - i1 != j2 - j1:
            continue  # the ends differ in length: a publisher or a subtitle, not a swap
        # what stands in the title's place: as many words as it lost, and one more
        gone = words[i1:i2]
        instead = [w for w in theirs[j1 : min(j2, j1 + len(gone) + 1)] if w not in mine]
        if instead and all(fuzz.ratio(a, b) < 60 for a in gone for b in instead):
            return True
    return False


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
        latin = [w for w in wanted if not is_cjk(w)]
        cjk = [w for w in wanted if is_cjk(w)]
        words_re = r"\b(?:" + "|".join(map(re.escape, latin)) + r")\b" if latin else ""
        if not cjk:
            for m in re.finditer(words_re, self.low):
                out[m.group()].append(m.start())
            return out
        # a CJK pair stands anywhere in a run of CJK characters, and pairs overlap ("过滤"
        # and "滤器" in "过滤器"): found by a lookahead, which consumes nothing
        pairs = "|".join(map(re.escape, cjk))
        for m in re.finditer(f"(?=({words_re}|{pairs}))" if latin else f"(?=({pairs}))", self.low):
            out[m.group(1)].append(m.start())
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


def _site_part(cited: str, page: PageFields) -> list[str]:
    """The part of a cited title that names the site, when the page says so: the first or
    last part of "Title – Site" that is also a whole part of the page's `<title>` (or its
    `og:site_name`), the title having another part. A site whose every page is titled just
    "Cottage Labs" is then not missing "Bespoke Development – Cottage Labs"."""
    parts = [p.strip() for p in TITLE_PARTS.split(cited) if p.strip()]
    if len(parts) < 2:
        return []
    page_parts = [" ".join(tokens(p)) for p in TITLE_PARTS.split(page.title or "") if p.strip()]
    theirs = {*page_parts, *(" ".join(tokens(n)) for n in page.site_names)}
    # "Title – Site" most often; "Site | Title" only where the page's title has parts too
    # (a page titled just "Title" does not make the cited title's own words the site's)
    ends = (parts[-1], parts[0]) if len(page_parts) > 1 or page.site_names else (parts[-1],)
    return [p for p in ends if " ".join(tokens(p)) in theirs][:1]


SHORT_CAP = 50.0  # the most a field scores for a short title it is not


def _short(title: str, words: list[str]) -> bool:
    """A title too short to be told by its words anywhere but in a title field: one
    distinctive word ("Storage", "About us"), or up to four CJK characters ("前提条件")."""
    if len(words) < 2:
        return True
    cjk_chars = sum(len(run) for run in _CJK_RUN.findall(title))
    return all(is_cjk(w) for w in words) and cjk_chars <= 4


# a chapter's or section's number before its title: "7 Abstraction", "2.3. Setup"
_SECTION_NUMBER = re.compile(r"^(?:chapter\s+|part\s+|§\s*)?\d+(?:\.\d+)*\.?\s+", re.I)
# where a short title may stand: the page's own title fields, not a section's heading
SHORT_FIELDS = frozenset({"title", "og:title", "citation_title", "dc.title", "h1"})


def _short_score(title: str, field: str) -> float:
    """A short title is found only as a field or a part of one, all of it, a chapter's
    number before it aside: "Storage" in "Storage – Docs" or "7 Storage", not "Architecture"
    in "Android: Architecture"."""
    want = tokens(title)
    parts = [field, *(p for p in TITLE_PARTS.split(field) if p.strip())]
    if any(tokens(_SECTION_NUMBER.sub("", p.strip())) == want for p in parts):
        return 100.0
    return round(min(SHORT_CAP, fuzz.ratio(" ".join(want), " ".join(tokens(field)))), 1)


def _title_site(page: PageFields) -> list[str]:
    """The parts of the page's `<title>` that are the site's, as the page itself tells:
    when its first part is the page's own title (its `og:title` or a main heading says the
    same), the others name the site, the book or the section ("AI에게 코드 요청하기 – 챗GPT
    코딩2" under the heading "AI에게 코드 요청하기")."""
    parts = [p.strip() for p in TITLE_PARTS.split(page.title or "") if p.strip()]
    if len(parts) < 2:
        return []
    own = [
        " ".join(tokens(_SECTION_NUMBER.sub("", text)))
        for where, text in page.fields
        if where in ("og:title", "h1")
    ]
    first = " ".join(tokens(_SECTION_NUMBER.sub("", parts[0])))
    # the page's part comes first ("Page – Site"): a site whose name is also a heading
    # (a book's title over its menu) makes a later part match, and tells nothing
    return parts[1:] if first and first in own else []


def title_evidence(
    cited: Iterable[str], page: PageFields, index: TextIndex | None = None
) -> TitleEvidence | None:
    """Best evidence that any cited title is on the page; None when no title is usable
    (no distinctive word: "[PDF]", "Home"). A title of one distinctive word ("Storage") is
    looked for in the page's own title fields only: any page's text has any one word."""
    best: TitleEvidence | None = None
    fields = [("title", page.title)] if page.title else []
    fields += [(where, text) for where, text in page.fields if text]
    stripped: dict[tuple[int, tuple[str, ...]], str] = {}
    site = (*page.site_names, *_title_site(page))
    for raw in cited:
        if best is not None and best.score >= 100.0:
            break  # nothing scores higher, and a tie keeps the first
        names = (*site, *_site_part(raw, page))
        title = strip_site(raw, names)
        words = distinctive(title, names)
        short = _short(title, words)
        if len(words) < 2:  # "About us": its every word tells it from "Contact us"
            words = [w for w in dict.fromkeys(tokens(title)) if w not in _GENERIC] or words
        if not words:
            continue
        scored = []
        for k, (where, text) in enumerate(fields):  # in the order they are trusted
            if (k, names) not in stripped:
                stripped[k, names] = strip_site(text, names)
            field = stripped[k, names]
            if not short:
                scored.append((where, _field_score(title, words, field)))
            elif where in SHORT_FIELDS:
                scored.append((where, _short_score(title, field)))
            else:
                continue
            if scored[-1][1] >= 100.0:
                break  # the fields after it could only tie, and a tie keeps the first
        # the text's evidence is capped at TEXT_CAP: when a title field says as much, the
        # text cannot change the answer, and its search is skipped
        # a title field naming the same title with another number ("Helm Part 3" for "Helm
        # Part 1") says this is another work of the series: no text can say otherwise
        numbers = _numbers(words)
        other_part = bool(numbers) and any(
            numbers_disagree(words, tokens(text))
            and {w for w in words if not _numbers([w])} <= set(tokens(text))
            for _, text in fields
        )  # fmt: skip
        text_worth = (
            not short and not other_part and max((sc for _, sc in scored), default=0.0) < TEXT_CAP
        )
        if page.text and text_worth:
            index = index or TextIndex(page.own() if page.own else page.text)
            width = max(8, 2 * len(tokens(title)))
            share, window = index.best_window(words, width)
            if window and share >= 0.5:
                aligned = fuzz.partial_ratio(" ".join(tokens(title)), window)
                found = min(100.0 * share, aligned, TEXT_CAP)
                near = window.split()
                other = share < 1 and _substituted(words, near, window=True)
                if numbers - _numbers(near) or other:
                    found = min(found, DIFFERENT_NUMBER)  # "Helm" and "part", but not "1"
                scored.append(("text", round(found, 1)))
            else:
                scored.append(("text", round(100.0 * share * 0.5, 1)))
        if not scored:  # an empty page: nothing carries the title
            scored = [("page", 0.0)]
        for where, score in scored:
            if best is None or score > best.score:
                best = TitleEvidence(score, raw, where, len(words))
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
