"""Markdown to HTML as a reader sees it (pure): the HTML the extractor reads for `.md` pages."""

from __future__ import annotations

import re

_WEB_TEXT = re.compile(r"^(?:https?://|ftp://|www\.)", re.IGNORECASE)


# a footnote's definition ("[^1]: Smith, ...", GitHub and pandoc Markdown): a block of its
# own, as those renderers show it, even when the definitions stand on consecutive lines
_FOOTNOTE = re.compile(r"(?m)^(?=\[\^[^\]\s]+\]:)")


def markdown_to_html(text: str) -> str:
    """Markdown as a reader sees it. Bare addresses are links when they look like the web
    (`https://...`, `www....`; a scheme-less one is `https://` what is written), as GitHub
    shows them; linkify's fuzzy links ("awesome.md", "VB.NET" turned into
    http://awesome.md) are not. HTML written in the Markdown (a Zotero bibliography pasted
    in, `<div class="csl-entry">`) is read as HTML; footnote definitions are blocks."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"linkify": True, "html": True}).enable("linkify")
    tokens = md.parse(_FOOTNOTE.sub("\n", text))
    for block in tokens:
        children = block.children or []
        drop: set[int] = set()
        for n, tok in enumerate(children):
            if tok.type != "link_open" or tok.markup != "linkify":
                continue
            words = children[n + 1].content if n + 1 < len(children) else ""
            if _WEB_TEXT.match(words) and not words.lower().startswith(("http", "ftp")):
                tok.attrSet("href", "https://" + words)  # written without its scheme
            if not _WEB_TEXT.match(words):
                close = next(
                    (k for k in range(n + 1, len(children)) if children[k].type == "link_close"),
                    None,
                )
                drop.update({n, *([close] if close is not None else [])})
        if drop:
            block.children = [t for k, t in enumerate(children) if k not in drop]
    return md.renderer.render(tokens, md.options, {})
