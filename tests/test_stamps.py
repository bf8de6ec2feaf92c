import datetime as dt

import pytest

from monitor.stamps import (
    Precision,
    find_stamps,
    format_stamp,
    newest,
    parse_date_words,
    strip_stamps,
)


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("[accessed 16 February 2011]", dt.date(2011, 2, 16), Precision.DAY),
        ("[accessed 11 February 2019", dt.date(2019, 2, 11), Precision.DAY),  # never closed
        ("[accessed 2009]", dt.date(2009, 1, 1), Precision.YEAR),
        ("Web. 9 Sept. 2009", dt.date(2009, 9, 9), Precision.DAY),
        ("Retrieved July 7, 2004", dt.date(2004, 7, 7), Precision.DAY),
        ("accessed 2011-02-16", dt.date(2011, 2, 16), Precision.DAY),
        ("retrieved March 2008", dt.date(2008, 3, 1), Precision.MONTH),
        ("Accessed: 12 Jan. 2010", dt.date(2010, 1, 12), Precision.DAY),
        ("(accessed on 3rd May 2015)", dt.date(2015, 5, 3), Precision.DAY),
        ("Retrieved on 2 February 2020", dt.date(2020, 2, 2), Precision.DAY),
        ("[дата обращения 16 February 2011]", dt.date(2011, 2, 16), Precision.DAY),
    ],
)
def test_stamp_forms(text: str, date: dt.date, precision: Precision) -> None:
    (s,) = find_stamps(text)
    assert s.date == date
    assert s.precision is precision


def test_known_unknown() -> None:
    (s,) = find_stamps("[Last access date unavailable]")
    assert s.date is None and s.precision is Precision.UNKNOWN
    assert s.display() == "unknown"


def test_several_stamps_in_order_and_stripping() -> None:
    text = "Elina Karakulova, Kazakhstan Daily Digest, 31 July 2003, Web. 9 Sept. 2009"
    stamps = find_stamps(text)
    assert [s.date for s in stamps] == [dt.date(2009, 9, 9)]
    assert strip_stamps(text, stamps) == "Elina Karakulova, Kazakhstan Daily Digest, 31 July 2003"
    two = find_stamps("[accessed 16 February 2011]  [accessed 7 June 2017]")
    assert [s.date for s in two] == [dt.date(2011, 2, 16), dt.date(2017, 6, 7)]
    assert newest(two).date == dt.date(2017, 6, 7)


@pytest.mark.parametrize(
    "text",
    ["[accessed <date>]", "accessed by 5000 users in 2010", "visited the museum", "Web pdf 2009 x"],
)
def test_not_stamps(text: str) -> None:
    assert find_stamps(text) == []


def test_dates_are_never_invented() -> None:
    # dateutil's fuzzy mode turned this into 1900-02-16; dateparser fills today's date.
    assert parse_date_words("16 February") is None
    assert parse_date_words("2009") == (dt.date(2009, 1, 1), Precision.YEAR)
    assert parse_date_words("1066") is None


def test_format_stamp_follows_the_page_style() -> None:
    day = dt.date(2026, 11, 23)
    assert format_stamp(day) == "[accessed 23 November 2026]"
    assert format_stamp(day, "Retrieved July 7, 2004") == "Retrieved November 23, 2026"
    assert format_stamp(day, "accessed 2011-02-16") == "accessed 2026-11-23"
