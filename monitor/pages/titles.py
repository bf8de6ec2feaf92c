"""Titles of cited works, as citation styles write them (pure).

CS1 and MLA put a title in quotes, APA and Harvard after the author's `(2008).`; a link's
text is a title unless it is a word like "here", "PDF" or "the original" (CS1's link to
the original address of an archived source).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from monitor.core.patterns import quick, squash

# a quoted title: three characters or more, or two letters ("Oi", "충돌", "概要")
_QUOTED = re.compile(r"[\"“«„]([^\"”»“]{3,300}|[^\W\d_]{2})[\"”»“]")
_AUTHOR_YEAR = re.compile(
    r"^[^()]{2,200}?\(\s*(?:(?:[^()]{0,20}\D)?(?:1[5-9]|20)\d{2}[a-z]?|n\.d\.)\s*\)\s*[.,:]\s*"
    r"(?P<t>[^.]{3,300})"
)


_GENERIC_ANCHORS = frozenset(
    [
        "here",
        "link",
        "this",
        "pdf",
        "html",
        "full",
        "text",
        "source",
        "click",
        "more",
        "read",
        "website",
        "web",
        "page",
        "url",
        "original",
        "the original",
        "archived",
        "archive",
        # the same words where CS1 writes them in other languages
        "оригинала",
        "оригинал",
        "архив",
        "原始内容",
        "原始內容",
        "存档",
        "存檔",
        "الأصل",
        "نسخة محفوظة",
        "archiviert",
        "archivlink",
    ]
)
# Links a reference carries beside its own (journal button rows, CS1 identifiers, "read
# online" in the languages of the stamps): their text is a label, never the work's title.
_BUTTONS = frozenset(
    label.strip()
    for label in """article|pubmed|pubmed central|pmc|pmc free article|free pmc article|
    google scholar|scholar|crossref|cas|chemport|medline|web of science|isi|scopus|
    view article|view at publisher|publisher site|pubmed/ncbi|ncbi|full text|full-text|
    fulltext|abstract|view|download|download pdf|get pdf|pdf|[pdf]|epub|doi|pmid|isbn|issn|
    oclc|bibcode|s2cid|hdl|arxiv|ssrn|jstor|europe pmc|semantic scholar|researchgate|ads|
    nasa ads|mathscinet|math reviews|zbmath|zentralblatt|ref|refs|cited|see|online|
    read online|read|lire en ligne|en ligne|présentation en ligne|online lesen|online|
    leer en línea|en línea|ler online|citește online|читать онлайн|онлайн|在线阅读|
    オンライン|""".replace("\n", "").split("|")
    if label.strip()
)
# identifiers and other labels written as link text: a DOI, a PMID, a bibcode, an ISBN,
# a bare host name, an author-date label ("Anderson, 2017a", "Björk et al. (2010)")
_IDENTIFIER_TEXT = re.compile(
    r"^(?:doi:?\s*)?10\.\d{4,9}/\S+$|^(?:pmid|pmc|isbn|issn|oclc|arxiv|hdl)?:?\s*[\dX\-]{5,}$"
    r"|^\d{4}[A-Za-z&.]{5}[\d.]{4}[A-Za-z.\d]{4,5}[A-Z]$"
    r"|^[\w'’\-]+(?:\s+(?:and|&)\s+[\w'’\-]+|\s+et\s+al\.?)?,?\s*\(?(?:1[5-9]|20)\d{2}[a-z]?\)?$"
    # an APA author-date as link text: "Bloch, M., & Corum, J. (2008, May 5)"
    r"|^[^()]{2,150},[^()]{0,150}\(\s*(?:1[5-9]|20)\d{2}[a-z]?(?:,[^()]{0,20})?\)\.?$",
    re.IGNORECASE,
)
# a host name as link text ("auto-motor-und-sport.de"): the site's name, or a title that is
# one ("Azerbaijan.msntour.az"), which the caller tells by where it stands
HOST_NAME = re.compile(r"^(?:www\.)?[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.[a-z]{2,}/?$", re.I)
YEAR = quick(r"(?<!\d)(?:1[5-9]|20)\d{2}(?!\d)")
_QUOTES = "\"'“”„«»‘’"
# several labels run together ("CrossrefMedlineGoogle Scholar", "1033439554 — lire en ligne")
_LABELS = "|".join(sorted(map(re.escape, _BUTTONS), key=len, reverse=True))
_BUTTON_RUN = re.compile(r"^(?:(?:" + _LABELS + r"|[\dX\-]{5,})[\s,;/|—–-]*){2,}$")


def unquote(text: str | None) -> str | None:
    """A title without the quote marks citation styles put around it (CS1, MLA)."""
    if not text:
        return None
    t = text.strip()
    core = t.rstrip(" .,;:")  # '"The Mozilla Manifesto". .': punctuation after the quote
    if len(core) > 2 and core[0] in _QUOTES and core[-1] in _QUOTES:
        t = core[1:-1].strip()
    return t or None


def meaningful_anchor(text: str) -> bool:
    """Anchor text that can serve as a title: not a word like 'here' or 'PDF', a button
    label ('Google Scholar', 'lire en ligne'), an identifier, a host name, an author-date
    label or a URL written out."""
    return _meaningful(squash(text).strip(" []().•").lower())


_DIGIT = re.compile(r"\d")


def _may_identify(t: str) -> bool:
    """False when `_IDENTIFIER_TEXT` cannot match `t`: each of its forms holds a digit but
    the run of X and hyphens that may end a number ("ISBN XXXXX"); a title's words, with
    no digit, are then not tried against every form (measured: docs/performance.md)."""
    return _DIGIT.search(t) is not None or t.rstrip("\n").endswith(("x", "X", "-"))


@lru_cache(maxsize=1024)
def _meaningful(t: str) -> bool:
    """`meaningful_anchor` of a squashed, trimmed, lower-cased text. Cached: a reference's
    link text is asked about several times as it is read, a button label on every line."""
    wide = 0 if t.isascii() else sum(1 for ch in t if ord(ch) > 0x2E80)  # CJK: 2 make a word
    return (
        len(t) + wide >= 3
        and t not in _GENERIC_ANCHORS
        and t not in _BUTTONS
        and not t.startswith(("http://", "https://", "doi:", "#"))
        and not (_may_identify(t) and _IDENTIFIER_TEXT.match(t))
        and not _BUTTON_RUN.match(t)
    )


def ref_title(text: str) -> str | None:
    """The title inside a whole reference: the quoted part, else the part after an
    `(Author) (2008).`, else its first sentence."""
    quoted = _QUOTED.findall(text)
    if quoted:  # the longest: an author's "nickname" comes before the title
        return max(quoted, key=len).strip(" ,.")
    m = _AUTHOR_YEAR.match(text)
    if m:
        return m.group("t").strip(" ,.")
    first = re.split(r"(?<=[^A-Z\s.][.!?])\s", text, maxsplit=1)[0]
    return first.strip(" ,.") or None


def page_heading(lines: Iterable[str]) -> str | None:
    """A text page's first line as its title when it is a heading's length; a first
    paragraph is not a title (the caller names the page by its file instead)."""
    first = next((ln for ln in lines if ln), None)
    return first if first and len(first) <= 100 else None
