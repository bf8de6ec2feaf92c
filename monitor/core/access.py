"""The product's headline rule, decided once: when a check earns a new verified access date
for a citation, and when the page's access stamp may be refreshed with it.

A careful maintainer writes "[accessed 7 June 2017]" only after reading the cited work at
the cited address. So:

1. Only a check that saw the work where it was cited verifies access: an `alive` verdict
   (`ACCESS_VERDICTS`). A moved page is offered as a new address first; every other
   verdict means the work was not read, and so does an `alive` that `check.accept` made
   of a refused status (a 403 accepted is a page nobody read).
2. A citation that quotes a passage earns the date only while the passage is on the page;
   the day it went missing is kept, and a later check that finds it again clears that.
   A 304 says the page is what it was at the last good check: a passage already gone
   stays gone, nothing new is learnt.
3. A stamp may be written when the URL's last verdict still verifies access and the
   citation's newest verified access is newer than its newest stamp (or it has none).

The store records verified accesses with `earned` (store/checks.py), the report lists the
stamps to refresh with the same condition as `stamp_due` (store/reports.py states it in
SQL, and tests/unit/test_access.py holds the two to the same answers), and patch writes
them with `stamp_due`.
"""

from __future__ import annotations

import datetime as dt
import enum

from monitor.core.evidence import passage_key
from monitor.core.verdict import Verdict

ACCESS_VERDICTS = frozenset({Verdict.ALIVE})


class Earned(enum.StrEnum):
    """What one check means for one citation of its URL."""

    ACCESS = "access"  # a verified access on the check's day
    PASSAGE_GONE = "passage_gone"  # the page is there, the quoted passage is not
    NOTHING = "nothing"  # no new fact about this citation


def access_day(checked_at: dt.datetime) -> dt.date:
    """The day a check verified access: its UTC date (one calendar for every server)."""
    return checked_at.astimezone(dt.UTC).date()


def earned(
    verdict: Verdict,
    *,
    excerpt: str | None,
    passages_missing: frozenset[str],
    unchanged: bool,
    passage_was_gone: bool,
    by_accept: bool = False,
) -> Earned:
    """What a check of a URL earns one citation of it (rules 1 and 2 above)."""
    if verdict not in ACCESS_VERDICTS or by_accept:
        return Earned.NOTHING
    if unchanged and passage_was_gone:
        return Earned.NOTHING  # the page as it was when its passage was found gone
    if excerpt and passages_missing and passage_key(excerpt) in passages_missing:
        return Earned.PASSAGE_GONE
    return Earned.ACCESS


def stamp_due(
    last_verdict: str | None, verified_on: dt.date | None, stamped_on: dt.date | None
) -> bool:
    """May the citation's stamp be refreshed? (rule 3 above)"""
    if last_verdict not in ACCESS_VERDICTS or verified_on is None:
        return False
    return stamped_on is None or stamped_on < verified_on
