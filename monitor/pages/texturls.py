"""URLs written as text (pure): found in a line, put back together when a line break cut
them, and the words that introduce them ("Available at:", "Retrieved from") told apart
from a reference's title."""

from __future__ import annotations

import re

_BARE_URL = re.compile(r"https?://(?:\[[0-9A-Fa-f:.]+\])?[^\s<>\[\]\"'`]*", re.IGNORECASE)
# a URL written as text and broken at a line end: inside <...> (MLA), or after a "/", "-",
# "_", "=", "?", "&" or "." when what follows on the next line looks like more of a path
_BROKEN_IN_BRACKETS = re.compile(r"(<\s*(?:https?:)?//[^<>\s]*)[ \t]*\r?\n\s*(?=[^<>\s]*>)", re.I)
_BROKEN_BARE = re.compile(
    r"((?:https?:)?//[^\s<>\[\]\"'`]*[/\-_=?&.])[ \t]*\r?\n[ \t]*"
    r"(?=[\w%~.\-?=&#+]*[/._=-][\w%~/.\-?=&#+]*(?:[\s,;)]|$))",
    re.I,
)


def join_broken_urls(text: str) -> str:
    """A URL written as text over two lines, put back together (it is one address to a
    reader): `<http://iwpr.net/report-news/kazak-women-sold-` / `as-sex-slaves>`."""
    if "\n" not in text or "//" not in text:
        return text
    for _ in range(5):  # a very long URL may be broken more than once
        joined = _BROKEN_BARE.sub(r"\1", _BROKEN_IN_BRACKETS.sub(r"\1", text))
        if joined == text:
            break
        text = joined
    return text


URL_LEAD = re.compile(
    r"<\s*>|\b(?:available\s+(?:at|from)|retrieved\s+from|url|online)\s*:?\s*(?=[\s.,;(]|$)",
    re.IGNORECASE,
)


def text_urls(text: str) -> list[str]:
    return [m.group(0).rstrip(".,;:!?)") for m in _BARE_URL.finditer(text)]
