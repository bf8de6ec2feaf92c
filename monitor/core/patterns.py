"""Regular expressions that are tried only where a match can begin.

Python's engine tries an alternation of many phrases at every position of a text, each
phrase in turn ("accessed|retrieved|consulted|..." at every letter of a citation line).
A pattern that starts with a look-ahead for the characters a match can begin with,
`(?=[arc...])`, is tried only where one of them stands, and finds exactly the same
matches. `first_chars` reads those characters from the pattern itself, so a phrase added
to a pattern can never be missed by its look-ahead.

`squash`, the white space of every text read (a page's, a citation's, a date's words), is
here too: one rule for what counts as white space, used by every stage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def squash(text: str) -> str:
    """Each run of white space as one space, none at the ends: what `re.sub(r"\\s+", " ",
    text).strip()` gives (str.split and re's \\s know the same white space), without a regex
    pass (str.split is C-fast; the substitution was slow on long texts and on every line
    of a large page: docs/performance.md, "Figures behind the code")."""
    return " ".join(text.split())


def first_chars(pattern: str) -> str | None:
    """The characters a match of `pattern` can begin with, read from the pattern as Python's
    own parser reads it; None when any character may, or the parser cannot tell us. A
    pattern prefixed with `(?=[those])` is tried only where one of them stands."""
    try:
        from re import _constants as op
        from re import _parser
    except ImportError:  # pragma: no cover - a Python that moved its parser
        return None

    def first(items: Any) -> tuple[set[int] | None, bool]:  # (characters, may be empty)
        out: set[int] = set()
        for code, av in items:
            if code is op.LITERAL:
                return out | {av}, False
            if code is op.IN:
                for kind, value in av:
                    if kind is op.LITERAL:
                        out.add(value)
                    elif kind is op.RANGE and value[1] - value[0] < 4096:
                        out.update(range(value[0], value[1] + 1))
                    else:
                        return None, False
                return out, False
            if code in (op.AT, op.ASSERT, op.ASSERT_NOT):
                continue  # takes no character
            if code is op.SUBPATTERN:
                got, empty = first(av[-1])
            elif code is op.BRANCH:
                got, empty = set(), False
                for alt in av[1]:
                    more, maybe = first(alt)
                    if more is None:
                        return None, False
                    got, empty = got | more, empty or maybe
            elif code in (op.MAX_REPEAT, op.MIN_REPEAT, op.POSSESSIVE_REPEAT):
                got, empty = first(av[2])
                empty = empty or av[0] == 0
            else:
                return None, False
            if got is None:
                return None, False
            out |= got
            if not empty:
                return out, False
        return out, True

    try:
        chars, empty = first(_parser.parse(pattern))
    except Exception:  # an optimisation: without it, the plain pattern
        return None
    return None if chars is None or empty else "".join(sorted(map(chr, chars)))


def quick(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`pattern` compiled behind a look-ahead for the characters its matches begin with
    (`first_chars`); the same matches, found sooner. Under IGNORECASE the look-ahead is
    case-insensitive too."""
    starts = first_chars(pattern)
    ahead = f"(?=[{re.escape(starts)}])" if starts else ""
    return re.compile(f"{ahead}(?:{pattern})", flags)


def occurrences(text: str, needle: str) -> Iterator[int]:
    """Where `needle` stands in `text`, left to right, not overlapping: what
    `re.finditer(re.escape(needle), text)` finds, without a pattern compiled per needle (a
    needle per citation filled `re`'s cache, and each was compiled to be used once).
    Nothing for an empty needle."""
    at = text.find(needle) if needle else -1
    while at != -1:
        yield at
        at = text.find(needle, at + len(needle))
