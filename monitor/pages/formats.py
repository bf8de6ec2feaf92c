"""The input formats, in one table: the file suffixes that name each (and that a directory's
page files are found by), how a file's format is told when its suffix does not say, and how
a patched page writes an archive note in that format's own syntax.

A new input format is a reader (`extract.READERS`) and one row here; ingest, the command
line's `--format` choices and patch read this table. A suffix that several kinds of file
share (`.php`, `.asp`: a saved page or a program) names no format: the content decides.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class InputFormat:
    """One way a citation page is written."""

    name: str  # as stored (`Document.format`) and typed (`monitor ingest --format NAME`)
    suffixes: tuple[str, ...]  # lower case, with the dot
    # an archive note after a citation: (sentence, archive URL, the page's newline) -> text
    note: Callable[[str, str, str], str]


def _html_note(text: str, url: str, nl: str) -> str:
    return f' <br>{text} <a href="{html.escape(url)}">[here]</a>'


def _markdown_note(text: str, url: str, nl: str) -> str:
    return f"  {nl}{text} [here]({url})"  # two spaces: a line break inside the item


def _text_note(text: str, url: str, nl: str) -> str:
    return f"{nl}{text} [here] {url}"


FORMATS: dict[str, InputFormat] = {
    f.name: f
    for f in (
        InputFormat("html", (".html", ".htm", ".xhtml", ".shtml"), _html_note),
        InputFormat("markdown", (".md", ".markdown", ".mdown"), _markdown_note),
        InputFormat("rst", (".rst", ".rest"), _text_note),
        InputFormat("text", (".txt", ".text"), _text_note),
        InputFormat("urls", (".urls", ".list"), _text_note),
    )
}
NAMES = tuple(FORMATS)
# the files a directory is searched for: every format's suffixes
PAGE_SUFFIXES = frozenset(s for f in FORMATS.values() for s in f.suffixes)

# reStructuredText's explicit markup: footnotes, targets, directives ("..  note::")
_RST_DIRECTIVE = re.compile(r"(?m)^\.\.\s+(?:\[[^\]\s]+\]|_[^:\n]*:|[a-z][\w\-]*::)")
_URL_LINE = re.compile(r"^\s*https?://\S+(\s.*)?$", re.IGNORECASE)


def detect_format(name: str | None, text: str) -> str:
    """html | markdown | rst | text | urls: an HTML, Markdown or reStructuredText suffix
    says so; otherwise the content decides (markup, a list of URLs, reStructuredText's
    explicit markup, Markdown links or headings), a text suffix only keeping a `# ` line
    from making a page Markdown."""
    suffix = PurePath(name).suffix.lower() if name else ""
    for fmt in ("html", "markdown", "rst"):
        if suffix in FORMATS[fmt].suffixes:
            return fmt
    head = text[:4096].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) or re.search(
        r"<(a\s+href|p|div|body|table|li)[\s>]", head
    ):
        return "html"
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and sum(bool(_URL_LINE.match(ln)) for ln in lines) >= 0.8 * len(lines):
        return "urls"
    if len(_RST_DIRECTIVE.findall(text)) >= 2:
        return "rst"
    md_link = re.search(r"\[[^\]]+\]\((?:https?:)?//", text)
    if suffix in FORMATS["text"].suffixes:  # a `# ` line alone does not make a text file Markdown
        return "markdown" if md_link else "text"
    if md_link or re.search(r"(?m)^#{1,6} \S", text):
        return "markdown"
    return "text"
