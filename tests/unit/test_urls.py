import datetime as dt

import pytest

from monitor.core.urls import UrlError, host_of, normalise, parse_archive_link


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b?x=1#frag", "http://example.com/b?x=1"),
        ("https://example.com:443/", "https://example.com/"),
        ("https://Пример.рф/путь", "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C"),
        ("  http://example.com/a b  ", "http://example.com/a%20b"),
        ("http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1"),  # query order kept
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_relative_needs_a_base() -> None:
    with pytest.raises(UrlError, match="relative link"):
        normalise("page.htm")
    assert (
        normalise("page.htm", "http://gvnet.com/dir/index.htm") == "http://gvnet.com/dir/page.htm"
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("javascript:void(0)", "javascript"),
        ("mailto:a@b.c", "mailto"),
        ("#top", "anchor"),
        ("", "empty"),
        ("http://", "host"),
        ("ftp://example.com/x", "ftp"),
        ("http://example.com/" + "a" * 3000, "longer"),
    ],
)
def test_unusable_links(raw: str, why: str) -> None:
    with pytest.raises(UrlError, match=why):
        normalise(raw)


def test_archive_links() -> None:
    a = parse_archive_link("https://web.archive.org/web/20110216000000/http://x.org/y?q=1")
    assert a is not None
    assert a.original_url == "http://x.org/y?q=1"
    assert a.captured_at == dt.datetime(2011, 2, 16, tzinfo=dt.UTC)
    b = parse_archive_link("http://web.archive.org/web/2009id_/http:/x.org/y")
    assert b is not None and b.original_url == "http://x.org/y"
    assert b.captured_at == dt.datetime(2009, 1, 1, tzinfo=dt.UTC)
    c = parse_archive_link(
        "https://webarchive.archive.unhcr.org/20221023223309mp_/https://www.refworld.org/a.html"
    )
    assert c is not None and c.original_url == "https://www.refworld.org/a.html"
    assert parse_archive_link("https://example.org/web/2011/http://x") is None
    own = parse_archive_link(
        "https://wayback.my-library.org/web/2011/http://x.org/", ("wayback.my-library.org",)
    )
    assert own is not None and own.original_url == "http://x.org/"


def test_host_of() -> None:
    assert host_of("https://WWW.Example.com:8443/x") == "www.example.com"


def test_malformed_urls_found_by_the_fuzzer_are_url_errors() -> None:
    # atheris found these: urlsplit raises a bare ValueError ("Invalid IPv6 URL")
    for bad in ["/\n\n/\u00e6\u00e6]\n$\u00c5", "http://[::1/x", "https://a.example:99999999/"]:
        with pytest.raises(UrlError):
            normalise(bad, "https://site.example/dir/")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://example.com/a//b", "http://example.com/a//b"),  # a different resource
        ("http://example.com//x", "http://example.com//x"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),  # browsers do this too
        ("http://example.com/a/..", "http://example.com/"),
        ("http://example.com/a?x=1&&y=2", "http://example.com/a?x=1&&y=2"),
        ("http://example.com/%7euser/%c3%bc", "http://example.com/~user/%C3%BC"),
    ],
)
def test_the_key_never_changes_what_the_server_sees(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_protocol_relative_links_take_the_pages_scheme() -> None:
    assert normalise("//arxiv.org/abs/1234") == "https://arxiv.org/abs/1234"  # no page: https
    assert normalise("//doi.org/10.1/x", "http://old.example/p") == "http://doi.org/10.1/x"
    assert normalise("//doi.org/10.1/x", "https://en.wikipedia.org/wiki/X") == (
        "https://doi.org/10.1/x"
    )


def test_what_the_fuzzer_found_is_an_error_not_a_crash() -> None:
    # atheris: a protocol-relative "link" whose host is "." normalised to "https://.]",
    # which the URL-list reader then could not split ("Invalid IPv6 URL")
    with pytest.raises(UrlError):
        normalise("//.//./.]", "https://site.example/dir/")


def test_a_webcite_copy_names_its_original_and_its_capture_time() -> None:
    """WebCite ids are the capture time in microseconds, in base 62 (zh Wikipedia cites
    `webcitation.org/61H1Nogft?url=...`, captured 28 August 2011)."""
    from monitor.core.urls import parse_archive_link

    copy = "https://www.webcitation.org/61H1Nogft?url=http://www.lsu.edu/deafness/HearingRange.html"
    a = parse_archive_link(copy)
    assert a is not None and a.original_url == "http://www.lsu.edu/deafness/HearingRange.html"
    assert a.captured_at is not None and a.captured_at.date().isoformat() == "2011-08-28"
    assert parse_archive_link("https://www.webcitation.org/61H1Nogft") is None  # no original
