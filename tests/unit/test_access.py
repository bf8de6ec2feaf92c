"""The access rule (core/access.py): what a check earns a citation, when a stamp may be
refreshed, and the store's SQL saying the same thing as the Python rule."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from monitor.core.access import ACCESS_VERDICTS, Earned, access_day, earned, stamp_due
from monitor.core.evidence import passage_key
from monitor.core.verdict import Verdict
from monitor.store import open_store
from monitor.store.models import Citation, Document, Url

PASSAGE = "the committee found that the shelters had been closed since the spring floods"


@pytest.mark.parametrize("verdict", list(Verdict))
def test_only_an_alive_check_earns_access(verdict: Verdict) -> None:
    got = earned(verdict, excerpt=None, passages_missing=frozenset(), unchanged=False,
                 passage_was_gone=False)  # fmt: skip
    assert got is (Earned.ACCESS if verdict is Verdict.ALIVE else Earned.NOTHING)
    assert (verdict in ACCESS_VERDICTS) == (verdict is Verdict.ALIVE)


def test_a_quoted_passage_gone_earns_no_date_and_is_said_gone() -> None:
    missing = frozenset({passage_key(PASSAGE)})
    assert earned(Verdict.ALIVE, excerpt=PASSAGE, passages_missing=missing, unchanged=False,
                  passage_was_gone=False) is Earned.PASSAGE_GONE  # fmt: skip
    # another citation of the same URL quoting nothing still earns the date
    assert earned(Verdict.ALIVE, excerpt=None, passages_missing=missing, unchanged=False,
                  passage_was_gone=False) is Earned.ACCESS  # fmt: skip


def test_a_304_learns_nothing_about_a_passage_already_gone() -> None:
    args = {"excerpt": PASSAGE, "passages_missing": frozenset(), "unchanged": True}
    assert earned(Verdict.ALIVE, passage_was_gone=True, **args) is Earned.NOTHING
    assert earned(Verdict.ALIVE, passage_was_gone=False, **args) is Earned.ACCESS


def test_the_access_day_is_the_utc_day() -> None:
    late = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert access_day(late) == dt.date(2026, 12, 7)


D1, D2 = dt.date(2020, 1, 1), dt.date(2026, 12, 1)
VERDICTS = [None, *(v.value for v in Verdict)]
DAYS = [None, D1, D2]


def test_stamp_due_by_hand() -> None:
    assert stamp_due("alive", D2, D1) and stamp_due("alive", D2, None)
    assert not stamp_due("alive", D1, D2) and not stamp_due("alive", D1, D1)
    assert not stamp_due("dead", D2, D1) and not stamp_due("moved", D2, None)
    assert not stamp_due("alive", None, None) and not stamp_due(None, D2, D1)


def test_the_store_lists_exactly_the_stamps_the_rule_allows() -> None:
    """Every combination of last verdict, newest verified access and newest stamp: the
    report's refresh list (SQL) and patch's test (Python) agree citation by citation."""
    store = open_store("sqlite://")
    cases = list(itertools.product(VERDICTS, DAYS, DAYS))
    with store.db.session() as s:
        doc = Document(source="/p.html", kind="file", format="html")
        s.add(doc)
        s.flush()
        for n, (verdict, verified, stamped) in enumerate(cases):
            u = Url(url=f"https://example.org/{n}", host="example.org", last_verdict=verdict)
            s.add(u)
            s.flush()
            s.add(Citation(document_id=doc.id, url_id=u.id, key=str(n), position=n,
                           verified_on=verified, stamped_on=stamped))  # fmt: skip
        s.commit()
    total, rows = store.reports.refreshable(limit=10_000)
    listed = {c.position for c, _, _, _ in rows}
    expected = {n for n, case in enumerate(cases) if stamp_due(*case)}
    assert listed == expected and total == len(expected) > 0
    store.close()
