"""The one way a page's HTML is parsed: refused first when its nesting is absurd, since
lexbor's time grows quadratically past a depth no person writes."""

from __future__ import annotations

import ctypes
import functools
import re
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser

from monitor.core.errors import ExtractError

# the deepest nesting read: lexbor's time grows quadratically beyond it (measured:
# docs/performance.md, "Figures behind the code")
MAX_DEPTH = 25_000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)([^>]*)>")
# elements that never nest (void) or that the parser closes by itself (p, li, td...)
_FLAT = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
    "thead", "tbody", "tfoot", "colgroup", "rt", "rp",
]  # fmt: skip
_FLAT_TAGS = frozenset(_FLAT + [t.upper() for t in _FLAT])


def nesting_depth(html: str, limit: int = MAX_DEPTH) -> int:
    """How deep the markup nests (stops counting past `limit`). Parsers spend quadratic
    time on absurd nesting (measured: docs/performance.md, "Figures behind the code")."""
    depth = deepest = 0
    for close, name, rest in _TAG.findall(html):
        if name in _FLAT_TAGS or rest.endswith("/"):
            continue
        if close:
            depth = depth - 1 if depth else 0
        else:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
    return deepest


def parse_html(html: str) -> LexborHTMLParser:
    """The parsed page, refused before parsing when its nesting is absurd. Every reader of
    an HTML page comes through here, so the guard cannot be passed by."""
    if (depth := nesting_depth(html)) > MAX_DEPTH:
        raise ExtractError(
            f"HTML nested more than {MAX_DEPTH:,} elements deep ({depth:,} and counting): "
            "not a page a person wrote, and too slow to parse; nothing was extracted"
        )
    tree = LexborHTMLParser(html)
    # the parser keeps the page's UTF-8 bytes for `clone()` alone, which no reader calls:
    # a whole page's size, held beside the tree it is several times smaller than
    tree.raw_html = b""
    return tree


# a page this long leaves enough freed parser memory behind to be worth handing back
BIG_PAGE = 1_000_000


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (AttributeError, OSError):  # not glibc (musl, macOS): nothing held back to trim
        return None


def give_back_memory() -> None:
    """Hand the memory of a freed parse tree back to the system. glibc keeps freed heap
    memory for the process to reuse, and lexbor's tree is several times the page: a large
    page's freed tree stayed resident through the rest of an ingest (measured:
    docs/performance.md, "Like with like")."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
