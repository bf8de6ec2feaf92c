"""What a fetched page says about itself (`pageread.inspect_page`): its title fields, site
name, visible text and where it sends the reader, read in one walk of the tree."""

from __future__ import annotations

import pytest

from monitor.checking.pageread import inspect_page

CYRILLIC = "Казахские женщины проданы в сексуальное рабство"


def facts(html: str | bytes, charset: str | None = "utf-8", ctype: str = "text/html"):  # type: ignore[no-untyped-def]
    return inspect_page(html.encode() if isinstance(html, str) else html, charset, ctype)


def test_each_field_is_its_first_meta_and_an_empty_one_says_nothing() -> None:
    page = facts(
        "<html><head><title>One | Site</title><title>Two</title>"
        '<meta property="og:title" content=""><meta property="og:title" content="Later">'
        '<meta name="dc.title" content=" Dublin   Core "><meta name="DC.title" content="No">'
        '<meta name="citation_title" content="Cited">'
        '<meta name="og:site_name" content="A name, not a property">'
        '<meta property="og:site_name" content="The Site"></head>'
        "<body><h1> </h1><h2>Second heading</h2><h3>Third</h3><p>Text.</p></body></html>"
    )
    assert page.title == "One | Site"
    # the first og:title is empty: the page gave none (a later one is not looked for)
    assert page.fields == [
        ("citation_title", "Cited"),
        ("dc.title", "Dublin Core"),
        ("heading", "Second heading"),
        ("heading", "Third"),
    ]
    assert page.site_name == "The Site"


def test_headings_are_the_first_twelve_and_six_are_fields() -> None:
    body = "".join(f"<h{1 + i % 3}>Heading {i}</h{1 + i % 3}>" for i in range(20))
    page = facts(f"<html><body>{body}</body></html>")
    assert page.title == "Heading 0"  # no <title>: the first heading
    assert [t for _, t in page.fields] == [f"Heading {i}" for i in range(6)]
    assert [w for w, _ in page.fields][:3] == ["h1", "heading", "heading"]  # h1: main headings


@pytest.mark.parametrize(
    ("head", "body", "target"),
    [
        ('<meta http-equiv="Refresh" content="3; URL=/new">', "<p>Moved.</p>", "/new"),
        (
            '<meta http-equiv="refresh" content="30"><meta http-equiv="refresh" '
            'content="1;url=/b">',
            "<p>x</p>",
            "/b",
        ),
        ('<meta http-equiv="refresh" content="60;url=/slow">', "<p>x</p>", None),
        ('<noscript><meta http-equiv="refresh" content="0;url=/nojs"></noscript>', "", None),
        ('<template><meta http-equiv="refresh" content="0;url=/t"></template>', "<p>x</p>", None),
        ("<script>window.location.href='/go'</script>", "", "/go"),
        ("<script>location.replace('/there')</script>", "<p>Redirecting</p>", "/there"),
        ("<script>window.location.href='/go'</script>", "<p>" + "Words " * 50 + "</p>", None),
        (
            "<script>window.location.href='/go'</script>",
            "<script>" + "var a = 1; " * 30 + "</script>",
            None,
        ),
    ],
)
def test_where_the_page_sends_the_reader(head: str, body: str, target: str | None) -> None:
    """A refresh within a few seconds, never one a browser would not run (in <noscript> or
    <template>); a script that only sets `location`, on a page with no text of its own."""
    assert facts(f"<html><head>{head}</head><body>{body}</body></html>").refresh == target
    noscript = "<noscript><script>location.href='/x'</script></noscript>"
    assert facts(f"<html><body>{noscript}</body></html>").refresh is None


def test_scripts_styles_and_templates_are_not_text() -> None:
    page = facts(
        "<html><head><style>p{}</style><script>var head = 1</script></head><body>"
        "<p>Seen <script>hidden()</script>here</p><template><p>Template</p></template>"
        "<noscript><p>No script</p></noscript></body></html>"
    )
    assert page.text == "Seen here"


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        # declared UTF-8 wins over a page that says otherwise in its <meta>
        (
            f'<meta charset="windows-1251"><title>{CYRILLIC}</title><p>{CYRILLIC}</p>'.encode(),
            "utf-8",
        ),
        # undeclared, said in the <meta>
        (
            f'<meta charset="windows-1251"><title>{CYRILLIC}</title><p>{CYRILLIC}</p>'.encode(
                "cp1251"
            ),
            None,
        ),
        # declared, and not UTF-8
        (f"<html><title>{CYRILLIC}</title><p>{CYRILLIC}</p></html>".encode("koi8_r"), "koi8-r"),
        # a byte-order mark, undeclared
        (b"\xef\xbb\xbf" + f"<html><title>{CYRILLIC}</title><p>{CYRILLIC}</p>".encode(), None),
        # declared UTF-8 but not: read by the page's own word, then detection
        (
            f'<meta charset="windows-1251"><title>{CYRILLIC}</title><p>{CYRILLIC}</p>'.encode(
                "cp1251"
            ),
            "utf-8",
        ),
    ],
)
def test_the_text_is_read_in_its_encoding(data: bytes, charset: str | None) -> None:
    page = facts(data, charset)
    assert page.title == CYRILLIC and page.text == CYRILLIC


def test_not_html_is_text_and_a_nul_is_read_past() -> None:
    plain = facts("Just some words,\n\n  no markup.", "utf-8", "text/plain")
    assert plain.text == "Just some words, no markup." and plain.title is None
    assert not plain.html
    assert facts("<html><body><p>a\x00b</p></body></html>").text == "ab"


def test_every_check_reads_the_first_head_characters_and_the_own_text_when_asked() -> None:
    """The first HEAD characters (and a little more) are squashed at once; the page's own
    text, as far as TEXT_KEPT, only when a title is looked for in it."""
    from monitor.checking.pageread import HEAD, TEXT_KEPT, squash

    words = [f"word{i}\n\n   and\tmore " for i in range(3000)]
    page = facts(f"<html><body><p>{''.join(words)}</p><p>The end.</p></body></html>")
    whole = squash("".join(words)[: TEXT_KEPT * 6 // 5])[:TEXT_KEPT]  # as read in one go
    assert HEAD < len(page.text) < HEAD + 1000 and whole.startswith(page.text)
    assert page.own is not None and page.own() == whole
    short = facts("<html><body><p>Only   a\n few words.</p></body></html>")
    assert short.text == short.own() == "Only a few words."


def test_a_title_only_deep_in_the_text_is_still_found() -> None:
    from monitor.core.evidence import PageFields, title_evidence

    filler = " ".join(f"Item {i} of the regional news digest." for i in range(500))
    page = facts(
        "<html><head><title>News digest</title></head><body>"
        f"<p>{filler}</p><p>Kazak women sold as sex slaves, by G. Baituova</p></body></html>"
    )
    assert "Kazak women" not in page.text and "Kazak women" in page.own()
    cited = ["Kazak Women Sold as Sex Slaves"]
    found = title_evidence(cited, PageFields(page.title, page.fields, page.text, (), page.own))
    assert found is not None and found.where == "text" and found.score >= 80
    head_only = title_evidence(cited, PageFields(page.title, page.fields, page.text))
    assert head_only is not None and head_only.score < found.score
