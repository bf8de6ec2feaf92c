"""Markdown to HTML as a reader sees it (pure): the HTML the extractor reads for `.md` pages."""

from __future__ import annotations

import re

_WEB_TEXT = re.compile(r"^(?:https?://|ftp://|www\.)", re.IGNORECASE)


def markdown_to_html(text: str) -> str:
    """Markdown as a reader sees it. Bare addresses are links when they look like the web
    (`https://...`, `www....`), as GitHub shows them; linkify's fuzzy links ("awesome.md",
    "VB.NET" turned into http://awesome.md) are not."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"linkify": True, "html": False}).enable("linkify")
    tokens = md.parse(text)
    for block in tokens:
        children = block.children or []
        drop: set[int] = set()
        for n, tok in enumerate(children):
            if tok.type != "link_open" or tok.markup != "linkify":
                continue
            words = children[n + 1].content if n + 1 < len(children) else ""
            if not _WEB_TEXT.match(words):
                close = next(
                    (k for k in range(n + 1, len(children)) if children[k].type == "link_close"),
                    None,
                )
                drop.update({n, *([close] if close is not None else [])})
        if drop:
            block.children = [t for k, t in enumerate(children) if k not in drop]
    return md.renderer.render(tokens, md.options, {})
