"""Access stamps: find "[accessed 16 February 2011]" and its wild relatives, parse to dates.

Pure functions, no I/O. A regex finds the access *phrase* and cuts out the date words;
python-dateutil parses those words strictly (never `fuzzy=True`, which silently turned
"[accessed 16 February 2011]" into 1900-02-16); parsing twice with two different defaults
tells which parts the stamp really gave, so "[accessed 2009]" is stored as the year 2009,
not as 1 January 2009.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
import re
from dataclasses import dataclass

from dateutil import parser as dateparser

from monitor.core.patterns import quick, squash


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
    note: str | None = None  # what the date could not tell (an ambiguous numeric date)

    def as_dict(self) -> dict[str, str | None]:
        out = {
            "raw": self.raw,
            "date": self.date.isoformat() if self.date else None,
            "precision": self.precision.value,
        }
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, d: dict[str, str | None]) -> AccessStamp:
        date = dt.date.fromisoformat(d["date"]) if d.get("date") else None
        return cls(
            raw=d.get("raw") or "",
            date=date,
            precision=Precision(d["precision"]),
            note=d.get("note"),
        )

    def display(self) -> str:
        """The date at its own precision: '2011-02-16', '2008-03', '2009', 'unknown';
        with its note when the stamp was ambiguous."""
        if self.date is None:
            return "unknown"
        if self.precision is Precision.YEAR:
            shown = f"{self.date.year}"
        elif self.precision is Precision.MONTH:
            shown = f"{self.date.year}-{self.date.month:02d}"
        else:
            shown = self.date.isoformat()
        return f"{shown} ({self.note})" if self.note else shown


# The access phrase, by language, longest first within a language (a regex alternation
# takes the first that fits). English includes CS1's "Retrieved" and MLA's "Web."; the
# others are what Wikipedia's citation templates and the national styles write: Russian
# ("дата обращения"), Kazakh ("қаралды", "тексерілді"), Portuguese (ABNT's "Acesso em:"),
# French ("consulté le"), German ("abgerufen am", "Zugriff am", "Abruf:"), Spanish
# ("consultado el", "fecha de consulta"), Romanian ("Accesat în/la"), Italian ("consultato
# il"), Dutch ("geraadpleegd op"), Polish ("dostęp"), Arabic ("اطلع عليه بتاريخ"), Chinese
# ("访问日期"; zh CS1 mostly writes a bare `[2020-01-11]`) and Japanese ("閲覧日", and
# "2020年6月3日閲覧" with the word after the date). Portuguese comes before Spanish so that
# "consultado em" is read as Portuguese. Archive phrases ("Archived from the original on",
# "Arhivat din original la", "Archivé", "原始内容存档于") and "Stand:" (German: "as of") are
# deliberately absent: their dates are not access dates.
_KEYWORDS = {
    "en": r"last\s+accessed|last\s+visited|last\s+checked|date\s+accessed|accessed\s+on|accessed|"
    r"retrieved(?:\s+on)?|viewed(?:\s+on)?|consulted(?:\s+on)?|visited(?:\s+on)?|web\.",
    "ru": r"дата\s+обращения|дата\s+доступа|просмотрено|проверено",
    "kk": r"қаралған\s+күні|қаралды|тексерілген\s+күні|тексерілді",
    "pt": r"acesso\s+em|acessad[oa]\s+em|acessad[oa]|consultad[oa]\s+em|data\s+de\s+acesso",
    "fr": r"(?:page\s+)?consult[ée]e?\s+(?:le|en)|consult[ée]e?|date\s+de\s+consultation",
    "de": r"(?:zuletzt\s+)?abgerufen\s+am|(?:zuletzt\s+)?abgerufen|zugriff\s+am|zugriffsdatum|"
    r"zugriff|(?:zuletzt\s+)?zugegriffen\s+am|(?:zuletzt\s+)?zugegriffen|abruf\s+am|"
    r"abrufdatum|abruf",
    "es": r"consultado\s+el|consultado\s+en|consultado|fecha\s+de\s+consulta|recuperado\s+el|"
    r"accedido\s+el",
    "ro": r"accesat\s+(?:în|in|la|pe)|accesat|data\s+accesării",
    "it": r"consultato\s+il|consultato\s+in\s+data|consultato|data\s+di\s+consultazione|"
    r"ultimo\s+accesso",
    "nl": r"geraadpleegd\s+op|geraadpleegd|bezocht\s+op",
    "pl": r"data\s+dostępu|dostęp\s+z\s+dnia|dostęp\s+dnia|dostęp|dostępu",
    "ar": r"اطلع\s+عليه\s+بتاريخ|تاريخ\s+الوصول|تاريخ\s+الاطلاع",
    "zh": r"访问日期|訪問日期|查阅日期|查閱日期|检索日期|檢索日期|存取日期|引用日期",
    "ja": r"最終閲覧日|閲覧日|閲覧|参照日|参照|アクセス日",
}
# Languages written without spaces: their phrases need no word boundary around them.
_UNSPACED = frozenset({"zh", "ja"})
# Japanese writes the phrase after the date too: "2020年6月3日閲覧"
_AFTER_DATE = r"閲覧|参照|アクセス"
_AFTER_WORDS = tuple(_AFTER_DATE.split("|"))  # plain words: a line without one has none
# Vancouver/NLM: "[cited 2024 Feb 19]", "[updated 2023 Jan 5; cited 2024 Feb 19]"
_VANCOUVER_OTHER = r"updated|modified|revised|reviewed|last\s+updated|last\s+modified"

# Month names of the languages above, as dateutil's English ones; each word names one
# month in every language that writes it (Russian and Polish in both cases).
_MONTH_NAMES = {
    "January": "января январь янв қаңтар janvier janv januar jänner jan enero ene janeiro "
    "ianuarie ian gennaio gen januari stycznia styczeń",
    "February": "февраля февраль фев ақпан février févr fevrier februar feb febrero fevereiro "
    "fev februarie febr febbraio februari lutego luty",
    "March": "марта март мар наурыз mars märz marz marzo março marco martie maart mrt marca marzec",
    "April": "апреля апрель апр сәуір avril avr april abril abr aprilie aprile kwietnia kwiecień",
    "May": "мая май мамыр mai mayo maio maggio mei maja maj",
    "June": "июня июнь июн маусым juin juni junio junho iunie iun giugno czerwca czerwiec",
    "July": "июля июль июл шілде juillet juil juli julio julho iulie iul luglio lipca lipiec",
    "August": "августа август авг тамыз août aout august agosto ago augustus sierpnia sierpień",
    "September": "сентября сентябрь сен сент қыркүйек septembre septiembre setiembre sept "
    "setembro set septembrie settembre września wrzesień",
    "October": "октября октябрь окт қазан octobre oct oktober okt octubre outubro out "
    "octombrie ottobre ott października październik",
    "November": "ноября ноябрь ноя қараша novembre nov noviembre novembro noiembrie "
    "listopada listopad",
    "December": "декабря декабрь дек желтоқсан décembre déc dezember dez diciembre dic "
    "dezembro decembrie dicembre grudnia grudzień",
}
# Arabic months as Egypt and most Arabic Wikipedia citations write them
_ARABIC_MONTHS = "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر"
for _english, _word in zip(_MONTH_NAMES, _ARABIC_MONTHS.split(), strict=True):
    _MONTH_NAMES[_english] += " " + _word
_MONTH_NAMES["April"] += " ابريل إبريل"
_MONTH_NAMES["May"] += " ماي"
_MONTH_NAMES["August"] += " اغسطس"
_MONTH_NAMES["October"] += " اكتوبر"

# month names as each language writes them in a date (Russian and Polish: the genitive)
_MONTHS_OUT = {
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "kk": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "ro": "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie "
    "noiembrie decembrie",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia",
    "ar": _ARABIC_MONTHS,
}
# ABNT's abbreviations ("3 jun. 2020"); May is written whole
_PT_SHORT = "jan. fev. mar. abr. maio jun. jul. ago. set. out. nov. dez."

# A phrase stands as a whole word (not inside "Zugriffsrechte" or "unaccessed"), except
# in the languages written without spaces. The word boundary is tested once for all the
# spaced languages, not once each: most positions of a line are inside a word, and one
# failed look-behind there skips every phrase.
_SPACED = "|".join(f"(?P<{lang}>{kw})" for lang, kw in _KEYWORDS.items() if lang not in _UNSPACED)
_JOINED = "|".join(f"(?P<{lang}>{kw})" for lang, kw in _KEYWORDS.items() if lang in _UNSPACED)
_KEYWORD = rf"(?:(?<![^\W\d_])(?:{_SPACED})(?![^\W\d_])|{_JOINED})"


def _alternatives(pattern: str) -> list[str]:
    """The phrases of a `_KEYWORDS` pattern (its top-level alternatives), one that opens
    with an optional group written out both ways ("(?:zuletzt\\s+)?abgerufen")."""
    out, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = pattern.index("]", i + 1) + 1
            continue
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    out.append(pattern[start:])
    phrases = []
    for alt in out:
        m = re.match(r"\(\?:([^()|\[]*)\)\?", alt)
        phrases += [m.group(1) + alt[m.end() :], alt[m.end() :]] if m else [alt]
    return phrases


def _by_first_letter(phrases: list[str]) -> str:
    """The phrases as one alternation of branches that each open with a plain letter, the
    phrases that share it behind it. re passes over a branch whose letter is not the one
    at hand without entering it, and scans for the letters branches can open with instead
    of trying the pattern at each position: finding a line's first phrase this way cost
    half as much as the alternation by language behind a look-ahead (measured:
    docs/performance.md)."""
    groups: dict[str, list[str]] = {}
    for phrase in phrases:
        if not phrase[:1].isalpha() or phrase[1:2] in ("?", "*", "+", "{"):
            raise ValueError(f"an access phrase must open with a plain letter: {phrase!r}")
        groups.setdefault(phrase[0], []).append(phrase[1:])
    return "|".join(f"{re.escape(c)}(?:{'|'.join(rest)})" for c, rest in groups.items())


# Where a line's first phrase is, in its lower-cased text: no stamp starts before it (but
# for its "[" and spaces), so the full pattern scans from there, not from the line's start.
# A spaced phrase stands at the line's start or after a character that is no letter; the
# unspaced ones (CJK) are looked for only in a line that is not all ASCII.
_SPACED_FIRST = _by_first_letter(
    [p for lang, kw in _KEYWORDS.items() if lang not in _UNSPACED for p in _alternatives(kw)]
)
_PHRASE_AT_START = re.compile(rf"(?:{_SPACED_FIRST})(?![^\W\d_])")
_PHRASE_AFTER = re.compile(rf"[\W\d_](?:{_SPACED_FIRST})(?![^\W\d_])")
_PHRASE_JOINED = re.compile(
    _by_first_letter(
        [p for lang, kw in _KEYWORDS.items() if lang in _UNSPACED for p in _alternatives(kw)]
    )
)


def _first_phrase(text: str, low: str) -> int | None:
    """Where the first stamp of `text` (`low`: lower-cased) may start; None when it holds
    no access phrase: where `_KEYWORD` first matches `low`, found sooner."""
    if len(low) != len(text):  # a letter lower-cased into two ("İ"): positions differ
        return 0
    if _PHRASE_AT_START.match(low):
        at: int | None = 0
    else:
        m = _PHRASE_AFTER.search(low)
        at = m.start() + 1 if m else None
    if at != 0 and not low.isascii() and (joined := _PHRASE_JOINED.search(low)):
        at = joined.start() if at is None else min(at, joined.start())
    if at is None:
        return None
    # the stamp opens at the phrase or at the "[" before it and the white space after that
    # "[" (`_STAMP`'s `open`); nothing earlier can open it
    before = at
    while before > 0 and text[before - 1] in " \t\n\r\f\v":
        before -= 1
    return before - 1 if before > 0 and text[before - 1] == "[" else at


# Where a date ends: a 4-digit year, optionally ISO -MM-DD or /MM/DD, or CJK "2020年6月3日",
# or NLM's year-first "2024 Feb 19".
_EN_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE_END = (
    r"(?<!\d)\d{4}(?:\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|\s+" + _EN_MONTH + r"\s+\d{1,2}"
    r"|-\d{1,2}(?:-\d{1,2})?|/\d{1,2}/\d{1,2})?(?!\d)"
)
# "Accessed at https://example.org/x on 14 December 2016" (AMA): the URL between the
# phrase and its date is part of the stamp, never of its date (`strip_stamps` keeps it).
_URL = r"(?:https?://|www\.)[^\s\[\]<>]+"
# keyword, then up to 40 date characters ending where a date ends, then a year word some
# languages put after the year ("2011 г.", "2011 ж.", "2011 года", "2020 r.")
_STAMP = re.compile(
    r"(?P<open>\[\s*)?"
    r"(?P<kw>" + _KEYWORD + r")(?:\s+(?:at|from|via)\s+" + _URL + r"\s+on(?=\s))?"
    r"\s*[:：\-–]?\s*"
    r"(?P<date>[^\[\]\n;()]{0,40}?" + _DATE_END + r")"
    r"(?:\s*(?:г\.|года|жылғы|жыл|ж\.|(?-i:r\.)))?"
    r"(?P<close>\s*\])?",
    re.IGNORECASE,
)
# Vancouver/NLM: "[cited 2024 Feb 19]"; in "[updated 2023 Jan 5; cited 2024 Feb 19]" only
# the cited date is the access (the whole bracket is the stamp). Only in brackets: "cited"
# in a sentence is no access phrase.
_CITED = re.compile(
    r"\[\s*(?:(?:" + _VANCOUVER_OTHER + r")\s*:?\s*[^\[\];\n]{1,40};\s*)?"
    r"(?P<kw>cited)\s*:?\s*(?P<date>[^\[\]\n;]{4,30}?)\s*\]",
    re.IGNORECASE,
)
# Japanese: the phrase after the date, "2020年6月3日閲覧", "(2020-06-03閲覧)"
_AFTER = re.compile(
    r"(?P<date>(?<!\d)\d{4}(?:\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}))"
    r"\s*(?P<kw>" + _AFTER_DATE + ")"
)
_UNKNOWN = re.compile(
    r"\[?\s*(?:last\s+)?access(?:ed)?\s+date\s+(?:unavailable|unknown|not\s+available)\s*\]?",
    re.IGNORECASE,
)
# Chinese Wikipedia's CS1 writes the access date alone in brackets after the work's own
# date: "無綫新聞. 2016-05-11 [2020-07-11]." or "[19 January 2019]" (an archive date is in
# parentheses instead). Only a whole date counts: "[2009]" is an original edition's year.
_BARE_ISO = re.compile(r"\[\s*(?P<date>\d{4}-\d{2}-\d{2})\s*\]")
_BRACKETED = re.compile(r"\[\s*(?P<date>[^\[\]\n]{6,30}?)\s*\]")
YEAR_END = re.compile(r"(?<!\d)\d{4}(?:-\d{2}-\d{2})?$")
_YEAR_ONLY = re.compile(r"^\s*(\d{4})\s*$")
_CJK_DATE = re.compile(r"(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)?")
_ORDINAL = re.compile(r"(\d)(st|nd|rd|th)\b", re.IGNORECASE)
_SEPT = re.compile(r"\bsept\b", re.IGNORECASE)

_MONTHS = {
    word.lower(): english for english, words in _MONTH_NAMES.items() for word in words.split()
}
_FOREIGN_MONTH = re.compile(
    r"(?<![^\W\d_])(" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"
    r"(?![^\W\d_])",
    re.IGNORECASE,
)
# words between day, month and year: "16 de febrero de 2011", "le 1er mars", "16. Februar",
# "1º de junho"
_FILLER = quick(
    r"(?<![^\W\d_])(?:de|del|le|am|den)(?![^\W\d_])|(?<=\d)(?:er\b|[ºª°])", re.IGNORECASE
)
_SLASHED = re.compile(r"\d{1,2}[/-]\d{1,2}[/-]\d{4}")
_ASCII_WORD = re.compile(r"[A-Za-z]+")


def _may_name_a_month(text: str) -> bool:
    """False when `_FOREIGN_MONTH` cannot match `text`: an ASCII text none of whose words
    is one of its month words ("16 February 2011", "accessed 2011-02-16"). Its alternation
    of every language's month words is tried at each word and number of a stamp's date,
    which cost most of reading the date (measured: docs/performance.md)."""
    return not text.isascii() or any(w.lower() in _MONTHS for w in _ASCII_WORD.findall(text))


_NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")
DATE_ORDERS = ("dmy", "mdy")


def _numeric(text: str, order: str | None) -> tuple[dt.date, Precision, str | None] | None:
    """dd.mm.yyyy (day first wherever dots are written), and dd/mm/yyyy or mm/dd/yyyy:
    when both readings are dates and `order` does not say which, only what they share is
    kept (the year, or more when they agree), with a note saying why."""
    m = _NUMERIC.match(text)
    if m is None:
        return None
    a, sep, b, year = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    if sep == ".":
        order = "dmy"
    readings = []
    for first_is_day in (True, False):
        day, month = (a, b) if first_is_day else (b, a)
        with contextlib.suppress(ValueError):
            readings.append((first_is_day, dt.date(year, month, day)))
    if not readings or not 1900 <= year <= 2100:
        return None
    wanted = {"dmy": True, "mdy": False}.get(order or "")
    chosen = [d for first_is_day, d in readings if wanted is None or first_is_day == wanted]
    dates = {d for d in chosen} if chosen else {d for _, d in readings}
    if len(dates) == 1:
        return dates.pop(), Precision.DAY, None
    note = f"{text}: day and month order unknown (set [ingest] date_order)"
    months = {d.month for d in dates}
    if len(months) == 1:
        return dt.date(year, months.pop(), 1), Precision.MONTH, note
    return dt.date(year, 1, 1), Precision.YEAR, note


# Two defaults that differ in every field: a field that comes back different was not given.
_DEFAULT_A = dt.datetime(2000, 1, 1)
_DEFAULT_B = dt.datetime(2001, 2, 2)


@functools.lru_cache(maxsize=8192)
def parse_date_words(
    words: str, order: str | None = None
) -> tuple[dt.date, Precision] | tuple[dt.date, Precision, str] | None:
    """Parse the date part of a stamp ('16 February 2011', 'Sept. 9, 2009', '2009',
    '16 февраля 2011', '16.02.2011', '2020年6月3日', '2024 Feb 19'). A third item, when
    present, says what could not be told (an ambiguous numeric date); `order` ("dmy" or
    "mdy") settles those.

    Cached: a page stamps hundreds of citations with the same few dates, and a dateutil
    parse is costly (two parses each), which a large page paid for every citation
    (measured: docs/performance.md, "Figures behind the code")."""
    text = words.strip().strip(",.").strip()
    if _surely_no_date(text):
        return None
    if "年" in text:  # each step below is run only where it may find something to change
        text = _CJK_DATE.sub(lambda m: "-".join(f"{int(g):02d}" for g in m.groups() if g), text)
    if not text:
        return None
    m = _YEAR_ONLY.match(text)
    if m:
        year = int(m.group(1))
        return (dt.date(year, 1, 1), Precision.YEAR) if 1900 <= year <= 2100 else None
    numeric = _numeric(text, order)
    if numeric is not None:
        date, precision, note = numeric
        return (date, precision, note) if note else (date, precision)
    if _ORDINAL.search(text):  # a search costs less than the substitution's template
        text = _ORDINAL.sub(r"\1", text)
    if _may_name_a_month(text):
        text = _FOREIGN_MONTH.sub(lambda mo: " " + _MONTHS[mo.group(1).lower()] + " ", text)
    text = _FILLER.sub(" ", text)
    text = text.replace(".", " ")  # (an ISO date "2011-02-16" has none)
    text = _SEPT.sub("Sep", text)
    text = squash(text).strip(" ,")
    if _SLASHED.fullmatch(text):
        return None  # not a date _numeric reads: never let dateutil guess the order
    return _plain_date(text) or _by_dateutil(text)


_INFO = dateparser.parserinfo()  # dateutil's own month words, so the two readings agree
# The shapes nearly every stamp takes once its month is an English word: "16 February
# 2011", "February 16, 2011", "February 2011", "2011-02-16", "2011-02", "2024 Feb 19".
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2}) ([A-Za-z]+),? (\d{4})")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]+) (\d{1,2}),? (\d{4})")
_MONTH_YEAR = re.compile(r"([A-Za-z]+),? (\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4}) ([A-Za-z]+) (\d{1,2})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")


def _plain_date(text: str) -> tuple[dt.date, Precision] | None:
    """`text` read without dateutil when it has one of the shapes above and names a real
    day; None for anything else, which dateutil reads (`_by_dateutil`). dateutil's
    tokenizer and its two parses cost most of reading a large page's stamps (measured:
    docs/performance.md), and a test holds both readings equal on every shape."""
    if m := _DAY_MONTH_YEAR.fullmatch(text):
        day, month, year = m.group(1), _INFO.month(m.group(2)), m.group(3)
    elif m := _MONTH_DAY_YEAR.fullmatch(text):
        day, month, year = m.group(2), _INFO.month(m.group(1)), m.group(3)
    elif m := _YEAR_MONTH_DAY.fullmatch(text):
        day, month, year = m.group(3), _INFO.month(m.group(2)), m.group(1)
    elif m := _MONTH_YEAR.fullmatch(text):
        day, month, year = None, _INFO.month(m.group(1)), m.group(2)
    elif m := _ISO.fullmatch(text):
        day, month, year = m.group(3), int(m.group(2)), m.group(1)
    else:
        return None
    if month is None or not 1900 <= int(year) <= 2100:
        return None
    try:
        date = dt.date(int(year), month, int(day or 1))
    except ValueError:
        return None
    return (date, Precision.MONTH) if day is None else (date, Precision.DAY)


_LEAD_WORD = re.compile(r"[A-Za-z]+(?= )")
# the letters-only words float() reads, in any case (its "nan" and "infinity"), without
# the cost of the exception it raises for every other word
_FLOAT_WORDS = frozenset(["nan", "inf", "infinity"])


def _refused_by_dateutil(text: str) -> bool:
    """True when dateutil, never fuzzy here, is sure to refuse `text` at its first token:
    a word (dateutil's tokens are letter runs) that is no number to float() ("nan",
    "inf"), weekday, month, am/pm, or word dateutil skips ("on", "of"). A bracket such as
    '[accessed 16 February 2011]' is tried as a bare date before its phrase is read, and
    dateutil's tokenizer took long to say no (measured: docs/performance.md)."""
    lead = _LEAD_WORD.match(text)
    if lead is None:
        return False
    word = lead.group()
    return (
        word.lower() not in _FLOAT_WORDS
        and _INFO.weekday(word) is None
        and _INFO.month(word) is None
        and _INFO.ampm(word) is None
        and not _INFO.jump(word)
    )


# the words a step of `parse_date_words` rewrites where they stand first: a month word put
# in English, a filler word cut, "sept" made "Sep"
_REWRITTEN_FIRST = frozenset(_MONTHS) | {"de", "del", "le", "am", "den", "sept"}


def _surely_no_date(text: str) -> bool:
    """True when `text` opens with a word no step of `parse_date_words` rewrites and that
    dateutil refuses (`_refused_by_dateutil`): the steps read no date opening with a word
    dateutil does not know (`_plain_date`'s opens with a month), so the answer is None
    without them. The bracket of every '[accessed 16 February 2011]' is tried as a bare
    date, each a new one to the cache (measured: docs/performance.md)."""
    lead = _LEAD_WORD.match(text)
    return (
        lead is not None
        and lead.group().lower() not in _REWRITTEN_FIRST
        and _refused_by_dateutil(text)
    )


def _by_dateutil(text: str) -> tuple[dt.date, Precision] | None:
    """dateutil's reading of `text`, parsed twice with defaults that differ in every field:
    a field that comes back different was not given."""
    if _refused_by_dateutil(text):
        return None
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


def find_stamps(text: str, date_order: str | None = None) -> list[AccessStamp]:
    """Every access stamp in `text`, in order of appearance. `date_order` ("dmy", "mdy")
    reads numeric dates like 02/03/2011; without it, a stamp in a language that writes the
    day first (all but English here) is read day first, and an English one keeps only what
    both readings share, with a note. The most specific forms are read first (Vancouver's
    "[cited ...]", a Japanese date before its phrase, a bare bracketed date), and a later
    match that overlaps one already found is skipped."""
    found: list[AccessStamp] = []

    def free(m: re.Match[str]) -> bool:
        return not found or not any(s.start < m.end() and m.start() < s.end for s in found)

    low = text.lower()
    # each pattern is run only on a line holding the words it cannot match without
    for m in _UNKNOWN.finditer(text) if "access" in low and "date" in low else ():
        found.append(AccessStamp(m.group(0).strip(), None, Precision.UNKNOWN, m.start(), m.end()))
    # "cited" in any case (re also matches "ı" and "İ" to its "i", never a letter to "ted")
    for m in _CITED.finditer(text) if "ted" in low else ():
        parsed = parse_date_words(m.group("date"), date_order)
        if parsed is not None and free(m):
            note = parsed[2] if len(parsed) > 2 else None  # type: ignore[misc]
            found.append(AccessStamp(m.group(0), parsed[0], parsed[1], m.start(), m.end(), note))
    for m in _AFTER.finditer(text) if any(w in text for w in _AFTER_WORDS) else ():
        parsed = parse_date_words(m.group("date"), date_order)
        if parsed is not None and parsed[1] is Precision.DAY and free(m):
            found.append(AccessStamp(m.group(0), parsed[0], parsed[1], m.start(), m.end()))
    for m in _BRACKETED.finditer(text):
        words = m.group("date")
        # a year ends the words or they are no date: a match of YEAR_END is at most ten
        # characters, so it is looked for there (its look-behind still sees what precedes)
        if not YEAR_END.search(words, max(0, len(words) - 10)) or not free(m):
            continue
        parsed = parse_date_words(words, date_order)
        if parsed is not None and parsed[1] is Precision.DAY and len(parsed) == 2:
            found.append(AccessStamp(m.group(0), parsed[0], parsed[1], m.start(), m.end()))
    first = _first_phrase(text, low)
    for m in () if first is None else _STAMP.finditer(text, first):
        if not free(m):
            continue
        order = date_order or (None if m.group("en") else "dmy")
        parsed = parse_date_words(m.group("date"), order)
        if parsed is None:
            continue
        date, precision = parsed[0], parsed[1]
        note = parsed[2] if len(parsed) > 2 else None  # type: ignore[misc]
        whole = m.group(0)
        raw = whole.strip()
        start = m.start() + len(whole) - len(whole.lstrip())
        found.append(AccessStamp(raw, date, precision, start, start + len(raw), note))
    found.sort(key=lambda s: s.start)
    return found


_KEPT_URL = re.compile(_URL)


def strip_stamps(text: str, stamps: list[AccessStamp]) -> str:
    """`text` with the stamps cut out and the leftover punctuation tidied. A URL inside a
    stamp ("Accessed at https://... on 14 December 2016") stays: it is the citation's."""
    out, pos = [], 0
    for s in stamps:
        out.append(text[pos : s.start])
        inside = text[s.start : s.end]
        if "http" in inside or "www." in inside:  # what a URL of _URL starts with
            out.extend(f" {u} " for u in _KEPT_URL.findall(inside))
        pos = s.end
    out.append(text[pos:])
    rest = squash("".join(out))
    return rest.strip(" ,;-–").strip()


def newest(stamps: list[AccessStamp]) -> AccessStamp | None:
    """The stamp with the latest date (undated stamps never win)."""
    dated = [s for s in stamps if s.date is not None]
    return max(dated, key=lambda s: s.date) if dated else None  # type: ignore[arg-type,return-value]


def _date_like(date: dt.date, words: str, lang: str) -> str:
    """`date` written the way `words` wrote the old one, in `lang`."""
    words = words.strip()
    if "年" in words:
        return f"{date.year}年{date.month}月{date.day}日"
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", words) or lang in _UNSPACED:
        return date.isoformat()
    if m := re.fullmatch(r"\d{1,2}([./])\d{1,2}\1\d{4}", words):
        return f"{date.day:02d}{m.group(1)}{date.month:02d}{m.group(1)}{date.year}"
    month = _MONTHS_OUT[lang].split()[date.month - 1]
    if lang == "de":
        return f"{date.day}. {month} {date.year}"
    if lang in ("es", "pt") and re.search(r"\bde\b", words, re.IGNORECASE):
        return f"{date.day} de {month} de {date.year}"
    if lang == "pt":  # ABNT: "3 jun. 2020"
        return f"{date.day} {_PT_SHORT.split()[date.month - 1]} {date.year}"
    return f"{date.day} {month} {date.year}"


def format_stamp(date: dt.date, like: str | None = None) -> str:
    """A new stamp for `date` in the style of an existing one (default: the seed page's).
    A stamp in another language gets the same phrase with the new date in that language."""
    if like and _BARE_ISO.fullmatch(like.strip()):
        return f"[{date.isoformat()}]"
    if like and _CITED.search(like):  # Vancouver/NLM
        return f"[cited {date.year} {date.strftime('%b')} {date.day}]"
    if like and (after := _AFTER.search(like)):
        return _date_like(date, after.group("date"), "ja") + after.group("kw")
    if like and (bare := _BRACKETED.fullmatch(like.strip())) and not _STAMP.search(like):
        words = bare.group("date")
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", words):
            return f"[{date.day:02d}.{date.month:02d}.{date.year}]"
        if words[:1].isalpha():  # "[January 19, 2019]"
            return f"[{date.strftime('%B')} {date.day}, {date.year}]"
        return f"[{date.day} {date.strftime('%B')} {date.year}]"
    m = _STAMP.search(like) if like else None
    lang = next((lang for lang in _KEYWORDS if m is not None and m.group(lang)), "en")
    if m is not None and lang != "en":
        head = m.string[m.start() : m.start("date")]
        tail = m.string[m.end("date") : m.end()]
        return (head + _date_like(date, m.group("date"), lang) + tail).strip()
    if like and re.search(r"retrieved", like, re.IGNORECASE):
        return f"Retrieved {date.strftime('%B')} {date.day}, {date.year}"
    if like and re.search(r"\d{4}-\d{2}-\d{2}", like):
        iso = f"accessed {date.isoformat()}"
        return f"[{iso}]" if like.lstrip().startswith("[") else iso
    return f"[accessed {date.day} {date.strftime('%B')} {date.year}]"
