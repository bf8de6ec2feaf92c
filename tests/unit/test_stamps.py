import datetime as dt

import pytest

from monitor.core.stamps import (
    AccessStamp,
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


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("[дата обращения 16 февраля 2011]", dt.date(2011, 2, 16)),
        ("Дата обращения: 16.02.2011", dt.date(2011, 2, 16)),
        ("Дата обращения: 02.03.2011", dt.date(2011, 3, 2)),  # day first, as written
        ("Дата обращения: 5 мая 2019 г.", dt.date(2019, 5, 5)),
        ("Қаралды 16 ақпан 2011", dt.date(2011, 2, 16)),
        ("consulté le 16 février 2011", dt.date(2011, 2, 16)),
        ("Consulté le 1er mars 2011", dt.date(2011, 3, 1)),
        ("abgerufen am 16. Februar 2011", dt.date(2011, 2, 16)),
        ("Zugriff am 3.5.2012", dt.date(2012, 5, 3)),
        ("consultado el 16 de febrero de 2011", dt.date(2011, 2, 16)),
        ("consultado el 2/3/2011", dt.date(2011, 3, 2)),  # Spanish writes the day first
        ("Retrieved 2011-02-16", dt.date(2011, 2, 16)),
        ("اطلع عليه بتاريخ 16 فبراير 2011", dt.date(2011, 2, 16)),
        ("تاريخ الوصول: 5 أبريل 2019", dt.date(2019, 4, 5)),
        ("访问日期：2019-01-09", dt.date(2019, 1, 9)),
        ("[2020-01-11]", dt.date(2020, 1, 11)),  # zh CS1: the access date alone in brackets
        ("[19 January 2019]", dt.date(2019, 1, 19)),
    ],
)
def test_access_phrases_in_other_languages(text: str, date: dt.date) -> None:
    (s,) = find_stamps(text)
    assert (s.date, s.precision, s.note) == (date, Precision.DAY, None)
    assert strip_stamps(text, [s]) == ""


def test_an_ambiguous_numeric_date_is_never_guessed() -> None:
    (s,) = find_stamps("accessed 02/03/2011")
    assert (s.date, s.precision) == (dt.date(2011, 1, 1), Precision.YEAR)
    assert s.note and "order unknown" in s.note and "02/03/2011" in s.display()
    assert AccessStamp.from_dict(s.as_dict()) == AccessStamp(
        s.raw, s.date, s.precision, note=s.note
    )
    (dmy,) = find_stamps("accessed 02/03/2011", "dmy")
    (mdy,) = find_stamps("accessed 02/03/2011", "mdy")
    assert (dmy.date, mdy.date) == (dt.date(2011, 3, 2), dt.date(2011, 2, 3))
    assert dmy.note is None and dmy.precision is Precision.DAY
    (one_way,) = find_stamps("accessed 13/03/2011")  # 13 is no month: only one reading
    assert (one_way.date, one_way.note) == (dt.date(2011, 3, 13), None)
    (same,) = find_stamps("accessed 03/03/2011")
    assert (same.date, same.precision) == (dt.date(2011, 3, 3), Precision.DAY)


@pytest.mark.parametrize(
    ("like", "expected"),
    [
        ("[дата обращения 16 февраля 2011]", "[дата обращения 2 декабря 2026]"),
        ("Дата обращения: 16.02.2011", "Дата обращения: 02.12.2026"),
        ("consulté le 16 février 2011", "consulté le 2 décembre 2026"),
        ("abgerufen am 16. Februar 2011", "abgerufen am 2. Dezember 2026"),
        ("consultado el 16 de febrero de 2011", "consultado el 2 de diciembre de 2026"),
        ("Қаралды 16 ақпан 2011", "Қаралды 2 желтоқсан 2026"),
        ("اطلع عليه بتاريخ 16 فبراير 2011", "اطلع عليه بتاريخ 2 ديسمبر 2026"),
        ("[2020-01-11]", "[2026-12-02]"),
        ("[19 January 2019]", "[2 December 2026]"),
        ("[accessed 2011-02-16]", "[accessed 2026-12-02]"),
    ],
)
def test_a_new_stamp_speaks_the_old_ones_language(like: str, expected: str) -> None:
    day = dt.date(2026, 12, 2)
    assert format_stamp(day, like) == expected
    (back,) = find_stamps(expected)
    assert back.date == day


def test_a_bracketed_year_or_number_is_not_an_access_date() -> None:
    """Only a whole date alone in brackets is a stamp: "[2009]" is an original edition's
    year, "[02/03/2011]" would be a guess, "[see p. 2011]" is no date at all."""
    for text in ("Smith [2009] Title", "[02/03/2011]", "[see p. 2011]", "[vol. 3, 1999]"):
        assert find_stamps(text) == [], text
