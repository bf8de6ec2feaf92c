"""URLs written as text (pure): found in a line, put back together when a line break cut
them, and the words that introduce them ("Available at:", "Retrieved from") told apart
from a reference's title.

A URL may be written without its scheme: MLA 8 drops `https://` ("www.warmuseum.ca/
collections/artifact/1016905/", "school.eb.com/levels/high/article/..."), German references
write "Abgerufen von www.zfdg.de/...". Such a one is a link to `https://` what is written
(the written form kept as the link's text): a name starting `www.`, or a host under a
known top-level domain followed by a path, so "e.g." or "config.toml" are never links.
"""

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


_TLDS = (
    "com|org|net|edu|gov|int|mil|info|biz|io|co|ai|app|dev|me|tv|us|uk|ca|au|nz|ie|de|at|ch|"
    "fr|be|nl|lu|it|es|pt|br|mx|ar|cl|pl|cz|sk|hu|ro|ru|ua|by|kz|cn|jp|kr|tw|hk|in|sg|se|no|"
    "dk|fi|is|ee|lv|lt|gr|tr|il|za|eu|asia|museum|news|online|blog|wiki|science"
)
SCHEMELESS = re.compile(
    r"(?<![\w@/.:\-])(?:www\d?\.[a-z0-9\-]+(?:\.[a-z0-9\-]+)+(?:/[^\s<>\[\]\"'`]*)?"
    r"|[a-z0-9][a-z0-9\-]*(?:\.[a-z0-9\-]+)*\.(?:" + _TLDS + r")/[^\s<>\[\]\"'`]*)",
    re.IGNORECASE,
)


def text_urls(text: str) -> list[tuple[str, str]]:
    """(address, as written) of each URL written in `text`, in order: one with a scheme as
    it is, a scheme-less one as `https://` what is written."""
    found = []
    for m in _BARE_URL.finditer(text):
        written = m.group(0).rstrip(".,;:!?)")
        found.append((m.start(), written, written))
    taken = [(start, start + len(w)) for start, _, w in found]
    for m in SCHEMELESS.finditer(text):
        if not any(a <= m.start() < b for a, b in taken):
            written = m.group(0).rstrip(".,;:!?)")
            found.append((m.start(), "https://" + written, written))
    return [(href, written) for _, href, written in sorted(found)]


def written_out(href: str, text: str) -> bool:
    """Is a link's text its own address written out (with or without its scheme)?"""
    t = text.strip().lower()
    return t.startswith(("http://", "https://")) or (bool(t) and href.lower() == "https://" + t)
