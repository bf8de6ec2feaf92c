"""Issue-3 behaviours against real local servers: retries, Retry-After, robots.txt,
Crawl-delay, the random-sibling probe, title drift, encodings, certificates, overrides."""

from __future__ import annotations

import datetime as dt
import ssl
import time
from collections.abc import Iterator

import pytest
import trustme

from monitor import check
from monitor.core.verdict import Verdict
from tests.conftest import make_settings
from tests.world import World

KAZAK = "Kazak Women Sold as Sex Slaves"


@pytest.fixture
def own_world() -> Iterator[World]:
    """A fresh server (own robots.txt and counters) on another loopback address."""
    w = World()
    w.start("127.0.0.9")
    yield w
    w.stop()


def one(url: str, **cfg: object):
    titles = cfg.pop("titles", None)
    (r,) = check([url], make_settings(**cfg), titles={url: titles} if titles else None)
    return r


def test_transient_503_is_retried_until_it_answers(world: World) -> None:
    r = one(world.url("/flaky/2"), retries=2, retry_wait=0.05)
    assert r.verdict is Verdict.ALIVE and r.attempts == 3
    assert world.hits["/flaky/2"] == 3


def test_still_failing_after_retries_is_transient_not_dead(world: World) -> None:
    r = one(world.url("/flaky/9"), retries=2, retry_wait=0.05)
    assert r.verdict is Verdict.TRANSIENT
    assert r.reason == "HTTP 503: server error (3 attempts)"
    assert r.status == "unverified" and r.failures == 0  # transient never advances the count


def test_retry_after_is_honoured(world: World) -> None:
    t0 = time.perf_counter()
    r = one(world.url("/throttle-briefly"), retries=2, retry_wait=0.05)
    assert r.verdict is Verdict.ALIVE and r.attempts == 2
    assert time.perf_counter() - t0 >= 1.0  # waited the server's Retry-After: 1


def test_retry_after_beyond_the_cap_waits_for_the_next_run(world: World) -> None:
    t0 = time.perf_counter()
    r = one(world.url("/throttle"), retries=3, retry_wait=0.05, retry_after_cap=10)
    assert time.perf_counter() - t0 < 5
    assert r.verdict is Verdict.TRANSIENT and r.attempts == 1
    assert "Retry-After 120" in r.reason and "checked again next run" in r.reason


def test_robots_disallow_is_blocked_and_not_fetched(own_world: World) -> None:
    own_world.robots = "User-agent: *\nDisallow: /article/private\n"
    r = one(own_world.url("/article/private-report"))
    assert r.verdict is Verdict.BLOCKED and "robots.txt" in r.reason
    assert own_world.hits["/article/private-report"] == 0
    ok = one(own_world.url("/article/public-report"))
    assert ok.verdict is Verdict.ALIVE
    ignored = one(own_world.url("/article/private-report"), robots="ignore")
    assert ignored.verdict is Verdict.ALIVE and own_world.hits["/article/private-report"] == 1


def test_robots_is_read_once_per_host_and_crawl_delay_slows_it(own_world: World) -> None:
    own_world.robots = "User-agent: monitor\nCrawl-delay: 0.5\n"
    urls = [own_world.url(f"/article/c{i}") for i in range(4)]
    t0 = time.perf_counter()
    results = check(urls, make_settings(per_host_rate=100.0))
    assert all(r.verdict is Verdict.ALIVE for r in results)
    assert own_world.hits["/robots.txt"] == 1
    assert time.perf_counter() - t0 >= 1.4  # 4 requests (+ robots) at 0.5 s intervals


def test_random_sibling_probe_catches_catch_all_servers(world: World) -> None:
    urls = [world.url(f"/catchall/2005/report-{i}.html") for i in range(3)]
    results = check(urls, make_settings())
    assert all(r.verdict is Verdict.SOFT404 for r in results)
    assert all("made-up URL" in r.reason for r in results)
    probes = [p for p in world.hits if p.startswith("/catchall/2005/monitor-probe-")]
    assert len(probes) == 1 and world.hits[probes[0]] == 1  # once per directory per run
    assert probes[0].endswith(".html")
    # a real article server answers the made-up sibling 404: the article stays alive
    assert one(world.url("/article/2005/real")).verdict is Verdict.ALIVE


def test_title_drift(world: World) -> None:
    alive = one(world.url("/article/kazak"), titles=[KAZAK])
    assert alive.verdict is Verdict.ALIVE and alive.title_score == 100
    drifted = one(world.url("/drifted-article"), titles=[KAZAK])
    assert drifted.verdict is Verdict.DRIFTED
    assert drifted.title_score < 60 and "cited title is no longer on the page" in drifted.reason
    # two-word anchors like "[PDF]" are not titles to look for
    assert one(world.url("/drifted-article"), titles=["[PDF]"]).verdict is Verdict.ALIVE
    # a permanent redirect to a page carrying the cited work is a move...
    moved = one(world.url("/old"), titles=[KAZAK])
    assert moved.verdict is Verdict.MOVED
    # ...to a page without it, drift
    assert one(world.url("/old-to-other"), titles=[KAZAK]).verdict is Verdict.DRIFTED


def test_koi8r_page_is_decoded_before_matching(world: World) -> None:
    r = one(world.url("/koi8"), titles=["Торговля людьми в Казахстане"])
    assert r.verdict is Verdict.ALIVE and r.title_score == 100
    assert r.page_title == "Торговля людьми в Казахстане"


def test_expired_certificate_is_tls_error_with_reason(ca: trustme.CA, tmp_path) -> None:
    w = World()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    ca.issue_cert(
        "127.0.0.1", not_before=past - dt.timedelta(days=365), not_after=past
    ).configure_cert(ctx)
    w.start("127.0.0.1", tls=ctx)
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    try:
        r = one(w.url("/article/x"), ca_bundle=str(pem))  # trusted CA, expired certificate
    finally:
        w.stop()
    assert r.verdict is Verdict.TLS_ERROR and "expired" in r.reason


def test_per_host_overrides(own_world: World) -> None:
    cfg = make_settings(
        hosts=[{"pattern": "127.0.0.9", "per_host_rate": 4.0, "user_agent": "special-agent/1.0"}]
    )
    urls = [own_world.url(f"/article/o{i}") for i in range(4)]
    t0 = time.perf_counter()
    results = check(urls, cfg)
    assert all(r.verdict is Verdict.ALIVE for r in results)
    assert time.perf_counter() - t0 >= 0.7  # 4 pages + robots.txt at 4/s
    assert set(own_world.user_agents) == {"special-agent/1.0"}
    policy = cfg.check.policy_for("www.state.gov")
    assert policy.rate == cfg.check.per_host_rate  # no pattern matched: the defaults


def test_one_off_check_reports_status_failing_not_dead(world: World) -> None:
    r = one(world.url("/gone"))
    assert r.verdict is Verdict.DEAD and r.status == "failing" and r.failures == 1
    assert r.as_json()["status"] == "failing"
