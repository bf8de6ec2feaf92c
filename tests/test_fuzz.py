"""Property-based fuzzing of everything that reads other people's bytes: decoding, format
detection, the extractors (HTML, Markdown, text, URL lists), the stamp parser and URL
normalisation. The only exceptions allowed out are the documented input errors
(ExtractError, UrlError). Hypothesis runs a bounded number of examples per property
(derandomized, so CI is repeatable); `fuzz/fuzz_extract.py` is the coverage-guided
(atheris) counterpart, run here for a few seconds when atheris is installed."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from monitor.core.decoding import decode
from monitor.core.errors import ExtractError
from monitor.core.stamps import find_stamps, format_stamp, parse_date_words
from monitor.core.urls import UrlError, normalise, parse_archive_link
from monitor.pages.extract import extract
from monitor.pages.formats import NAMES as FORMATS

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# pieces a citation page is made of, shuffled with noise: the fuzzer then builds pages that
# look like citation lists often enough to reach the assembler's deep branches
PIECES = [
    "<a href='https://example.org/a'>", "</a>", "<b>", "</b>", "<br>", "<p>", "</p>", "<li>",
    "<ul>", "</ul>", "<div>", "<table><tr><td>", "<a href=", "'>", "<!--", "-->", "<script>",
    "<base href='http://x.example/dir/'>", "<a href='../rel'>", "<a href='javascript:x'>",
    "<a href='https://web.archive.org/web/20110216000000/http://a.example/x'>here</a>",
    "[accessed 16 February 2011]", "[accessed 7 June 2017]", "(accessed Sept. 9, 2009)",
    "Retrieved March 3, 2008", "accessed 2009", "[accessed ]", "[accessed 31 February 2011]",
    "Institute for War & Peace Reporting, 17 Nov 05", "Kazak Women Sold as Sex Slaves",
    "http://bare.example/path?q=1", "https://", "www.example.com", "\n", "\n\n", "  ", "&amp;",
    "&#0;", "\u202e", "\ufeff", "# Heading\n", "* item ", "[link](https://md.example/x)",
    "Страница", "日本語", "\x00", "\r\n",
]  # fmt: skip
page_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=20)), max_size=60).map(
    "".join
)


@FUZZ
@given(data=st.binary(max_size=4096), declared=st.sampled_from([None, "utf-8", "koi8-r", "bogus"]))
def test_decode_returns_text_or_says_why(data: bytes, declared: str | None) -> None:
    try:
        assert isinstance(decode(data, declared), str)
    except ExtractError as exc:
        assert str(exc)


@FUZZ
@given(text=page_text, fmt=st.sampled_from([None, *FORMATS]), name=st.sampled_from(
    [None, "page.html", "notes.md", "list.txt", "links.urls", "x"]))  # fmt: skip
def test_extract_never_crashes(text: str, fmt: str | None, name: str | None) -> None:
    try:
        result = extract(text, fmt=fmt, name=name, base_url="https://site.example/guide/")
    except ExtractError as exc:
        assert str(exc)
        return
    assert result.format in FORMATS
    for c in result.citations:
        if c.url is not None:
            assert c.url.startswith(("http://", "https://"))
        for s in c.stamps:
            assert s.date is None or 1900 <= s.date.year <= 2100


@FUZZ
@given(text=page_text)
def test_stamps_are_found_in_the_text_they_come_from(text: str) -> None:
    for s in find_stamps(text):
        assert text[s.start : s.end].strip() == s.raw
        if s.date is not None:
            assert format_stamp(s.date, s.raw)  # a found stamp can always be re-stamped


@FUZZ
@given(words=st.text(max_size=40))
def test_date_words_parse_or_return_none(words: str) -> None:
    parsed = parse_date_words(words)
    if parsed is not None:
        assert isinstance(parsed[0], dt.date) and 1900 <= parsed[0].year <= 2100


@FUZZ
@given(url=st.one_of(st.text(max_size=80), st.sampled_from(PIECES).map(lambda p: p + "/x")))
def test_urls_normalise_or_raise_url_error(url: str) -> None:
    try:
        out = normalise(url, "https://base.example/dir/page.html")
    except UrlError:
        return
    assert out.startswith(("http://", "https://"))
    parse_archive_link(out)  # never raises either


@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None, reason="atheris is not installed here"
)
def test_coverage_guided_fuzzing_finds_nothing_in_a_short_run(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "fuzz" / "fuzz_extract.py"),
            "-max_total_time=10",
            "-rss_limit_mb=1024",
            f"-artifact_prefix={tmp_path}/",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Done" in r.stderr  # libFuzzer's summary: the run ended by time, not by a crash


# fragments of what reference sections are made of, for the structure-aware property below
REF_PARTS = [
    '<ol class="references">', "</ol>", "<li>", "</li>", "<h2>References</h2>",
    '<div class="mw-heading"><h2>Notes</h2></div>',
    '<a class="external text" href="https://web.archive.org/web/2019/http://x.org/a">"T"</a>',
    '<a href="http://x.org/a">the original</a>', '<a href="/wiki/Foo">Foo</a>',
    '<a href="#cite_ref-1">^</a>', '<span class="mw-cite-backlink">^</span>',
    'Retrieved <span class="nowrap">18 November</span> 2015', "<cite>", "</cite>", "<div>",
    "</div>", "<p>", "</p>", "//doi.org/10.1/x", '<a href="//doi.org/10.1/x">doi</a>', "text ",
    "(2008). ", "<nav>", "</nav>", '<base href="//h.example/">',
    '<a href="https://doi.org/10.1/y">10.1/y</a>',
    '<div class="refbegin"><ul><li>Book (2001). Title.</li></ul></div>', "<ul>", "</ul>",
    "accessed 02/03/2011", "«Q»", "<a>", "</a>", '<a href="">x</a>', '<li id="cite_note-1">',
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@example(  # found by a seeded run of this generator: a URL written as text, cut from its line
    [
        "".join(
            [
                '<ul></ul></ul>«Q»(2008). <cite><li id="cite_note-1">accessed 02/03/2011</li><spa',
                'n class="mw-cite-backlink">^</span><div><ul><div class="mw-heading"><h2>Notes</h',
                '2></div><a href="">x</a><a href="https://doi.org/10.1/y">10.1/y</a></nav>//doi.o',
                'rg/10.1/x<h2>References</h2><h2>References</h2></cite><span class="mw-cite-backl',
                'ink">^</span><div><div>text </div>',
            ]
        )
    ],
    "auto",
    None,
)
@given(
    st.lists(st.sampled_from(REF_PARTS), max_size=40),
    st.sampled_from(["auto", "all", "ol.references", "li > a"]),
    st.sampled_from([None, "https://en.wikipedia.org/wiki/X"]),
)
def test_reference_sections_of_any_shape_never_crash(
    parts: list[str], scope: str, base: str | None
) -> None:
    """A random mix of reference-list pieces. The @example is a crash a seeded run found:
    a URL written as text became the anchor title, then was cut from its line."""
    with contextlib.suppress(ExtractError):
        ex = extract("".join(parts) or "x", fmt="html", scope=scope, base_url=base)
        assert all(c.url is None or c.url.startswith(("http://", "https://")) for c in ex.citations)
