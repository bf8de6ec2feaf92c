"""Access stamps: find "[accessed 16 February 2011]" and its wild relatives, parse to dates.

Pure functions, no I/O. A regex finds the access *phrase* and cuts out the date words;
python-dateutil parses those words strictly (never `fuzzy=True`, which silently turned
"[accessed 16 February 2011]" into 1900-02-16); parsing twice with two different defaults
tells which parts the stamp really gave, so "[accessed 2009]" is stored as the year 2009,
not as 1 January 2009.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from dataclasses import dataclass

from dateutil import parser as dateparser


class Precision(enum.StrEnum):
    """How much of a date a stamp gave."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"
    """A known unknown, e.g. "[Last access date unavailable]"."""


@dataclass(frozen=True, slots=True)
class AccessStamp:
    """One access stamp as written on the page, with the date it means."""

    raw: str
    date: dt.date | None
    precision: Precision
    start: int = 0  # offsets in the line it came from, so callers can cut it out
    end: int = 0

    def as_dict(self) -> dict[str, str | None]:
        return {
            "raw": self.raw,
            "date": self.date.isoformat() if self.date else None,
            "precision": self.precision.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, str | None]) -> AccessStamp:
        date = dt.date.fromisoformat(d["date"]) if d.get("date") else None
        return cls(raw=d.get("raw") or "", date=date, precision=Precision(d["precision"]))

    def display(self) -> str:
        """The date at its own precision: '2011-02-16', '2008-03', '2009', 'unknown'."""
        if self.date is None:
            return "unknown"
        if self.precision is Precision.YEAR:
            return f"{self.date.year}"
        if self.precision is Precision.MONTH:
            return f"{self.date.year}-{self.date.month:02d}"
        return self.date.isoformat()


_KEYWORD = (
    r"(?:last\s+accessed|last\s+visited|last\s+checked|date\s+accessed|accessed\s+on|"
    r"accessed|retrieved(?:\s+on)?|viewed(?:\s+on)?|consulted(?:\s+on)?|visited(?:\s+on)?|"
    r"web\.|дата\s+обращения|просмотрено)"
)
# keyword, then up to 40 date characters ending in a 4-digit year (optionally ISO -MM-DD).
_STAMP = re.compile(
    r"(?P<open>\[\s*)?"
    r"(?P<kw>" + _KEYWORD + r")\s*[:\-–]?\s*"
    r"(?P<date>[^\[\]\n;()]{0,40}?(?<!\d)\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)(?!\d)"
    r"(?P<close>\s*\])?",
    re.IGNORECASE,
)
_UNKNOWN = re.compile(
    r"\[?\s*(?:last\s+)?access(?:ed)?\s+date\s+(?:unavailable|unknown|not\s+available)\s*\]?",
    re.IGNORECASE,
)
_YEAR_ONLY = re.compile(r"^\s*(\d{4})\s*$")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
_SEPT = re.compile(r"\bsept\b", re.IGNORECASE)

# Two defaults that differ in every field: a field that comes back different was not given.
_DEFAULT_A = dt.datetime(2000, 1, 1)
_DEFAULT_B = dt.datetime(2001, 2, 2)


@functools.lru_cache(maxsize=8192)
def parse_date_words(words: str) -> tuple[dt.date, Precision] | None:
    """Parse the date part of a stamp ('16 February 2011', 'Sept. 9, 2009', '2009').

    Cached: a page stamps hundreds of citations with the same few dates, and dateutil
    costs ~0.1 ms a parse (two parses each); a 100,000-link page spent 40 s here."""
    text = words.strip().strip(",.").strip()
    if not text:
        return None
    m = _YEAR_ONLY.match(text)
    if m:
        year = int(m.group(1))
        return (dt.date(year, 1, 1), Precision.YEAR) if 1900 <= year <= 2100 else None
    text = _ORDINAL.sub(r"\1", text)
    if not re.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?", text):
        text = text.replace(".", " ")
    text = _SEPT.sub("Sep", text)
    text = re.sub(r"\s+", " ", text).strip(" ,")
    try:
        a = dateparser.parse(text, default=_DEFAULT_A)
        b = dateparser.parse(text, default=_DEFAULT_B)
    except (ValueError, OverflowError):
        return None
    if a is None or b is None or a.year != b.year or not 1900 <= a.year <= 2100:
        return None
    if a.month != b.month:
        return dt.date(a.year, 1, 1), Precision.YEAR
    if a.day != b.day:
        return dt.date(a.year, a.month, 1), Precision.MONTH
    return a.date(), Precision.DAY


def find_stamps(text: str) -> list[AccessStamp]:
    """Every access stamp in `text`, in order of appearance."""
    found: list[AccessStamp] = []
    for m in _UNKNOWN.finditer(text):
        found.append(AccessStamp(m.group(0).strip(), None, Precision.UNKNOWN, m.start(), m.end()))
    for m in _STAMP.finditer(text):
        if any(s.start <= m.start() < s.end for s in found):
            continue
        parsed = parse_date_words(m.group("date"))
        if parsed is None:
            continue
        date, precision = parsed
        found.append(AccessStamp(m.group(0).strip(), date, precision, m.start(), m.end()))
    found.sort(key=lambda s: s.start)
    return found


def strip_stamps(text: str, stamps: list[AccessStamp]) -> str:
    """`text` with the stamps cut out and the leftover punctuation tidied."""
    out, pos = [], 0
    for s in stamps:
        out.append(text[pos : s.start])
        pos = s.end
    out.append(text[pos:])
    rest = re.sub(r"\s+", " ", "".join(out)).strip()
    return rest.strip(" ,;-–").strip()


def newest(stamps: list[AccessStamp]) -> AccessStamp | None:
    """The stamp with the latest date (undated stamps never win)."""
    dated = [s for s in stamps if s.date is not None]
    return max(dated, key=lambda s: s.date) if dated else None  # type: ignore[arg-type,return-value]


def format_stamp(date: dt.date, like: str | None = None) -> str:
    """A new stamp for `date` in the style of an existing one (default: the seed page's)."""
    if like and re.search(r"retrieved", like, re.IGNORECASE):
        return f"Retrieved {date.strftime('%B')} {date.day}, {date.year}"
    if like and re.search(r"\d{4}-\d{2}-\d{2}", like):
        return f"accessed {date.isoformat()}"
    return f"[accessed {date.day} {date.strftime('%B')} {date.year}]"
