import datetime as dt
from typing import Any

import pytest

from monitor.core.urls import (
    UrlError,
    has_credentials,
    host_of,
    normalise,
    parse_archive_link,
    redirect_target,
    url_key,
)


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
        ("http://example.com/a/%2E%2E/b", "http://example.com/a/%2E%2E/b"),  # a name, not ..
        ("http://example.com/a?x=1&&y=2", "http://example.com/a?x=1&&y=2"),
        ("http://example.com/a?", "http://example.com/a?"),  # a browser sends the `?`
        # issue 28: escapes are the server's business, decoded or not
        ("http://example.com/%7euser/%c3%bc", "http://example.com/%7euser/%c3%bc"),
        (
            "http://scholar.google.com/scholar_lookup?&title=A%20Study%2Fof%20Things"
            "&journal=J%3A%20X&author=Vahid%2CB",
            "http://scholar.google.com/scholar_lookup?&title=A%20Study%2Fof%20Things"
            "&journal=J%3A%20X&author=Vahid%2CB",
        ),
        ("http://example.com/s?q=a=b&r=a%3Db", "http://example.com/s?q=a=b&r=a%3Db"),
        ("http://example.com/s?a=b=c;d=e&f=&&g", "http://example.com/s?a=b=c;d=e&f=&&g"),
        ("http://example.com/s?q=a+b&r=a%2Bb", "http://example.com/s?q=a+b&r=a%2Bb"),
        ("http://example.com/a%2Fb/c;v=1/d:e", "http://example.com/a%2Fb/c;v=1/d:e"),
        ("http://example.com/100%/x%zz?p=%", "http://example.com/100%/x%zz?p=%"),  # as sent
        (
            "http://example.com/x?token=NB%3D&m=a%2Fb%3Ac",
            "http://example.com/x?token=NB%3D&m=a%2Fb%3Ac",
        ),
    ],
)
def test_the_path_and_query_are_sent_as_written(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("http://example.com/a b?q=c d", "http://example.com/a%20b?q=c%20d"),
        ("http://example.com/ü?q=ü", "http://example.com/%C3%BC?q=%C3%BC"),
        ("http://example.com/日本?q=€", "http://example.com/%E6%97%A5%E6%9C%AC?q=%E2%82%AC"),
        # the WHATWG path and query percent-encode sets: what a browser encodes, no more
        ('http://example.com/a"<>`{}', "http://example.com/a%22%3C%3E%60%7B%7D"),
        ('http://example.com/?q="<>', "http://example.com/?q=%22%3C%3E"),
        ("http://example.com/a|b[c]^?q='`{}|", "http://example.com/a|b[c]^?q='`{}|"),
        ("http://example.com/a\x01\x7f", "http://example.com/a%01%7F"),
        ("http://exa\nmple.com/a\tb\r\n", "http://example.com/ab"),  # dropped by browsers
    ],
)
def test_what_cannot_go_on_the_wire_is_encoded_as_a_browser_does(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.Example.COM/Path/%2F?Q=%2F", "https://www.example.com/Path/%2F?Q=%2F"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com?q=1", "http://example.com/?q=1"),
        ("http://alice:s3cret@example.com/a", "http://example.com/a"),
        ("http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
        ("https://bücher.de/Bücher", "https://xn--bcher-kva.de/B%C3%BCcher"),
        ("http://example.com/a#b%2Fc", "http://example.com/a"),
        ("http://example.com/a?b#c?d", "http://example.com/a?b"),
    ],
)
def test_only_scheme_host_and_port_are_normalised(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("page.htm", "http://site.example/dir/sub/page.htm"),
        ("../x%2Fy?a=b=c", "http://site.example/dir/x%2Fy?a=b=c"),
        ("./", "http://site.example/dir/sub/"),
        ("?q=J%3A%20X", "http://site.example/dir/sub/index.htm?q=J%3A%20X"),
        ("/a//b", "http://site.example/a//b"),
        ("//other.example/p%20q", "http://other.example/p%20q"),
        ("../../../../up", "http://site.example/up"),
        ("über uns.htm", "http://site.example/dir/sub/%C3%BCber%20uns.htm"),
    ],
)
def test_relative_links_are_resolved_as_rfc_3986_says(href: str, expected: str) -> None:
    assert normalise(href, "http://site.example/dir/sub/index.htm?old=1") == expected


def test_the_address_is_what_httpx_sends_unchanged() -> None:
    """Both transports send the address as it is: httpx.URL changes nothing in it (the
    aiohttp transport reads it with httpx.URL too, then hands yarl the same string)."""
    import httpx

    for raw in [
        "http://example.com/a%2Fb/%7e;p?x=a=b&&y=%3a&z=+%2B",
        "https://Пример.рф/путь?q=ü ä",
        'http://example.com/a|b[c]^"`{}?q="<>\'`{}|',
        "http://example.com/100%/x%zz?%",
        "http://example.com//a//?",
    ]:
        address = normalise(raw)
        assert str(httpx.URL(address)) == address
        assert normalise(address) == address  # and normalising again changes nothing


def test_the_comparison_key_finds_two_spellings_of_one_source() -> None:
    a, b = (
        normalise("http://example.com/%7euser/%c3%bc"),
        normalise("http://example.com/~user/%C3%BC"),
    )
    assert a != b  # two addresses: each is checked as written
    assert url_key(a) == url_key(b)
    assert url_key(normalise("http://example.com/a%2Fb")) != url_key(
        normalise("http://example.com/a/b")
    )


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


def test_a_colon_after_no_scheme_is_part_of_a_relative_path() -> None:
    base = "https://site.example/book/index.htm"
    assert normalise("Chapter 1: intro.htm", base) == (
        "https://site.example/book/Chapter%201:%20intro.htm"
    )


def test_redirect_targets_are_followed_as_written() -> None:
    here = "http://site.example/a/b?x=1"
    assert redirect_target("/s?q=a=b&t=J%3A%20X", here) == "http://site.example/s?q=a=b&t=J%3A%20X"
    assert redirect_target("c%2Fd?", here) == "http://site.example/a/c%2Fd?"
    assert redirect_target(" https://Other.example:443/ü?q=a b#top ", here) == (
        "https://other.example/%C3%BC?q=a%20b"
    )
    assert redirect_target("http://site.example/" + "x" * 3000, here).endswith("x" * 3000)
    assert redirect_target("mailto:a@b.example", here) == "mailto:a@b.example"
    with pytest.raises(UrlError):
        redirect_target("http://[::1/x", here)


def test_the_plain_host_fast_path_gives_what_the_checked_path_gives() -> None:
    """`_address` skips the parsing for a plain host name and port; on every authority,
    plain or not, it must answer (or refuse) exactly as the full checks do."""
    import random

    from monitor.core import urls as u

    rnd = random.Random(7)
    pieces = ["a", "B", "0", "-", ".", " ", "xn--nxa", "Ünï", "@", "u:p@", "[::1]", ":",
              ":80", ":443", ":8080", ":99999", ":0", "..", "_", "%41", "é", "\x7f"]  # fmt: skip

    def outcome(f: Any, *args: Any) -> tuple[str, str]:
        try:
            return "ok", f(*args)
        except u.UrlError as exc:
            return "refused", str(exc)
        except (ValueError, UnicodeError) as exc:
            return "malformed", str(exc)

    plain = 0
    for _ in range(3000):
        auth = "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 5)))
        plain += u._PLAIN_AUTHORITY.fullmatch(auth) is not None
        for scheme, path, query in (("http", "", None), ("https", "/a b/ü", "q=1 2")):
            args = (scheme, auth, path, query)
            assert outcome(u._address, *args) == outcome(u._checked_address, *args), args
    assert plain > 100  # the fast path was taken often enough to be tested


@pytest.mark.parametrize(
    "written",
    ["http://Web.Archive.org:80/web/2011/x", "https://a.example:8443/p?q", "http://bücher.example/",
     "https://user:pw@host.example/a", "http://127.0.0.2:8080/report/1.html"],
)  # fmt: skip
def test_address_host_is_the_parsed_host_of_a_normalised_address(written: str) -> None:
    from urllib.parse import urlsplit

    from monitor.core.urls import address_host, normalise

    url = normalise(written)
    assert address_host(url) == urlsplit(url).hostname


@pytest.mark.parametrize(
    ("url", "has"),
    [
        ("http://alice:s3cret@example.com/a", True),
        ("https://bob@example.com/", True),
        ("  http://:pw@example.com/  ", True),
        ("http://example.com/a@b", False),  # an "@" in the path is no user
        ("http://example.com/?to=a@b.example", False),
        ("http://example.com/a", False),
        ("http://[::1:/", False),  # unparseable: not a link with credentials
    ],
)
def test_has_credentials(url: str, has: bool) -> None:
    assert has_credentials(url) is has


def test_host_of_reads_every_address_as_urlsplit_does() -> None:
    """host_of reads a plain address by one match and the rest by urlsplit: both readings
    must agree on every shape of address (ports, user names, IPv6, odd characters)."""
    import itertools
    import random
    from urllib.parse import urlsplit

    from monitor.core.urls import host_of

    schemes = ["http", "HTTPS", "ftp", "a+b.c-d", "1http", "", " http", "ht tp"]
    seps = ["://", ":/", ":", "//", ":///"]
    hosts = ["example.org", "Example.ORG", "127.0.0.2", "[::1]", "[2001:db8::1]", "ex_am~ple",
             "user@host", "user:pw@host", "a@b@c", "xn--bcher-kva.example", "bücher.de",
             "ho%41st", "ho\tst", "host\\x", "", "-", "."]  # fmt: skip
    ports = ["", ":", ":80", ":8080", ":abc", ":99999", "::"]
    tails = ["", "/", "/a/b?c=d#e", "?q", "#f", "\\p", " x", "/\t"]
    urls = ["".join(p) for p in itertools.product(schemes, seps, hosts, ports, tails)]
    rng = random.Random(3)
    alphabet = "aZ09.:/?#@[]%-_~+ \t\\é"
    urls += ["http://" + "".join(rng.choice(alphabet) for _ in range(12)) for _ in range(3000)]
    checked = 0
    for url in urls:
        try:
            expected = (urlsplit(url).hostname or "").lower()
        except ValueError:  # urlsplit refuses it (a bad IPv6 literal): so must host_of
            with pytest.raises(ValueError):
                host_of.__wrapped__(url)
            continue
        assert host_of.__wrapped__(url) == expected, url
        checked += 1
    assert checked > len(urls) // 2
