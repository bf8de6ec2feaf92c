"""Reference lists found by structure and by language (issue 28): headings of any level,
with permalinks and numbering around their words, in many languages; a page whose body is
a list of linked works is read whole; an article's back matter in <footer> is its list."""

from __future__ import annotations

import pytest

from monitor.pages.extract import extract

PROSE = "<p>We read <a href='https://prose.example/a'>an essay</a> before this list.</p>"


def _refs(heading: str, level: int = 2) -> str:
    items = "".join(
        f"<li><a href='https://ref.example/{n}'>Work number {n}</a>, 2019.</li>" for n in range(4)
    )
    return f"<html><body>{PROSE}<h{level}>{heading}</h{level}><ol>{items}</ol></body></html>"


@pytest.mark.parametrize(
    "heading",
    [
        "References", "References<a href='#references'>#</a>", "<a href='#r'>¶</a> Sources",
        "7. References", "B Bibliography", "Referências Bibliográficas", "Примечания",
        "Источники", "参考文献", "Einzelnachweise", "Literatur", "Références", "Bibliografía",
        "Referințe", "Przypisy", "脚注",
    ],
)  # fmt: skip
@pytest.mark.parametrize("level", [1, 2, 6])
def test_a_reference_heading_of_any_level_and_language_narrows_to_its_list(
    heading: str, level: int
) -> None:
    urls = [c.url for c in extract(_refs(heading, level), fmt="html").citations]
    assert urls == [f"https://ref.example/{n}" for n in range(4)]


def test_a_heading_that_is_not_a_reference_heading_does_not() -> None:
    urls = {
        c.url for c in extract(_refs("Reference architecture for caching"), fmt="html").citations
    }
    assert "https://prose.example/a" in urls


def test_a_list_page_with_a_trailing_footnotes_section_is_read_whole() -> None:
    items = "\n".join(
        f"- [Falsehoods about thing {n}](https://site{n}.example/post) - a list." for n in range(15)
    )
    md = f"# Awesome things\n\n## Things\n\n{items}\n\n## Footnotes\n\n1. [The quote](https://quote.example/source) and [a licence](https://cc.example/by) and [an image](https://img.example/x).\n"
    urls = {c.url for c in extract(md, fmt="markdown").citations}
    assert {f"https://site{n}.example/post" for n in range(15)} <= urls


def test_markdown_honours_scope_all() -> None:
    md = "Intro with [a prose link](https://prose.example/a).\n\n## References\n\n" + "\n".join(
        f"- [Ref {n}](https://ref.example/{n})" for n in range(4)
    )
    assert "https://prose.example/a" not in {c.url for c in extract(md, fmt="markdown").citations}
    assert "https://prose.example/a" in {
        c.url for c in extract(md, fmt="markdown", scope="all").citations
    }


def test_an_articles_back_matter_in_a_footer_is_its_reference_list() -> None:
    items = "".join(
        f"<li><a href='https://ref.example/{n}'>Study {n} of things</a>. J Things. 2001.</li>"
        for n in range(3)
    )
    html = (
        "<html><body><header><a href='https://site.example/login'>Log in</a></header><article>"
        f"<p>Text <a href='https://prose.example/a'>link</a>.</p><footer class='back'>"
        f"<section><header><h2>References</h2></header><ul>{items}</ul></section></footer>"
        "</article><footer><a href='https://site.example/about'>About</a></footer></body></html>"
    )
    urls = [c.url for c in extract(html, fmt="html").citations]
    assert urls == [f"https://ref.example/{n}" for n in range(3)]


@pytest.mark.parametrize(
    "heading",
    [
        "<p><strong>Quellen</strong></p>",
        "<div class='tab-headline'>Sources:</div>",
        "<p><b>Références</b></p>",
    ],
)
def test_a_block_standing_as_a_heading_opens_the_reference_list(heading: str) -> None:
    nav = "".join(f"<li><a href='https://site.example/{n}'>Section {n}</a></li>" for n in range(5))
    refs = "".join(
        f"<li>Author {n} (2014): <a href='https://ref.example/{n}'>A study</a>.</li>"
        for n in range(3)
    )
    html = f"<html><body><ul>{nav}</ul><p>Text.</p>{heading}<ul>{refs}</ul></body></html>"
    assert [c.url for c in extract(html, fmt="html").citations] == [
        f"https://ref.example/{n}" for n in range(3)
    ]


def test_a_wikis_list_of_database_records_is_not_cited_but_its_official_site_is() -> None:
    html = (
        "<html><body><p>Article text.</p><ol class='references'><li>"
        "<a class='external' href='https://news.example/a'>A report</a>, 2020.</li></ol>"
        "<h2>Liens externes</h2><ul><li><a href='https://show.example/'>Site officiel</a></li>"
        "<li>Ressources relatives à l'audiovisuel : <a href='https://imdb.example/t'>IMDb</a> · "
        "<a href='https://allocine.example/s'>Allociné</a> · <a href='https://meta.example/x'>Metacritic</a></li></ul>"
        "</body></html>"
    )
    urls = [c.url for c in extract(html, fmt="html").citations]
    assert urls == ["https://news.example/a", "https://show.example/"]


def test_urls_written_without_a_scheme_are_cited_as_https_and_kept_as_written() -> None:
    text = (
        "Works Cited\n\n"
        '- "Stretcher." Canadian War Museum, www.warmuseum.ca/collections/artifact/1016905/. Accessed 3 May 2020.\n'
        '- "Plato." Britannica School, school.eb.com/levels/high/article/Plato/60. Accessed 4 May 2020.\n'
        "- Müller, A.: Digitale Editionen. Abgerufen von www.zfdg.de/2018_002, Zugriff am 20.05.2018.\n"
        "- See e.g. config.toml, Node.js and mail me@people.example: none of these is a link.\n"
    )
    found = [
        (c.url, c.raw_url, [str(s.date) for s in c.stamps])
        for c in extract(text, fmt="text").citations
    ]
    assert found == [
        (
            "https://www.warmuseum.ca/collections/artifact/1016905/",
            "www.warmuseum.ca/collections/artifact/1016905/",
            ["2020-05-03"],
        ),
        (
            "https://school.eb.com/levels/high/article/Plato/60",
            "school.eb.com/levels/high/article/Plato/60",
            ["2020-05-04"],
        ),
        ("https://www.zfdg.de/2018_002", "www.zfdg.de/2018_002", ["2018-05-20"]),
    ]
    html = "<ol><li>Banfield. State of Pet Health Report. wendyblount.com/a/report.pdf. Accessed 3 October 2020.</li></ol>"
    (c,) = extract(f"<html><body><h2>References</h2>{html}</body></html>", fmt="html").citations
    assert (c.url, c.raw_url) == (
        "https://wendyblount.com/a/report.pdf",
        "wendyblount.com/a/report.pdf",
    )


def test_a_zotero_bibliography_pasted_into_markdown_is_one_citation_per_entry() -> None:
    md = (
        '# Project\n\n## Bibliography\n\n<div class="csl-bib-body">\n'
        '  <div class="csl-entry">City of Springfield. (2020, March 3). <i>Annual water report</i>. '
        "Retrieved June 3, 2021, from https://springfield.example/report.pdf</div>\n"
        '  <div class="csl-entry">Lee, K. (2021, May 5). Sensors at scale. <i>Blog of Things</i>. '
        "https://blog.example/sensors (accessed July 1, 2021)</div>\n</div>\n"
    )
    got = [
        (c.title, c.url, [str(s.date) for s in c.stamps])
        for c in extract(md, fmt="markdown").citations
    ]
    assert got == [
        ("Annual water report", "https://springfield.example/report.pdf", ["2021-06-03"]),
        ("Sensors at scale", "https://blog.example/sensors", ["2021-07-01"]),
    ]


def test_markdown_footnotes_on_consecutive_lines_are_one_citation_each() -> None:
    md = (
        "Text with notes[^1] and more[^2].\n\n"
        '[^1]: Smith, A. "Footnoted work". Retrieved 4 May 2020, from https://foot.example/one\n'
        '[^2]: Jones, B. "Another work". Retrieved 5 May 2020, from https://foot.example/two\n'
    )
    got = [
        (c.title, c.url, [str(s.date) for s in c.stamps])
        for c in extract(md, fmt="markdown").citations
    ]
    assert got == [
        ("Footnoted work", "https://foot.example/one", ["2020-05-04"]),
        ("Another work", "https://foot.example/two", ["2020-05-05"]),
    ]


def test_a_journal_reference_is_one_work_with_its_buttons_as_alternates() -> None:
    ref = (
        "<li>5. Fiszenson-Albala F et al. A 6-month prospective survey of cutaneous drug reactions. "
        "Br J Dermatol. 2003;149:1018–22."
        "<a href='https://doi.org/10.1111%2Fj.1365-2133.2003.05584.x'>Article</a> "
        "<a href='http://www.ncbi.nlm.nih.gov/entrez/query.fcgi?cmd=Retrieve&db=PubMed&list_uids=14632808'>PubMed</a> "
        "<a href='http://scholar.google.com/scholar_lookup?title=A%206-month'>Google Scholar</a></li>"
    )
    html = f"<html><body><h2>References</h2><ol>{ref}</ol></body></html>"
    (c,) = extract(html, fmt="html").citations
    assert c.url == "https://doi.org/10.1111%2Fj.1365-2133.2003.05584.x"
    assert c.title == "A 6-month prospective survey of cutaneous drug reactions"
    assert [a.split("?")[0] for a in c.alternates] == [
        "http://www.ncbi.nlm.nih.gov/entrez/query.fcgi",
        "http://scholar.google.com/scholar_lookup",
    ]


def test_a_quoted_passage_inside_a_reference_item_is_its_excerpt() -> None:
    """A scholar's list under "Works cited" (an h1) quoting a passage in a <blockquote>
    inside the item: the passage is the citation's excerpt, not words of its title."""
    html = (
        '<html><body><h1>Works cited</h1><ol><li>Larose, G. "Un si long silence". RDSCP Blog. '
        "<a href='https://blog.example/un-si-long-silence/'>https://blog.example/un-si-long-silence/</a> "
        '[accessed 19 July 2021]<blockquote>"Chacun se cache, se voile, se démène pour calmer la tempête."'
        "</blockquote></li>"
        + "".join(
            f"<li>Other, A. \"Work {n}\". <a href='https://o.example/{n}'>https://o.example/{n}</a></li>"
            for n in range(3)
        )
        + "</ol></body></html>"
    )
    c = extract(html, fmt="html").citations[0]
    assert c.title == "Un si long silence"
    assert c.excerpt == "Chacun se cache, se voile, se démène pour calmer la tempête."
    assert [str(s.date) for s in c.stamps] == ["2021-07-19"]


def test_a_line_break_inside_a_reference_item_keeps_one_reference() -> None:
    """Under a "Sources" heading each <li> is one reference: its <br>-separated lines (the
    publisher, the stamps, an archive note a patch added) are not references of their own
    (issue 30: re-ingesting a patched page doubled its citations)."""
    items = "".join(
        f'<li><a href="https://news.example/{i}">Report {i} on labour migration</a><br>\n'
        "Example News, 17 Nov 05<br>\n[accessed 16 February 2011] <br>An archived copy of "
        f'this article (captured 1 March 2015) is accessible <a href="https://web.archive.org/'
        f'web/20150301000000/https://news.example/{i}">[here]</a></li>\n'
        for i in range(4)
    )
    found = extract(f"<html><body><h1>Sources</h1>\n<ul>\n{items}</ul></body></html>", "html")
    assert [c.url for c in found.citations] == [f"https://news.example/{i}" for i in range(4)]
    assert all(len(c.stamps) == 1 and len(c.archive_links) == 1 for c in found.citations)


def test_a_line_of_many_links_is_read_in_linear_time() -> None:
    """Issue 31: `scope = "all"` was quadratic in the links of one line (10k links 3.6 s,
    40k 32 s). Eight times the links may cost eight times the time, not sixty-four: the
    bound (24) leaves room for a busy machine, each size timed at its best of three."""
    import time

    def took(n: int) -> float:
        page = "<p>" + " ".join(
            f'<a href="https://h{i % 50}.example/{i}">L {i}</a>' for i in range(n)
        )
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            found = extract(page + "</p>", "html", scope="all")
            best = min(best, time.process_time() - start)
        assert len(found.citations) == n
        return best

    small, large = took(1500), took(12000)  # measured: 8 times linear, 64 quadratic
    assert large < 24 * small, (small, large)


@pytest.mark.parametrize("refs", [15, 40, 100])
def test_reference_items_never_count_as_the_body_list_they_are_weighed_against(refs: int) -> None:
    """A body list of linked tools just under twice the references' links: the references
    section still narrows the page. Its own items once counted towards the body's list
    when a freed node wrapper lent its id() to another, and the whole page was read."""
    tools = "".join(
        f"<li><a href='https://t{i}.example.org/'>Tool {i}</a> does things</li>"
        for i in range(2 * refs - 1)
    )
    items = "".join(
        f"<li><a href='https://r{i}.example.net/a'>Report number {i}</a>, Publisher, 2020</li>"
        for i in range(refs)
    )
    page = f"<html><body><h2>Tools</h2><ul>{tools}</ul><h2>References</h2><ol>{items}</ol>"
    found = extract(page + "</body></html>", "html").citations
    assert [c.url for c in found] == [f"https://r{i}.example.net/a" for i in range(refs)]
