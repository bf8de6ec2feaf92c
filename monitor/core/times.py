"""Time as monitor writes and reads it: one style in every JSON output, one Wayback parser.

Every JSON output (check results, reports, status, exports) writes a moment as RFC 3339 in
UTC with a `Z` suffix (`2026-12-02T08:12:32Z`; microseconds kept when there are any) and a
day as `YYYY-MM-DD`. Readers get the same shape from every command, and
`datetime.fromisoformat` reads it back (Python 3.11+).
"""

from __future__ import annotations

import datetime as dt

# a Wayback timestamp's missing tail: January, the 1st, midnight (year 0000 never survives)
_WAYBACK_FILL = "00000101000000"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(when: dt.datetime) -> dt.datetime:
    """`when` with its zone: a naive value is UTC everywhere in monitor (SQLite hands them
    back naive; models.py)."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def iso(when: dt.datetime | dt.date | None) -> str | None:
    """A moment in UTC with `Z`, a day as YYYY-MM-DD, None as None."""
    if when is None:
        return None
    if isinstance(when, dt.datetime):
        return as_utc(when).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return when.isoformat()


def wayback_time(timestamp: str | None) -> dt.datetime | None:
    """A Wayback timestamp (`YYYYMMDDhhmmss`, possibly shortened) as a UTC datetime.

    Archives and people shorten it: `2011` is 1 January 2011, `201103` 1 March 2011, a
    missing time is midnight. None when it is not a timestamp at all (no digits, month 13).
    """
    if not timestamp:
        return None
    digits = timestamp[:14]
    if not digits.isdigit() or len(digits) < 4:
        return None
    padded = digits + _WAYBACK_FILL[len(digits) :]
    try:
        return dt.datetime.strptime(padded, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
