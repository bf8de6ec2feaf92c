"""Titles of cited works, as citation styles write them (pure).

CS1 and MLA put a title in quotes, APA and Harvard after the author's `(2008).`; a link's
text is a title unless it is a word like "here", "PDF" or "the original" (CS1's link to
the original address of an archived source).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_QUOTED = re.compile(r"[\"“«„]([^\"”»“]{3,300})[\"”»“]")
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
YEAR = re.compile(r"(?<!\d)(?:1[5-9]|20)\d{2}(?!\d)")
_QUOTES = "\"'“”„«»‘’"


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
    """Anchor text that can serve as a title ('here', 'PDF' or a bare URL cannot)."""
    t = text.strip(" []().").lower()
    wide = sum(1 for ch in t if ord(ch) > 0x2E80)  # CJK: two characters make a word
    return (
        len(t) + wide >= 4
        and t not in _GENERIC_ANCHORS
        and not t.startswith(("http://", "https://"))
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
