"""Citation extraction from every input format, checked against the seed page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.core.decoding import decode
from monitor.core.errors import ExtractError
from monitor.pages.extract import extract, html_lines
from monitor.pages.formats import detect_format

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# (title, publisher, access dates) of the seed page's 21 stamped citations, as the seed
# page gives them (seeds/kazakhstan.txt). "Web. 9 Sept. 2009" is an MLA access stamp and so
# is parsed as one, not left inside the publisher line.
EXPECTED = [
    ("Kazak Women Sold as Sex Slaves", "Gaziza Baituova, Institute for War & Peace Reporting IWPR correspondent in Taraz - The Women’s Reporting & Dialogue Programme, WPR Issue 2, 17 Nov 05", ["2011-02-16", "2017-06-07"]),
    ("Freedom House Country Report - Political Rights: 7 Civil Liberties: 5 Status: Not Free", "2018 Edition", ["2019-02-11"]),
    ("2017 Country Reports on Human Rights Practices", "U.S. Dept of State Bureau of Democracy, Human Rights, and Labor, 20 April 2018", ["2019-03-25"]),
    ("2017 Findings on the Worst Forms of Child Labor", "Office of Child Labor, Forced Labor, and Human Trafficking, Bureau of International Labor Affairs, US Dept of Labor, 2018", ["2019-04-18"]),
    ("EU Presses Russia on Human Trafficking", "Vladimir Kovalev, February 23, 2007 – Source: Transitions Online—Intelligent Eastern Europe", ["2012-08-30"]),
    ("Atyrau authorities plan to prevent human trafficking", "Andrey Sokolov, Kazinform National Information Agency, July 14, 2006", ["2011-02-16"]),
    ("Kazakhstan Ups Efforts To Combat Human Trafficking", "Hellenic Resources Institute HR-Net, January 14, 2005", ["2011-02-16"]),
    ("Forced Labour In The Russian Federation Today: Irregular Migration And Trafficking In Human Beings [PDF]", "Elena Tyuryukanova, International Labour Office, ILO, Geneva, September 2005", ["2011-02-16"]),
    ("Kazakhstan Plans Tougher Punishment for Human Trafficking", "News Bulletin of the Embassy of the Republic of Kazakhstan to the USA and Canada, Vol. 1, No. 31, July 7, 2004", ["2011-09-07"]),
    ("Corruption is Limiting Kazakhstan’s Efforts Against Human Trafficking", "Radio Free Europe/Radio Liberty RFE/RL, June 02, 2004", ["2013-07-11"]),
    ("Voice of Democracy", "Kazakhstan 21st Century Foundation, Washington, D.C., Aug. 14, 2003", ["unknown"]),
    ("Kazakhstan Attacks Human Trafficking", "Elina Karakulova, Kazakhstan Daily Digest, 31 July 2003", ["2009-09-09", "2011-09-07"]),
    ("U.S. Lauds Kazakhstan for Actions Against Human Trafficking", "News Bulletin of the Embassy of the Republic of Kazakhstan to the USA and Canada, Vol. 3, No. 11, Sept 10, 2003", ["2011-09-07"]),
    ("US Human Trafficking Report Faults Georgia, Kazakhstan, Turkey and Uzbekistan, August 20, 2003", None, ["2011-02-16", "2018-02-04"]),
    ("The Department of Labor’s 2004 Findings on the Worst Forms of Child Labor", "U.S. Dept of Labor Bureau of International Labor Affairs, 2005", ["2011-02-16"]),
    ("Human Rights Reports » 2005 Country Reports on Human Rights Practices", "U.S. Dept of State Bureau of Democracy, Human Rights, and Labor, March 8, 2006", ["2011-02-16"]),
    ("Concluding Observations of the Committee on the Rights of the Child (CRC)", "UN Convention on the Rights of the Child, 6 June 2003", ["2011-02-16"]),
    ("The Protection Project - Kazakhstan", "The Paul H. Nitze School of Advanced International Studies (SAIS), The Johns Hopkins University", ["2009", "2016-02-22"]),
    ("Human Rights Overview", "Human Rights Watch", ["2011-02-16"]),
    ("Stop Violence Against Women – Country Page", "The Advocates for Human Rights, July 21, 2010", ["2011-02-16"]),
    ("U.S. Library of Congress - Country Study", "Library of Congress Call Number DK851 .K34 1997", ["2019-02-11"]),
]  # fmt: skip


def _summary(c) -> tuple:
    return (c.title, c.publisher, [s.display() for s in c.stamps])


def test_seed_text_page_yields_its_21_unlinked_citations() -> None:
    ex = extract((SEEDS / "kazakhstan.txt").read_text("utf-8"), name="kazakhstan.txt")
    assert ex.format == "text"
    assert [_summary(c) for c in ex.citations] == EXPECTED
    assert all(c.url is None for c in ex.citations)
    assert ex.citations[0].excerpt.startswith("When teenagers Lyuda and Sveta")


def test_seed_html_page_has_the_same_citations_with_links() -> None:
    ex = extract((SEEDS / "kazakhstan.html").read_text("utf-8"), name="kazakhstan.html")
    assert ex.format == "html"
    assert ex.title == "Human Trafficking & Modern-day Slavery - Kazakhstan"
    stamped = [c for c in ex.citations if c.stamps]
    assert [_summary(c) for c in stamped] == EXPECTED
    linked = [c for c in ex.citations if c.url]
    assert len(ex.citations) == 23 and len(linked) == 15
    assert ex.citations[0].title == "The World Factbook, U.S.C.I.A. 2009"
    assert stamped[0].url == "https://iwpr.net/global-voices/kazak-women-sold-sex-slaves"
    # The navigation links are relative and the file has no base: skipped, and counted.
    assert ex.skipped == {"relative link with no base URL": 16}


def test_relative_links_resolve_against_the_page_url() -> None:
    html = '<p><a href="/r/1">Report one</a><br>[accessed 2 March 2010]</p>'
    ex = extract(html, fmt="html", base_url="http://gvnet.com/humantrafficking/Kazakhstan.htm")
    assert ex.citations[0].url == "http://gvnet.com/r/1"
    ex2 = extract('<base href="http://b.example/x/">' + html, fmt="html")
    assert ex2.citations[0].url == "http://b.example/r/1"


def test_archive_here_links_are_fallbacks_not_sources() -> None:
    html = """
    <p><a href="http://embassy.example/bulletin/31.htm"><b>Kazakhstan Plans Tougher Punishment</b></a><br>
    News Bulletin of the Embassy, Vol. 1, No. 31, July 7, 2004<br>
    At one time this article had been archived and may possibly still be accessible
    <a href="https://web.archive.org/web/20110907000000/http://embassy.example/bulletin/31.htm">[here]</a><br>
    [accessed 7 September 2011]</p>
    <p>KAZAKHSTAN PLANS TOUGHER PUNISHMENT FOR HUMAN TRAFFICKING - One of the problems authorities face is the natural desire of victims to stay anonymous.</p>
    <p><b>Unlinked but archived</b><br>Somebody, 2003<br>
    may possibly still be accessible <a href="http://web.archive.org/web/2005/http://gone.example/a">[here]</a><br>
    [accessed 7 September 2011]</p>
    """
    ex = extract(html, fmt="html")
    assert len(ex.citations) == 2
    first, second = ex.citations
    assert first.url == "http://embassy.example/bulletin/31.htm"
    assert first.publisher == "News Bulletin of the Embassy, Vol. 1, No. 31, July 7, 2004"
    assert [a.captured_at for a in first.archive_links] == [dt.datetime(2011, 9, 7, tzinfo=dt.UTC)]
    # Only an archive link: the cited URL is the archived original, the link its fallback.
    assert second.title == "Unlinked but archived"
    assert second.url == "http://gone.example/a"
    assert second.archive_links[0].archive_url.startswith("http://web.archive.org/web/2005/")


def test_bibliography_list_and_skipped_links() -> None:
    html = """<ul>
    <li><a href="http://a.example/x">Alpha report</a>, Some Publisher, 2005. Retrieved July 7, 2004</li>
    <li><a href="https://b.example/y#section">Beta</a></li>
    <li><a href="javascript:void(0)">menu</a> <a href="mailto:x@y.org">mail us</a></li>
    </ul>"""
    ex = extract(html, fmt="html")
    assert [(c.title, c.publisher, c.url) for c in ex.citations] == [
        ("Alpha report", "Some Publisher, 2005", "http://a.example/x"),
        ("Beta", None, "https://b.example/y"),
    ]
    assert ex.skipped == {"javascript: link": 1, "mailto: link": 1}


def test_markdown_and_plain_text_and_url_lists() -> None:
    md = "# Reading list\n\n- [Alpha report](http://a.example/x), Publisher, 2005 (accessed 2011-02-16)\n"
    ex = extract(md, name="list.md")
    assert ex.format == "markdown"
    (c,) = ex.citations
    assert (c.title, c.publisher, c.url) == (
        "Alpha report",
        "Publisher, 2005",
        "http://a.example/x",
    )
    assert c.stamps[0].date == dt.date(2011, 2, 16)

    text = "Some title\nSome Publisher, 2004\nhttp://t.example/p\n[accessed 2009]\n"
    (t,) = extract(text, fmt="text").citations
    assert (t.title, t.publisher, t.url) == (
        "Some title",
        "Some Publisher, 2004",
        "http://t.example/p",
    )

    urls = "# my links\nhttp://a.example/1\nhttps://b.example/2 Beta title\nnot a url\n"
    assert detect_format("links.txt", "http://a.example/1\nhttp://b.example/2\n") == "urls"
    ex = extract(urls, fmt="urls")
    assert [(c.url, c.title) for c in ex.citations] == [
        ("http://a.example/1", None),
        ("https://b.example/2", "Beta title"),
    ]
    assert ex.skipped == {"relative link with no base URL": 1}


def test_same_url_twice_is_kept_per_citation_but_extracted_once_per_block() -> None:
    html = '<p><a href="http://a.example/x">One</a> <a href="http://A.example:80/x#f">again</a><br>[accessed 2010]</p>'
    (c,) = extract(html, fmt="html").citations
    assert c.url == "http://a.example/x"


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\x00\x01\x02binary\x00", "binary"), (b"   \n\n", "empty page")],
)
def test_bad_content(data: bytes, message: str) -> None:
    with pytest.raises(ExtractError, match=message):
        extract(decode(data), fmt="text")


def test_cyrillic_encodings_are_decoded() -> None:
    text = "Страница не найдена - доклад о торговле людьми в Казахстане, опубликованный в 2005 году"
    assert decode(text.encode("cp1251")) == text
    assert decode(text.encode("koi8-r"), "koi8-r") == text
    assert decode(b'<meta charset="windows-1251">' + text.encode("cp1251")).endswith(text)


def test_malformed_and_deep_html_does_not_break() -> None:
    assert extract("<p><a href='http://a.example/'>x<div><table><tr><td>", fmt="html").citations
    deep = "<div>" * 20000 + '<a href="http://deep.example/">Deep</a>' + "</div>" * 20000
    (c,) = extract(deep, fmt="html").citations
    assert c.url == "http://deep.example/"


def test_reference_sections_headed_in_chinese_and_arabic() -> None:
    """A blog in Chinese or Arabic heads its references 参考资料 / مراجع: citations come from
    there, not from the prose link above."""
    page = (
        '<html><body><p>Intro <a href="https://a.example/x">prose link</a> text.</p>'
        '<h2>参考资料</h2><ul><li><a href="https://b.example/1">一</a> [2020-01-11]</li>'
        '<li><a href="https://b.example/2">二</a></li><li><a href="https://b.example/3">三</a>'
        '</li></ul><h2>مراجع</h2><ul><li><a href="https://c.example/1">واحد</a></li></ul>'
        "</body></html>"
    )
    got = [(c.url, c.title, [str(s.date) for s in c.stamps]) for c in extract(page).citations]
    assert got == [
        ("https://b.example/1", "一", ["2020-01-11"]),
        ("https://b.example/2", "二", []),
        ("https://b.example/3", "三", []),
        ("https://c.example/1", "واحد", []),
    ]


def test_a_works_cited_list_whose_urls_are_written_as_text() -> None:
    """MLA, APA and Harvard lists on hosted site builders often link nothing: the URL is
    text, in angle brackets or after "Available at:", sometimes broken over two lines. The
    list is the page's citations (not the builder's menu and footer), each titled by its
    quoted or `(2008).` title, the URL put back together."""
    page = (
        '<html><body><nav><a href="/home">Home</a> <a href="/about">About</a></nav>'
        "<p>Intro text for the essay here.</p><h2>Works Cited</h2><ul>\n"
        "<li>Smith, John. &quot;Kazak Women Sold.&quot; <i>IWPR</i>, 17 Nov. 2005, "
        "&lt;http://iwpr.net/report-news/kazak-women-sold-\nas-sex-slaves&gt;. "
        "Accessed 16 Feb. 2011.</li>\n"
        "<li>Doe, J. (2008). Title two. Publisher. Available at: http://example.org/a/b.html "
        "(accessed 3 March 2012).</li>\n"
        "<li>Poe, E. (2010). Fourth. Retrieved from http://example.net/long/\npath/file.pdf</li>"
        '\n</ul><footer><a href="https://builder.example/">Made with Builder</a></footer>'
        "</body></html>"
    )
    got = [
        (c.url, c.title, c.publisher, [str(s.date) for s in c.stamps], c.source_line)
        for c in extract(page, base_url="https://me.example/essay").citations
    ]
    assert got == [
        (
            "http://iwpr.net/report-news/kazak-women-sold-as-sex-slaves",
            "Kazak Women Sold",
            "IWPR, 17 Nov. 2005",
            ["2011-02-16"],
            2,
        ),
        ("http://example.org/a/b.html", "Title two", "Publisher", ["2012-03-03"], 4),
        ("http://example.net/long/path/file.pdf", "Fourth", None, [], 5),
    ]


def test_a_text_page_is_named_by_its_heading_or_else_its_file() -> None:
    """A text page whose first line is a paragraph, not a heading, is named by its file name
    (the report listed a whole first paragraph as a page title)."""
    body = "http://a.example/x Title one [accessed 2011]\n"
    long_first = "A first paragraph that goes on about the many reports cited below. " * 2
    assert extract(long_first + "\n\n" + body, name="reading-list.txt").title == "reading-list.txt"
    assert extract("Trafficking reports\n\n" + body, name="r.txt").title == "Trafficking reports"


def test_a_large_pages_freed_parse_tree_is_given_back_to_the_system() -> None:
    """glibc keeps freed heap memory; lexbor's tree is several times the page, so without
    `give_back_memory` a big page's tree stayed resident through the rest of an ingest."""
    from monitor.pages import htmlparse

    if htmlparse._malloc_trim() is None:
        pytest.skip("no malloc_trim here (not glibc): nothing is held back to give")

    def resident_mb() -> float:
        return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20

    page = (
        "<ol>"
        + "".join(
            f'<li><a href="https://h{i % 50}.example/a/{i}">Report number {i} on the region</a>, '
            f"Institute {i % 7}, [accessed 3 May 2020]</li>"
            for i in range(100_000)
        )
        + "</ol>"
    )  # about 12 MB
    tree = htmlparse.parse_html(page)
    lines, _, _ = html_lines(tree)  # read as extract reads it, its lines kept
    assert len(lines) == 100_000
    del tree
    before = resident_mb()
    htmlparse.give_back_memory()
    assert before - resident_mb() > 10, (before, resident_mb())


def test_link_text_without_a_digit_is_tried_as_an_identifier_only_when_it_may_be_one() -> None:
    """`titles._may_identify` says no only where `_IDENTIFIER_TEXT` cannot match: every
    form it reads (DOIs, numbers, bibcodes, author-date labels) holds a digit or ends
    in a run of X and hyphens."""
    from monitor.pages.titles import _IDENTIFIER_TEXT, _may_identify

    texts = [
        "doi:10.1000/182", "10.1000/182", "pmid: 12345678", "isbn 0-306-40615-2", "xxxxx",
        "ISBN XXXX-X", "-----", "issn ----x\n", "2004PASP..116..622B", "anderson, 2017a",
        "björk et al. (2010)", "smith and lee 1999", "bloch, m., & corum, j. (2008, may 5)",
        "a title of words", "here", "the original", "x", "rx", "isbn x-x-x-x-x",
    ]  # fmt: skip
    for text in texts:
        for t in (text, text.lower(), text.upper()):
            assert not _IDENTIFIER_TEXT.match(t) or _may_identify(t), t
    assert not _may_identify("a title of words") and _may_identify("isbn xxxxx")
