import datetime as dt
import re

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


# One row per family the brief names: (text, date, precision). Day precision unless the
# text gives less; the whole phrase is the stamp (nothing of it is left for the title).
ACCESS_FAMILIES = [
    # German
    ("abgerufen am 3. Juni 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("Zugriff am 20.05.2018", dt.date(2018, 5, 20), Precision.DAY),
    ("Zugegriffen 16. September 2024", dt.date(2024, 9, 16), Precision.DAY),
    ("Abruf: 3.6.2020", dt.date(2020, 6, 3), Precision.DAY),
    ("Zugriffsdatum: 3. Juni 2020", dt.date(2020, 6, 3), Precision.DAY),
    # French
    ("consulté le 3 juin 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("consulté le 1er décembre 2019", dt.date(2019, 12, 1), Precision.DAY),
    ("Consulté le 12/03/2021", dt.date(2021, 3, 12), Precision.DAY),
    # Spanish
    ("consultado el 3 de junio de 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("Consultado el 12 de marzo de 2021", dt.date(2021, 3, 12), Precision.DAY),
    ("fecha de consulta: 3 de junio de 2020", dt.date(2020, 6, 3), Precision.DAY),
    # Portuguese (ABNT and Wikipedia)
    ("acesso em 3 jun. 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("Acesso em: 02/12/2020", dt.date(2020, 12, 2), Precision.DAY),
    ("acessado em 3 de junho de 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("consultado em 3 de junho de 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("Acesso em: set. 2019", dt.date(2019, 9, 1), Precision.MONTH),
    # Romanian
    ("Accesat în 3 iunie 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("accesat la 3 iunie 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("Accesat în 12 februarie 2022", dt.date(2022, 2, 12), Precision.DAY),
    # Italian, Dutch, Polish
    ("consultato il 3 giugno 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("URL consultato il 1º ottobre 2019", dt.date(2019, 10, 1), Precision.DAY),
    ("geraadpleegd op 3 juni 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("dostęp 2020-06-03", dt.date(2020, 6, 3), Precision.DAY),
    ("[dostęp 3 czerwca 2020]", dt.date(2020, 6, 3), Precision.DAY),
    ("[dostęp 3 czerwca 2020 r.]", dt.date(2020, 6, 3), Precision.DAY),
    # Russian
    ("дата обращения: 3 июня 2020", dt.date(2020, 6, 3), Precision.DAY),
    ("(дата обращения: 03.06.2020)", dt.date(2020, 6, 3), Precision.DAY),
    # Chinese, Japanese
    ("访问日期：2020-06-03", dt.date(2020, 6, 3), Precision.DAY),
    ("[2020-06-03]", dt.date(2020, 6, 3), Precision.DAY),
    ("閲覧日：2020年6月3日", dt.date(2020, 6, 3), Precision.DAY),
    ("2020年6月3日閲覧", dt.date(2020, 6, 3), Precision.DAY),
    ("参照 2020-06-03", dt.date(2020, 6, 3), Precision.DAY),
    ("閲覧日：2020年6月", dt.date(2020, 6, 1), Precision.MONTH),
    # English styles
    ("Retrieved on March 3, 2019, from https://example.org/x", dt.date(2019, 3, 3), Precision.DAY),
    ("Retrieved March 3, 2019, from https://example.org/x", dt.date(2019, 3, 3), Precision.DAY),
    ("Accessed at https://example.org/x on 14 December 2016", dt.date(2016, 12, 14), Precision.DAY),
    ("Accessed December 14, 2016.", dt.date(2016, 12, 14), Precision.DAY),
    ("[cited 2024 Feb 19]", dt.date(2024, 2, 19), Precision.DAY),
    ("[updated 2023 Jan 5; cited 2024 Feb 19]", dt.date(2024, 2, 19), Precision.DAY),
    ("[cited 2024 Feb]", dt.date(2024, 2, 1), Precision.MONTH),
    ("(visited on 2021-03-15)", dt.date(2021, 3, 15), Precision.DAY),
    ("(accessed 09 January 2018)", dt.date(2018, 1, 9), Precision.DAY),
    ("Accessed: Oct. 05, 2022", dt.date(2022, 10, 5), Precision.DAY),
    ("[Accessed 3 June 2020]", dt.date(2020, 6, 3), Precision.DAY),
]


@pytest.mark.parametrize(("text", "date", "precision"), ACCESS_FAMILIES)
def test_access_families(text: str, date: dt.date, precision: Precision) -> None:
    (s,) = find_stamps(text)
    assert (s.date, s.precision, s.note) == (date, precision, None)
    assert text[s.start : s.end] == s.raw
    rest = strip_stamps(text, [s])
    assert re.sub(r"https?://\S+|\bfrom\b|\bURL\b|[\W_]", "", rest) == "", rest


@pytest.mark.parametrize(
    ("text", "date"),
    [
        # only the access date, never the archive, publication or "as of" date beside it
        ("Arhivat din original la 12 mai 2012. Accesat în 8 martie 2012.", dt.date(2012, 3, 8)),
        ("Archived from the original on 3 May 2020. Retrieved 4 June 2020.", dt.date(2020, 6, 4)),
        ("Archivé de l'original le 3 mai 2020, consulté le 4 juin 2020", dt.date(2020, 6, 4)),
        ("原始内容存档于2020-05-03. [2020-06-04]", dt.date(2020, 6, 4)),
        ("Stand: 1. Mai 2020, abgerufen am 4. Juni 2020", dt.date(2020, 6, 4)),
        ("Published July 14, 2020. Accessed August 1, 2020.", dt.date(2020, 8, 1)),
        ("2023 [updated 2023 Jan 5; cited 2024 Feb 19]. Available from:", dt.date(2024, 2, 19)),
    ],
)
def test_only_the_access_date_is_read(text: str, date: dt.date) -> None:
    assert [s.date for s in find_stamps(text)] == [date]


@pytest.mark.parametrize(
    "text",
    [
        "Arhivat din original la 12 mai 2012",
        "Archivé de l'original le 3 juin 2020",
        "原始内容存档于2020-06-03",
        "Stand: 3. Juni 2020",
        "Published July 14, 2020",
        "the statistics cited 2019 and cited 2020 Feb 3 in the text",  # "cited" outside brackets
        "Zugriffsrechte 2020",  # a phrase is a whole word
        "dostępne 2020-06-03",
    ],
)
def test_dates_that_are_not_access_dates(text: str) -> None:
    assert find_stamps(text) == []


def test_a_url_inside_a_stamp_stays_in_the_text() -> None:
    text = "Smith J. Title. Accessed at https://example.org/x?a=1 on 14 December 2016."
    (s,) = find_stamps(text)
    assert "December" not in strip_stamps(text, [s])
    assert "https://example.org/x?a=1" in strip_stamps(text, [s])


@pytest.mark.parametrize(
    ("like", "expected"),
    [
        ("Accesat în 12 februarie 2022", "Accesat în 2 decembrie 2026"),
        ("Acesso em: 02/12/2020", "Acesso em: 02/12/2026"),
        ("acesso em 3 jun. 2020", "acesso em 2 dez. 2026"),
        ("acessado em 3 de junho de 2020", "acessado em 2 de dezembro de 2026"),
        ("consultato il 3 giugno 2020", "consultato il 2 dicembre 2026"),
        ("geraadpleegd op 3 juni 2020", "geraadpleegd op 2 december 2026"),
        ("[dostęp 3 czerwca 2020]", "[dostęp 2 grudnia 2026]"),
        ("閲覧日：2020年6月3日", "閲覧日：2026年12月2日"),
        ("2020年6月3日閲覧", "2026年12月2日閲覧"),
        ("[updated 2023 Jan 5; cited 2024 Feb 19]", "[cited 2026 Dec 2]"),
        ("Consulté le 12/03/2021", "Consulté le 02/12/2026"),
    ],
)
def test_new_languages_are_restamped_in_their_own_words(like: str, expected: str) -> None:
    day = dt.date(2026, 12, 2)
    assert format_stamp(day, like) == expected
    (back,) = find_stamps(expected)
    assert back.date == day


def test_first_chars_reads_what_a_pattern_can_begin_with() -> None:
    """The look-ahead that lets a search skip most positions (a date's filler words, an
    archive note) is read from the pattern itself; a wrong set would lose matches, so it
    is checked on its cases, the access phrases among them."""
    from monitor.core.patterns import first_chars, quick
    from monitor.core.stamps import _KEYWORD

    assert first_chars(r"(?:page\s+)?consult|ab[cd]") == "acp"
    assert first_chars(r"(?<![^\W\d_])x?y") == "xy"
    assert first_chars(r"\s*x") is None and first_chars(r"x?") is None  # any, or empty
    starts = first_chars(re.sub(r"\(\?P<\w+>", "(?:", _KEYWORD))
    assert starts is not None and {"a", "r", "z", "д", "қ", "閲"} <= set(starts)
    # the look-ahead finds what the plain pattern finds, in either case
    plain = r"been archived|archive copy|wayback machine"
    text = "It has BEEN ARCHIVED; see the Wayback Machine's archive copy."
    fast = quick(plain, re.IGNORECASE)
    assert fast.pattern.startswith("(?=[") and [m.span() for m in fast.finditer(text)] == [
        m.span() for m in re.finditer(plain, text, re.IGNORECASE)
    ]


def test_dates_read_without_dateutil_are_read_as_dateutil_reads_them() -> None:
    """`_plain_date` answers only for shapes it reads exactly as dateutil does: every
    month word dateutil knows (and words it does not), real and impossible days, years at
    and past the kept range, with and without the comma."""
    from dateutil import parser as dateparser

    from monitor.core.stamps import _by_dateutil, _plain_date

    months = [w for names in dateparser.parserinfo.MONTHS for w in names]
    months += [m.lower() for m in months] + [m.upper() for m in months]
    months += ["Febr", "Mayo", "Sept.", "Jule", "Decembre", "of"]
    days = ["0", "1", "01", "9", "12", "13", "28", "29", "30", "31", "32", "99"]
    years = ["1899", "1900", "2011", "2012", "2100", "2101"]
    texts = []
    for y in years:
        for mo in months:
            texts += [f"{mo} {y}", f"{mo}, {y}"]
            for d in days:
                texts += [f"{d} {mo} {y}", f"{d} {mo}, {y}", f"{mo} {d}, {y}", f"{mo} {d} {y}"]
                texts.append(f"{y} {mo} {d}")
        for mo in ["0", "1", "02", "2", "12", "13"]:
            texts.append(f"{y}-{mo}")
            texts += [f"{y}-{mo}-{d}" for d in days]
    read = 0
    for text in texts:
        plain = _plain_date(text)
        if plain is not None:
            read += 1
            assert plain == _by_dateutil(text), text
    assert read > len(texts) // 3  # the common shapes are read here, not by dateutil
    assert _plain_date("16 February 2011") == (dt.date(2011, 2, 16), Precision.DAY)
    assert _plain_date("February 2011") == (dt.date(2011, 2, 1), Precision.MONTH)


def test_a_text_with_no_month_word_skips_the_month_pattern() -> None:
    """`_may_name_a_month` says no only where `_FOREIGN_MONTH` finds nothing: every month
    word in every case and beside every kind of neighbour, and ASCII words that are none.
    An ASCII word can match only an ASCII month word (none holds a letter that re matches
    to an ASCII one under IGNORECASE, such as "ſ" or "ı")."""
    import string

    from monitor.core.stamps import _FOREIGN_MONTH, _MONTHS, _may_name_a_month

    for word in _MONTHS:
        non_ascii = [c for c in word if not c.isascii()]
        for c in non_ascii:  # ... so it never matches an ASCII word
            assert not any(re.fullmatch(re.escape(c), a, re.I) for a in string.ascii_letters)
    words = list(_MONTHS) + [w.upper() for w in _MONTHS] + [w.title() for w in _MONTHS]
    words += ["December", "accessed", "Retrieved", "Web", "decembers", "janx", "xjan", "of"]
    for word in words:
        for text in (word, f"16 {word} 2011", f"{word}. 16, 2011", f"16{word}2011", f"x{word}"):
            found = _FOREIGN_MONTH.search(text) is not None
            assert found <= _may_name_a_month(text), text
    assert not _may_name_a_month("16 December 2011")
    assert not _may_name_a_month("accessed 2011-02-16")
    assert _may_name_a_month("16 Nov 2011") and _may_name_a_month("16 février 2011")


def test_a_date_dateutil_is_sure_to_refuse_is_not_handed_to_it() -> None:
    """`_refused_by_dateutil` says yes only for a text dateutil refuses: one that opens
    with a word none of dateutil's tables knows (access phrases), and never for one that
    opens with a number float() reads, a weekday, month, am/pm or a word it skips."""
    from dateutil import parser as dateparser

    from monitor.core.stamps import (
        _DEFAULT_A,
        _FLOAT_WORDS,
        _by_dateutil,
        _refused_by_dateutil,
    )

    info = dateparser.parserinfo()
    known = [w for table in (info.WEEKDAYS, info.MONTHS, info.AMPM) for ws in table for w in ws]
    known += list(info.JUMP) + list(info.PERTAIN) + list(info.UTCZONE)
    known += [w for ws in info.HMS for w in ws]
    words = known + [w.upper() for w in known] + [w.lower() for w in known if w.strip()]
    words += ["nan", "NaN", "inf", "Infinity", "accessed", "Retrieved", "Web", "viewed", "cited"]
    words += ["Zugriff", "consulted", "GMT", "UTC", "Z", "T", "EST", "x"]
    refused = 0
    for word in words:
        for rest in ("16 February 2011", "2011", "12:00", "of 2011", "- 3"):
            text = f"{word} {rest}"
            if _refused_by_dateutil(text):
                refused += 1
                with pytest.raises((ValueError, OverflowError)):
                    dateparser.parse(text, default=_DEFAULT_A)
                assert _by_dateutil(text) is None
    assert refused >= 40

    def reads(word: str) -> bool:
        try:
            float(word)
        except ValueError:
            return False
        return True

    for word in ("nan", "NaN", "NAN", "inf", "Inf", "INFINITY", "infinit", "na", "infinityy"):
        assert (word.lower() in _FLOAT_WORDS) == reads(word), word
    assert _refused_by_dateutil("accessed 16 February 2011")
    assert not _refused_by_dateutil("February 16 2011") and not _refused_by_dateutil("on 2011")


def _written_out(pattern: str) -> list[str]:
    """Strings a phrase pattern matches: each branch, each character of a class, each
    optional part with and without it (white space as one space)."""
    from re import _constants as op  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def items(seq: list) -> list[str]:  # type: ignore[type-arg]
        out = [""]
        for code, av in seq:
            if code is op.LITERAL:
                choices = [chr(av)]
            elif code is op.IN:
                choices = [chr(v) for k, v in av if k is op.LITERAL] or [" "]
            elif code is op.BRANCH:
                choices = [s for alt in av[1] for s in items(alt)]
            elif code is op.SUBPATTERN:
                choices = items(av[-1])
            elif code in (op.MAX_REPEAT, op.MIN_REPEAT):
                once = items(av[2])
                choices = ([""] if av[0] == 0 else []) + once
            else:
                choices = [""]
            out = [a + b for a in out for b in choices][:5000]
        return out

    return items(list(_parser.parse(pattern)))


def test_a_lines_first_phrase_is_where_the_phrase_pattern_first_matches() -> None:
    """`_first_phrase` (phrases by their first letter, the spaced ones after a character
    that is no letter) answers where `_KEYWORD` first matches the lower-cased line: every
    phrase of every language written out, at the start, after a space, a bracket, a digit,
    inside a word, before a letter, beside a CJK phrase and after an earlier one."""
    from monitor.core.stamps import _KEYWORD, _KEYWORDS, _STAMP, _first_phrase

    reference = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _KEYWORD))
    phrases = [p for kw in _KEYWORDS.values() for p in _written_out(kw)]
    assert len(phrases) > 100 and "zuletzt abgerufen am" in phrases and "访问日期" in phrases
    texts = []
    for p in phrases:
        for q in ("accessed", "访问日期", "x", "1"):
            texts += [p, f"{p} 2011", f"Title. [{p} 16 February 2011]", f"x{p} 2011", f"{p}x"]
            texts += [f"1{p}", f"Ab {p}. {q} 2011", f"{q}{p}", f"{p}{q}", f"Über {p}: 2011"]
    texts += [
        "x [ [accessed 2011]",
        "[[ accessed 2011]",
        "[\u00a0accessed 2011]",
        "a [\n accessed 2011",
    ]
    for text in texts:
        low = text.lower()
        m = reference.search(low)
        first = _first_phrase(text, low)
        assert (first is None) == (m is None), text
        if m is None or first is None:
            continue
        assert first in (m.start(), text.rfind("[", 0, m.start())), text
        # the stamps found from there are those found from before the phrase's brackets
        # and spaces
        wide = m.start()
        while wide > 0 and text[wide - 1] in " \t\n\r\f\v[":
            wide -= 1
        spans = [s.span() for s in _STAMP.finditer(text, wide)]
        assert [s.span() for s in _STAMP.finditer(text, first)] == spans, text


def test_a_date_opening_with_an_unknown_word_is_refused_before_any_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`_surely_no_date` says yes only where every step of `parse_date_words` and dateutil
    say no: phrases of every language, month, filler, weekday and dateutil words before
    dates of every shape."""
    from dateutil import parser as dateparser

    from monitor.core import stamps

    info = dateparser.parserinfo()
    words = [p for kw in stamps._KEYWORDS.values() for p in _written_out(kw)]
    words += [*stamps._MONTHS, "de", "del", "le", "am", "den", "sept", "Sept", "x"]
    words += [w for table in (info.WEEKDAYS, info.MONTHS, info.AMPM) for ws in table for w in ws]
    words += [*info.JUMP, "nan", "inf", "Infinity", "DE", "Le", "Am", "MAI", "Juni"]
    dates = ["16 February 2011", "2011", "February 2011", "16 de febrero de 2011", "16.02.2011"]
    dates += ["16. Februar 2011", "2011-02-16", "1er mars 2011", "Sept. 9, 2009", "2020年6月3日"]
    texts = [f"{w} {d}" for w in words for d in dates] + [
        f"{w}, {d}" for w in words[:20] for d in dates
    ]
    surely = [t for t in texts if stamps._surely_no_date(t)]
    assert len(surely) > len(texts) // 8 and "accessed 16 February 2011" in surely
    monkeypatch.setattr(stamps, "_surely_no_date", lambda text: False)
    for text in texts:
        for order in (None, "dmy", "mdy"):
            full = stamps.parse_date_words.__wrapped__(text, order)
            assert text not in surely or full is None, text
    assert "Juni 2011" not in surely and "de 2011" not in surely
