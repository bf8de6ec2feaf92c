"""One name for one thing: the Wayback timestamp parser, the JSON time style, the check
result's field lists, and HTTP clients that take a transport."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from monitor.archives.wayback import parse_cdx
from monitor.checking.batch import check_host_batch
from monitor.checking.http import check_client, page_client
from monitor.checking.netguard import GuardedTransport
from monitor.config import CheckSettings
from monitor.core.results import JSON_FIELDS, STORED_FIELDS, Capture, CheckResult
from monitor.core.times import iso, wayback_time
from monitor.core.urls import parse_archive_link
from monitor.core.verdict import Hop, Verdict

UTC = dt.UTC


@pytest.mark.parametrize(
    ("ts", "when"),
    [
        ("20110216123456", dt.datetime(2011, 2, 16, 12, 34, 56, tzinfo=UTC)),
        ("20110216", dt.datetime(2011, 2, 16, tzinfo=UTC)),
        ("201103", dt.datetime(2011, 3, 1, tzinfo=UTC)),
        ("2011", dt.datetime(2011, 1, 1, tzinfo=UTC)),
        ("20111301", None),  # month 13
        ("abc", None),
        ("", None),
    ],
)
def test_one_wayback_timestamp_parser(ts: str, when: dt.datetime | None) -> None:
    assert wayback_time(ts) == when


def test_archive_links_and_cdx_rows_read_timestamps_the_same_way() -> None:
    link = parse_archive_link("https://web.archive.org/web/201103/http://x.org/a")
    assert link is not None and link.captured_at == dt.datetime(2011, 3, 1, tzinfo=UTC)
    rows = '[["timestamp","original","statuscode"],["2011","http://x.org/a","200"],["bad","http://x.org/a","200"]]'
    assert parse_cdx(rows) == [Capture("2011", "http://x.org/a", 200)]
    assert parse_cdx(rows)[0].captured_at == dt.datetime(2011, 1, 1, tzinfo=UTC)


def test_one_json_time_style() -> None:
    assert iso(dt.datetime(2026, 12, 2, 8, 0, tzinfo=UTC)) == "2026-12-02T08:00:00Z"
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert iso(dt.datetime(2026, 12, 2, 10, 0, tzinfo=plus_two)) == "2026-12-02T08:00:00Z"
    assert iso(dt.date(2026, 12, 2)) == "2026-12-02" and iso(None) is None


def test_one_field_list_for_a_check_result() -> None:
    r = CheckResult(
        "http://x.org/a", Verdict.MOVED, "moved", 200, "http://x.org/b",
        dt.datetime(2026, 12, 2, tzinfo=UTC), 12, [Hop("http://x.org/a", 301)],
        fingerprint="ab", page_title="B",
    )  # fmt: skip
    row, js = r.as_row(), r.as_json()
    assert tuple(row) == STORED_FIELDS and tuple(js)[: len(JSON_FIELDS)] == JSON_FIELDS
    assert (
        row["redirect_chain"] == js["redirect_chain"] == [{"url": "http://x.org/a", "status": 301}]
    )
    assert row["checked_at"] == r.checked_at and js["checked_at"] == "2026-12-02T00:00:00Z"
    assert "fingerprint" not in js and row["fingerprint"] == "ab"
    archived = r.as_json(archive={"archive_captured_at": dt.datetime(2010, 6, 1, 10, tzinfo=UTC)})
    assert archived["archive_captured_at"] == "2010-06-01T10:00:00Z"


def test_clients_are_guarded_unless_given_a_transport() -> None:
    from monitor.checking.aiotransport import AiohttpFetcher
    from monitor.checking.http import HttpxFetcher, check_fetcher

    cfg = CheckSettings()
    guarded = check_client(cfg)
    assert isinstance(guarded._transport, GuardedTransport)
    assert isinstance(check_fetcher(cfg), AiohttpFetcher)  # the default: aiohttp, guarded
    over_httpx = check_fetcher(CheckSettings(transport="httpx"))
    assert isinstance(over_httpx, HttpxFetcher)
    assert isinstance(over_httpx.client._transport, GuardedTransport)
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path not in ("/a", "/page"):
            return httpx.Response(404)  # robots.txt, the sibling probe
        page = b"<title>Hello</title><p>Hello there</p>"  # a stream: the checker reads it raw
        return httpx.Response(
            200, headers={"content-type": "text/html"}, stream=httpx.ByteStream(page)
        )

    async def go() -> list[CheckResult]:
        await guarded.aclose()
        await over_httpx.aclose()
        async with check_client(cfg, transport=httpx.MockTransport(answer)) as client:
            assert client.headers["User-Agent"] == cfg.agent()
            return await check_host_batch(client, ["http://10.0.0.1/a"], cfg)

    (r,) = asyncio.run(go())
    # a private address, reachable only because the test swapped the network
    assert r.verdict is Verdict.ALIVE and "http://10.0.0.1/a" in seen
    with page_client(cfg, transport=httpx.MockTransport(answer)) as client:
        assert client.get("http://10.0.0.1/page").text.startswith("<title>")


def test_a_url_sent_without_httpx_is_the_url_httpx_would_send() -> None:
    """The aiohttp fetcher skips httpx's URL parser for URLs it would give back unchanged;
    over random URLs (escapes, dot segments, default ports, odd hosts, upper case), every one
    it lets through is exactly what httpx.URL makes of it, and the common kinds get through."""
    import random

    from monitor.checking.aiotransport import _PLAIN

    rng = random.Random(1)
    chars = "abcAZ09._~!$&'()*+,;=:@/-?%#[] é"
    hosts = ["a.com", "127.0.0.2", "x-y.org", "A.com", "a..b", "-a.com", "xn--e1a.ru", "a.com."]
    ports = ["", ":80", ":443", ":8080", ":99999", ":0", ":1"]
    plain = 0
    for _ in range(40_000):
        url = (
            rng.choice(["http", "https", "HTTP"]) + "://" + rng.choice(hosts) + rng.choice(ports)
            + rng.choice(["", "/"]) + "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        )  # fmt: skip
        m = _PLAIN.fullmatch(url)
        if m and int(m["port"] or 0) <= 65535:
            plain += 1
            assert str(httpx.URL(url)) == url
    assert plain > 500
    for url in ("https://example.org/a/b?c=d&e=f", "http://127.0.0.2:8080/x/y.html"):
        assert _PLAIN.fullmatch(url)
    for url in ("http://example.org:80/", "http://example.org/a/../b", "http://ex.org/%7e"):
        assert not _PLAIN.fullmatch(url)
