"""Which capture to offer (pure): InternetArchiveBot's rule. The anchor is the last date
the link was known good; among the good captures (status 200/203/206), the closest before
the end of the anchor day first (newest first), then the closest after it (oldest first).
Verification (`fallback.py`) then takes the first candidate whose replay carries the work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from monitor.core.results import Capture

if TYPE_CHECKING:
    from monitor.core.results import LookupTarget

GOOD_CAPTURE_STATUS = frozenset({200, 203, 206})


def order_candidates(captures: Iterable[Capture], anchor: dt.date) -> list[Capture]:
    """Good captures, closest before the end of the anchor day first, then closest after."""
    limit = dt.datetime.combine(anchor, dt.time.max, tzinfo=dt.UTC)
    seen: set[str] = set()
    good = []
    for c in captures:
        if c.status in GOOD_CAPTURE_STATUS and c.timestamp not in seen:
            seen.add(c.timestamp)
            good.append(c)
    before = sorted((c for c in good if c.captured_at <= limit), key=lambda c: c.timestamp)
    after = sorted((c for c in good if c.captured_at > limit), key=lambda c: c.timestamp)
    return list(reversed(before)) + after


def anchor_date(
    verified: dt.date | None, stamps: Sequence[tuple[dt.date, str]], first_seen: dt.date
) -> dt.date:
    """The last date the link was known good: our own newest verified access, else the
    newest page stamp (a year-only stamp means 1 July, a month-only one the 15th), else the
    date the citation was first ingested."""
    if verified:
        return verified
    dated = []
    for day, precision in stamps:
        if precision == "year":
            day = dt.date(day.year, 7, 1)
        elif precision == "month":
            day = dt.date(day.year, day.month, 15)
        dated.append(day)
    return max(dated) if dated else first_seen


def lookup_requests(targets: Iterable[LookupTarget]) -> list[tuple[str, dt.date, list[str]]]:
    """(url, anchor date, cited titles) for each link the store says needs a fallback."""
    return [(t.url, anchor_date(t.verified, t.stamps, t.first_seen), t.titles) for t in targets]
