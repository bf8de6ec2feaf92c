"""Plain-text reference lists, one reference per line: each line its own citation, with its
own title, URL and stamp, never one citation holding every stamp of the list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.pages.extract import extract
from monitor.pages.formats import detect_format

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

WIKI_COPY = """\
1. ^ "Kazakhstan: Women sold as slaves". BBC News. 12 March 2005. Retrieved 16 February 2011.
2. ^ Smith, John (2008). The Steppe Economy. Oxford University Press. p. 45. ISBN 978-0-19-000000-0.
3. ^ a b "Human trafficking report 2017" (PDF). U.S. Department of State.
   https://www.state.gov/reports/2017-tip.pdf. Archived from the original on 3 May 2018.
   https://web.archive.org/web/20180503000000/https://www.state.gov/reports/2017-tip.pdf
   Retrieved 7 June 2017.
4. ^ Baituova, Gaziza (17 November 2005). "Kazak Women Sold as Sex Slaves". Institute for War & Peace Reporting. //iwpr.net/global-voices/kazak-women. Retrieved 16 February 2011.
5. ^ "Street children". UNICEF. https://www.unicef.org/kazakhstan/street-children. Retrieved 2 March 2019.
"""


def test_a_copied_wikipedia_reference_list_gives_one_citation_per_reference() -> None:
    ex = extract(WIKI_COPY, name="refs.txt")
    assert ex.format == "text"
    got = [(c.title, c.url, [s.date for s in c.stamps]) for c in ex.citations]
    assert got == [
        ("Kazakhstan: Women sold as slaves", None, [dt.date(2011, 2, 16)]),
        ("The Steppe Economy", None, []),
        (
            "Human trafficking report 2017",
            "https://www.state.gov/reports/2017-tip.pdf",
            [dt.date(2017, 6, 7)],
        ),
        (
            "Kazak Women Sold as Sex Slaves",
            "https://iwpr.net/global-voices/kazak-women",  # protocol-relative: https
            [dt.date(2011, 2, 16)],
        ),
        ("Street children", "https://www.unicef.org/kazakhstan/street-children", [dt.date(2019, 3, 2)]),
    ]
    (arch,) = ex.citations[2].archive_links  # the wrapped lines belong to reference 3
    assert arch.original_url == "https://www.state.gov/reports/2017-tip.pdf"
    assert ex.citations[4].publisher == "UNICEF"


def test_unmarked_lines_with_their_own_stamps_and_a_heading() -> None:
    text = (
        "# Reading list\n\nSome notes on sources.\n\n"
        "Smith, J. The Steppe. Almaty Press, 2008. accessed 5 May 2019\n"
        "Doe, A. Trafficking today. Astana Books, 2010. http://doe.example/t accessed 6 June 2019\n"
    )
    assert detect_format("list.txt", text) == "text"  # a `# ` line is not Markdown syntax
    ex = extract(text, name="list.txt")
    assert [(c.url, [s.date for s in c.stamps]) for c in ex.citations] == [
        (None, [dt.date(2019, 5, 5)]),
        ("http://doe.example/t", [dt.date(2019, 6, 6)]),
    ]
    assert detect_format("list.txt", "# Links\n[Alpha](https://a.example/x)\n") == "markdown"


def test_the_seed_text_page_keeps_its_block_layout() -> None:
    ex = extract((SEEDS / "kazakhstan.txt").read_text("utf-8"), name="kazakhstan.txt")
    assert len(ex.citations) == 21  # each checked by hand in test_extract.EXPECTED
    assert sum(len(c.stamps) for c in ex.citations) == 25  # four carry two stamps


def test_a_journal_issue_in_parentheses_is_not_an_author_year() -> None:
    """In "Science. 2007;317(5837):519-23" the number in parentheses is an issue, not the
    year of "Author (2007). Title.", so the title is the first sentence."""
    from monitor.pages.titles import ref_title

    text = "The Near Eastern origin of cat domestication. Science. 2007 Jul 27;317(5837):519-23"
    assert ref_title(text) == "The Near Eastern origin of cat domestication"
    assert ref_title("Horn, R. (2013a). Matrix Analysis. CUP.") == "Matrix Analysis"
    assert ref_title("Smith, J. (May 2008). A title here. Pub") == "A title here"
