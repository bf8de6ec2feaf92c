"""The source map: where each citation is in the page, the same answer for ingest (the
stored line), the report (which shows it) and `patch` (which edits there)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.core.stamps import find_stamps
from monitor.pages.extract import extract
from monitor.pages.sourcemap import locate

PAGES = Path(__file__).resolve().parents[1] / "pages"
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_6a4bac5434ec1c04.txt"
CORPUS = sorted(
    p for p in PAGES.iterdir() if p.suffix in (".html", ".md", ".txt") and p.stem != "README"
)


@pytest.mark.parametrize("page", CORPUS, ids=lambda p: p.stem)
def test_every_citation_of_a_real_page_has_its_line(page: Path) -> None:
    """Each citation's line holds its link as written (or, unlinked, its title's first
    word), a wrapped link or title at most a line further."""
    raw = page.read_text("utf-8")
    ex = extract(raw, name=page.name)
    lines = raw.splitlines()
    assert ex.citations and all(c.source_line for c in ex.citations)
    for c in ex.citations:
        here = " ".join(lines[c.source_line - 1 : c.source_line + 1])  # type: ignore[operator]
        probe = (c.raw_url or "")[:16] or (c.title or "").split()[0]
        assert probe in here or probe.replace("&", "&amp;") in here, (c.source_line, probe)


def test_the_seed_page_is_mapped_line_by_line() -> None:
    if not SEED.exists():
        pytest.skip(f"{SEED} is not beside the repository")
    raw = SEED.read_text("utf-8")
    ex = extract(raw, name=SEED.name)
    lines = raw.splitlines()
    for c in ex.citations:
        assert c.source_line is not None
        if c.raw_url:
            assert c.raw_url in lines[c.source_line - 1]


def test_a_stamp_before_its_link_and_one_split_by_tags_are_both_mapped() -> None:
    page = (
        "<ol><li>Title one. Publisher. [accessed 30 August 2018]. "
        '<a href="http://a.example/1">http://a.example/1</a></li>\n'
        '<li><a href="http://b.example/2">Two</a>. Site. '
        '<span class="reference-accessdate"> [<span class="nowrap">2020-01-11</span>]</span>'
        "</li></ol>"
    )
    ex = extract(page, fmt="html")
    stamps = [[s.raw for s in c.stamps] for c in ex.citations]
    one, two = locate(page, "html", ex.citations, stamps)
    assert one is not None and two is not None
    (s1,) = one.stamps.values()
    assert page[s1[0] : s1[1]] == "[accessed 30 August 2018]" and s1[1] < one.anchor[0]
    (s2,) = two.stamps.values()
    assert page[s2[0] : s2[1]] == '[<span class="nowrap">2020-01-11</span>]'
    assert one.end <= two.start  # each citation is its own list item
    assert (one.line, two.line) == (1, 2)
    assert find_stamps("[2020-01-11]")[0].date == dt.date(2020, 1, 11)


def test_a_url_broken_over_lines_and_a_wrapped_title_are_found() -> None:
    """RFC reference sections wrap long URLs and titles; the map still finds them."""
    text = (
        "References\n\n"
        '   [A]  Doe, J., "A title that is long enough to be\n'
        '        wrapped over two lines", 2020, <https://example.org/a/very/long/\n'
        "        path/to/the/document.html>.\n\n"
        '   [B]  Roe, R., "Another", 2021, <https://example.org/b>.\n'
    )
    ex = extract(text, fmt="text")
    c, b = ex.citations
    assert b.source_line == 7
    assert c.url == "https://example.org/a/very/long/path/to/the/document.html"
    assert c.source_line == 4


def test_a_note_goes_after_the_closing_bracket_of_a_url_written_as_text() -> None:
    page = (
        "<ul><li>Smith. &quot;Kazak Women Sold.&quot; IWPR, 2005, "
        "&lt;http://iwpr.net/report-news/kazak-women-sold-\nas-sex-slaves&gt;.</li>\n"
        "<li>Doe (2008). Two. Available at: http://example.org/a.html</li>\n"
        "<li>Roe (2009). Three. <http://example.org/b.html></li></ul>"
    )
    ex = extract(page, fmt="html")
    places = locate(page, "html", ex.citations, [[] for _ in ex.citations])
    assert all(places)
    one = places[0]
    assert one is not None and page[one.link_end - 4 : one.link_end] == "&gt;"
    assert "\n" in page[one.anchor[0] : one.anchor[1]]  # the broken URL, found whole


def test_stamp_span_as_written_finds_what_the_pattern_finds() -> None:
    """A stamp found as written, without its pattern, is where the pattern would find it:
    in spans holding it once, twice, split by tags or entities, first or last."""
    import random
    import re

    from monitor.pages import sourcemap as sm

    def by_pattern(text: str, raw: str, last: bool) -> tuple[int, int] | None:
        pattern = re.compile(sm._GAP.join(sm._word_pattern(w) for w in raw.split()))
        spans = [m.span() for m in pattern.finditer(text)]
        return (spans[-1] if last else spans[0]) if spans else None

    rnd = random.Random(3)
    raws = ["[accessed 16 February 2011]", "Retrieved 18 November 2015", "[cited 2024 Feb 19]"]
    bits = ["x ", "[", "Retrieved ", "<span>", "</span>", "&amp; ", "\n", "2011", "[accessed "]
    for _ in range(3000):
        raw = rnd.choice(raws)
        text = "".join(rnd.choice([*bits, raw, raw.replace(" ", "\n", 1)]) for _ in range(6))
        for last in (True, False):
            got = sm.stamp_span(text, raw, 0, len(text), last)
            assert got == by_pattern(text, raw, last), (text, raw, last)
