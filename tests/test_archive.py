"""Archive fallbacks: pure choice rules, a real pywb archive, throttling, IA specifics."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
import respx

from monitor import api
from monitor.archives.choice import anchor_date, order_candidates
from monitor.archives.fallback import lookup_many
from monitor.archives.wayback import CdxArchive, index_key, parse_cdx, raw_replay, url_variants
from monitor.config import Settings
from monitor.core.results import Capture
from monitor.report.build import build_report
from monitor.report.markdown import render_markdown
from monitor.store import Store
from tests.archive_world import KAZAK, KAZAK_URL, STOPVAW_URL
from tests.conftest import make_settings
from tests.world import World

D = dt.date


# ---------------------------------------------------------------- pure rules


def test_parse_the_three_cdx_shapes() -> None:
    ia = json.dumps(
        [
            ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
            ["org,x)/a", "20110216000000", "http://x.org/a", "text/html", "200", "D", "1"],
            ["org,x)/a", "20120101000000", "http://x.org/a", "warc/revisit", "-", "D", "1"],
        ]
    )
    assert parse_cdx(ia) == [
        Capture("20110216000000", "http://x.org/a", 200, "text/html"),
        Capture("20120101000000", "http://x.org/a", None, "warc/revisit"),
    ]
    pywb = '{"urlkey": "k", "timestamp": "20100501000000", "url": "http://x.org/a", "mime": "text/html", "status": "404"}\n'
    assert parse_cdx(pywb) == [Capture("20100501000000", "http://x.org/a", 404, "text/html")]
    plain = "org,x)/a 20090101000000 http://x.org/a text/html 200 DIGEST 123\n"
    assert parse_cdx(plain)[0].status == 200
    assert parse_cdx("") == [] and parse_cdx("[]") == []


def test_variants_and_index_keys() -> None:
    v = url_variants("http://www.iwpr.net/a/b")
    assert {"http://www.iwpr.net/a/b", "https://iwpr.net/a/b", "http://iwpr.net/a/b/"} <= set(v)
    assert len({index_key(x) for x in v}) == 2  # scheme and www. share the index key


def test_closest_before_then_after_good_status_only() -> None:
    caps = [
        Capture(ts, "u", st)
        for ts, st in [
            ("20090101000000", 200),
            ("20110101000000", 200),
            ("20110210000000", 404),
            ("20110216230000", 206),
            ("20120101000000", 200),
            ("20130101000000", 302),
            ("20110101000000", 200),  # the same capture under another variant
        ]
    ]
    order = [c.timestamp for c in order_candidates(caps, D(2011, 2, 16))]
    assert order == ["20110216230000", "20110101000000", "20090101000000", "20120101000000"]
    assert order_candidates(caps, D(2000, 1, 1))[0].timestamp == "20090101000000"


def test_anchor_date_precedence() -> None:
    stamps = [(D(2011, 2, 16), "day"), (D(2017, 1, 1), "year"), (D(2016, 3, 1), "month")]
    assert anchor_date(D(2026, 11, 1), stamps, D(2020, 1, 1)) == D(2026, 11, 1)  # verified
    assert anchor_date(None, stamps, D(2020, 1, 1)) == D(2017, 7, 1)  # year -> mid-year
    assert anchor_date(None, [(D(2016, 3, 1), "month")], D(2020, 1, 1)) == D(2016, 3, 15)
    assert anchor_date(None, [], D(2020, 1, 1)) == D(2020, 1, 1)  # first ingested


def test_raw_replay() -> None:
    assert raw_replay("https://web.archive.org/web/20110216000000/http://x.org/y") == (
        "https://web.archive.org/web/20110216000000id_/http://x.org/y"
    )


# ---------------------------------------------------------------- a real archive (pywb)


def settings_for(pywb, **archive) -> Settings:
    s = make_settings()
    return Settings(
        check=s.check,
        database={"url": "sqlite://"},
        archive={"endpoints": [pywb.endpoint(rate_per_minute=6000)], **archive},
    )


def lookup(pywb, url: str, anchor: dt.date, titles=(KAZAK,), **archive):
    s = settings_for(pywb, **archive)
    (fb,) = asyncio.run(lookup_many([(url, anchor, list(titles))], s.archive, s.check))
    return fb


@pytest.mark.parametrize(
    ("anchor", "chosen", "rejected"),
    [
        # closest before is a copy without the cited title: rejected, next one verified
        (D(2011, 2, 16), "20110110100000", ["20110201100000"]),
        # nothing before the anchor: the closest after
        (D(2008, 1, 1), "20090301100000", []),
        # an archived "Page not found" (2016) and the drifted copy are skipped; the 404 and
        # the redirect captures are never candidates
        (D(2017, 6, 7), "20110110100000", ["20160501100000", "20110201100000"]),
        (D(2020, 1, 1), "20180101100000", []),
    ],
)
def test_the_verified_capture_closest_before_the_anchor(pywb, anchor, chosen, rejected) -> None:
    fb = lookup(pywb, KAZAK_URL, anchor)
    assert fb.outcome == "found", fb.reason
    assert fb.chosen.capture.timestamp == chosen
    assert fb.chosen.archive_url == f"{pywb.base}/{chosen}/{KAZAK_URL}"
    assert [c.capture.timestamp for c in fb.candidates if not c.verification.ok] == rejected
    assert "cited title found" in fb.chosen.verification.reason


def test_verification_reasons_and_the_bound(pywb) -> None:
    fb = lookup(pywb, KAZAK_URL, D(2017, 6, 7), max_candidates=2)
    assert fb.outcome == "unverified" and fb.chosen is None
    reasons = [c.verification.reason for c in fb.candidates]
    assert reasons[0].startswith("replay is soft404") and reasons[1].startswith("replay is drifted")


def test_variants_find_a_capture_made_under_https_www(pywb) -> None:
    fb = lookup(pywb, STOPVAW_URL, D(2016, 1, 1), titles=["Stop Violence Against Women"])
    assert (
        fb.outcome == "found"
        and fb.chosen.capture.original == "https://www.stopvaw.example/kazakhstan"
    )


def test_no_capture_at_all(pywb) -> None:
    fb = lookup(pywb, "http://never-archived.example/page", D(2011, 1, 1))
    assert fb.outcome == "none" and fb.reason == "no capture with status 200 in any archive"


def test_run_finds_stores_and_reports_a_fallback(
    pywb, world: World, tmp_path: Path, store: Store
) -> None:
    s = settings_for(pywb)
    page = tmp_path / "page.html"
    page.write_text(
        f'<p><a href="{world.url("/gone")}"><b>{KAZAK}</b></a><br>IWPR, 17 Nov 05<br>'
        "[accessed 16 February 2011]<br>At one time this article had been archived and may "
        f'possibly still be accessible <a href="{pywb.base}/20110201100000/{KAZAK_URL}">[here]</a> '
        f'and <a href="{pywb.base}/20110110100000/{KAZAK_URL}">[here]</a></p>'
        "<p>When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary...</p>"
    )
    api.ingest(store, [str(page)], s)
    summary = api.run(store, s)
    assert summary.counts == {"dead": 1}
    (fb,) = summary.archives.lookups
    assert fb.chosen.capture.timestamp == "20100601100000" and fb.anchor == D(2011, 2, 16)
    assert store.archives.fallbacks([world.url("/gone")])[world.url("/gone")].verified is True
    (look,) = store.archives.lookups(world.url("/gone"))
    assert look.outcome == "found" and look.candidates == 1
    # the two "[here]" links of the page: one replays a drifted page, one the article
    works = {link.split("/")[4]: v.ok for link, v in summary.archives.page_links}
    assert works == {"20110201100000": False, "20110110100000": True}
    # a second run does not repeat the lookup (cached for lookup_days)
    again = api.run(store, s, everything=True)
    assert again.archives.lookups == [] and len(store.archives.lookups(world.url("/gone"))) == 1
    text = render_markdown(build_report(store))
    assert (
        "verified archive copy, captured 2010-06-01: "
        f"<{pywb.base}/20100601100000/{world.url('/gone')}>" in text
    )
    assert f'"[here]" link on the page works: <{pywb.base}/20110110100000/' in text
    assert '"[here]" link on the page does not work (replay is drifted' in text


# ---------------------------------------------------------------- throttling


class _Throttle(BaseHTTPRequestHandler):
    """An archive that allows `limit` requests per second and answers 429 beyond."""

    limit: ClassVar[int] = 60
    times: ClassVar[deque] = deque()
    lock: ClassVar[threading.Lock] = threading.Lock()
    refused_at: ClassVar[list[float]] = []
    answered_429: ClassVar[int] = 0
    served: ClassVar[int] = 0
    peak: ClassVar[int] = 0

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        now = time.monotonic()
        with cls.lock:
            while cls.times and now - cls.times[0] > 1.0:
                cls.times.popleft()
            if len(cls.times) >= cls.limit:
                cls.answered_429 += 1
                cls.refused_at.append(now)
                status, body, headers = 429, b"slow down", {"Retry-After": "1"}
            else:
                cls.times.append(now)
                cls.served += 1
                cls.peak = max(cls.peak, len(cls.times))
                status, body, headers = 200, b"", {}
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize(("our_rate", "their_limit"), [(3000, 60), (3000, 20)])
def test_100_simultaneous_lookups_stay_under_the_rate_and_all_complete(
    our_rate, their_limit
) -> None:
    state = {"limit": their_limit, "times": deque(), "lock": threading.Lock(), "refused_at": []}
    handler = type("H", (_Throttle,), state)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    s = Settings(
        check=make_settings().check,
        database={"url": "sqlite://"},
        archive={
            "endpoints": [
                {
                    "name": f"throttled-{their_limit}",
                    "cdx": f"{base}/cdx",
                    "replay": f"{base}/{{timestamp}}/{{url}}",
                    "rate_per_minute": our_rate,
                }
            ]
        },
    )
    reqs = [(f"http://site{i}.example/page", D(2011, 1, 1), []) for i in range(100)]
    t0 = time.perf_counter()
    results = asyncio.run(lookup_many(reqs, s.archive, s.check, concurrency=100))
    elapsed = time.perf_counter() - t0
    server.shutdown()
    assert len(results) == 100 and all(r.outcome == "none" for r in results)
    assert handler.peak <= their_limit
    if their_limit >= our_rate / 60:  # our bucket is slower than their limit: never a 429
        assert handler.answered_429 == 0
    else:
        # Their limit is tighter: the first burst in flight is refused, then every 429
        # pauses all callers at once and halves our rate, so the refusals stop within a few
        # seconds and never come back (an archive that sees its 429s ignored blocks us).
        assert handler.refused_at[-1] - handler.refused_at[0] < 8
        assert handler.served == 200  # every lookup asked both index keys in the end
    assert elapsed < 60


# ---------------------------------------------------------------- Internet Archive specifics

IA = {
    "name": "internet-archive",
    "cdx": "https://web.archive.org/cdx/search/cdx",
    "replay": "https://web.archive.org/web/{timestamp}/{url}",
    "rate_per_minute": 6000,
}


@respx.mock
def test_ia_json_rows_and_a_429_burst() -> None:
    rows = [
        ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
        ["net,iwpr)/a", "20110101000000", "http://iwpr.net/a", "text/html", "200", "D", "9"],
    ]
    cdx = respx.get("https://web.archive.org/cdx/search/cdx").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, json=rows),
        ]
    )
    respx.get("https://web.archive.org/web/20110101000000id_/http://iwpr.net/a").mock(
        return_value=httpx.Response(200, html=f"<title>{KAZAK}</title><h1>{KAZAK}</h1>")
    )
    s = Settings(
        check=make_settings().check, database={"url": "sqlite://"}, archive={"endpoints": [IA]}
    )
    t0 = time.perf_counter()
    (fb,) = asyncio.run(
        lookup_many([("http://iwpr.net/a", D(2011, 2, 16), [KAZAK])], s.archive, s.check)
    )
    assert time.perf_counter() - t0 >= 2.0  # both Retry-After pauses honoured
    assert cdx.call_count == 3 and fb.outcome == "found"
    assert fb.chosen.archive_url == "https://web.archive.org/web/20110101000000/http://iwpr.net/a"
    assert cdx.calls[-1].request.url.params["output"] == "json"
    assert cdx.calls[-1].request.url.params["closest"] == "20110216"


@respx.mock
def test_ia_that_keeps_throttling_is_an_error_not_no_capture() -> None:
    respx.get("https://web.archive.org/cdx/search/cdx").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "0"})
    )
    s = Settings(
        check=make_settings().check, database={"url": "sqlite://"}, archive={"endpoints": [IA]}
    )
    (fb,) = asyncio.run(
        lookup_many([("http://iwpr.net/b", D(2011, 2, 16), [])], s.archive, s.check)
    )
    assert fb.outcome == "error" and "throttled" in fb.reason


def test_endpoint_objects_are_shared_per_loop() -> None:
    async def two() -> bool:
        from monitor.config import ArchiveEndpoint

        cfg = ArchiveEndpoint(**IA)
        return CdxArchive.get(cfg) is CdxArchive.get(cfg)

    assert asyncio.run(two())
