"""Integration: the checker against real HTTP(S) servers on 127.0.0.1, one verdict each."""

from __future__ import annotations

import time

import pytest

from monitor import check
from monitor.core.verdict import Verdict
from tests.conftest import make_settings
from tests.world import World, bomb, closed_port

CASES = [
    ("/article/kazak-women", Verdict.ALIVE, "HTTP 200"),
    ("/plain.txt", Verdict.ALIVE, "HTTP 200"),
    ("/big.pdf", Verdict.ALIVE, "HTTP 200"),
    ("/missing", Verdict.DEAD, "404"),
    ("/gone", Verdict.DEAD, "410"),
    ("/error", Verdict.TRANSIENT, "500"),
    ("/throttle", Verdict.TRANSIENT, "Retry-After 120"),
    ("/private", Verdict.BLOCKED, "401"),
    ("/forbidden", Verdict.BLOCKED, "403"),
    ("/wall", Verdict.BLOCKED, "bot wall"),
    ("/soft", Verdict.SOFT404, "not-found page"),
    ("/ru-soft", Verdict.SOFT404, "страница не найдена"),
    ("/parked", Verdict.DRIFTED, "for sale"),
    ("/old", Verdict.MOVED, "/article/new-home"),
    ("/https-same", Verdict.ALIVE, "HTTP 200"),
    ("/temp", Verdict.ALIVE, "temporary redirect"),
    ("/deep/2005/11/article.html", Verdict.SOFT404, "home page"),
    ("/members-only/report", Verdict.SOFT404, "landing page"),
    ("/loop-a", Verdict.DEAD, "redirect loop"),
    ("/chain/0", Verdict.DEAD, "too many redirects"),
    ("/to-mailto", Verdict.DEAD, "mailto"),
    # hostile servers: redirects out of the web, giant headers, answers that are not HTTP,
    # bytes that are not what they claim; each a clean verdict with its reason
    ("/to-file", Verdict.DEAD, "unsupported URL scheme: redirect to file:///etc/passwd"),
    ("/to-ftp", Verdict.DEAD, "unsupported URL scheme: redirect to ftp://"),
    ("/giant-location", Verdict.TRANSIENT, "server broke the HTTP protocol"),
    ("/raw/bad-status", Verdict.TRANSIENT, "illegal status line"),
    ("/raw/no-status", Verdict.TRANSIENT, "illegal status line"),
    ("/invalid-utf8", Verdict.ALIVE, "HTTP 200"),
    ("/mislabelled", Verdict.SOFT404, "страница не найдена"),
    ("/slow", Verdict.TRANSIENT, "timed out"),
    ("/reset", Verdict.TRANSIENT, ""),
]


@pytest.fixture(scope="module", params=["aiohttp", "httpx"])
def results(world: World, request: pytest.FixtureRequest) -> dict[str, object]:
    """Every case through each HTTP transport: the same verdicts and reasons from both."""
    settings = make_settings(read_timeout=1.0, max_redirects=8, transport=request.param)
    urls = [world.url(p) for p, _, _ in CASES]
    # the world is the session's: what other modules' checks sent is not these checks'
    world.user_agents.clear()
    return {r.url: r for r in check(urls, settings)}


@pytest.mark.parametrize(("path", "verdict", "reason"), CASES)
def test_verdict(world: World, results: dict, path: str, verdict: Verdict, reason: str) -> None:
    r = results[world.url(path)]
    assert r.verdict is verdict, (r.verdict, r.reason)
    assert reason.lower() in r.reason.lower()
    assert r.elapsed_ms >= 0
    assert r.checked_at.tzinfo is not None


def test_redirect_chain_is_recorded(world: World, results: dict) -> None:
    r = results[world.url("/old")]
    assert [h.status for h in r.redirect_chain] == [301]
    assert r.final_url == world.url("/article/new-home")
    loop = results[world.url("/loop-a")]
    assert [h.status for h in loop.redirect_chain] == [302, 302]


def test_large_bodies_are_not_downloaded(world: World, results: dict) -> None:
    # 50 MB each; the checker reads at most max_body_bytes of HTML and nothing of a PDF.
    r = check([world.url("/huge.html")], make_settings())[0]
    assert r.verdict is Verdict.ALIVE
    time.sleep(0.3)
    assert world.bytes_sent["/huge.html"] < 16 * 1024 * 1024
    assert world.bytes_sent["/big.pdf"] < 16 * 1024 * 1024


def test_only_get_is_used_and_user_agent_is_honest(world: World, results: dict) -> None:
    assert world.methods["HEAD"] == 0
    assert world.user_agents
    assert all("monitor/" in ua and "mailto:tests@example.org" in ua for ua in world.user_agents)


def test_refused_and_dns_failure_are_dead() -> None:
    port = closed_port()
    (refused,) = check([f"http://127.0.0.1:{port}/x"], make_settings())
    assert refused.verdict is Verdict.DEAD and refused.error_class == "refused"
    # .invalid never resolves (RFC 6761); a machine without any resolver says "temporary".
    (dns,) = check(["http://no-such-host.invalid/page"], make_settings())
    if dns.error_class == "dns_not_found":
        assert dns.verdict is Verdict.DEAD
    else:
        assert dns.error_class == "dns_temporary" and dns.verdict is Verdict.TRANSIENT


def test_untrusted_certificate_is_tls_error(tls_world: World) -> None:
    (r,) = check([tls_world.url("/article/x")], make_settings())
    assert r.verdict is Verdict.TLS_ERROR
    assert r.error_class == "tls_cert"
    assert "certificate" in r.reason.lower()


def test_trusted_certificate_via_ca_bundle(tls_world: World, ca, tmp_path) -> None:
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    (r,) = check([tls_world.url("/article/x")], make_settings(ca_bundle=str(pem)))
    assert r.verdict is Verdict.ALIVE, r.reason


def test_everything_unreachable_means_we_are_offline() -> None:
    urls = [f"http://127.0.0.{i}:{closed_port(f'127.0.0.{i}')}/a" for i in range(2, 8)]
    results = check(urls, make_settings())
    assert {r.verdict for r in results} == {Verdict.TRANSIENT}
    assert all(r.reason.startswith("network outage suspected: 6 of 6 hosts") for r in results)


def test_one_reachable_host_keeps_refusals_dead(world: World) -> None:
    urls = [f"http://127.0.0.{i}:{closed_port(f'127.0.0.{i}')}/a" for i in range(2, 8)]
    results = check([*urls, world.url("/article/up")], make_settings())
    by = {r.url: r for r in results}
    assert all(by[u].verdict is Verdict.DEAD for u in urls)


def test_per_host_concurrency_is_respected(world: World) -> None:
    urls = [world.url(f"/pause/{i}") for i in range(8)]  # 0.2 s each
    t0 = time.perf_counter()
    results = check(urls, make_settings(per_host_concurrency=2))
    elapsed = time.perf_counter() - t0
    assert all(r.verdict is Verdict.ALIVE for r in results)
    assert world.peak_active["pause"] == 2
    assert elapsed >= 0.75  # 8 requests of 0.2 s, two at a time


def test_per_host_rate_is_respected(world: World) -> None:
    urls = [world.url(f"/article/rate-{i}") for i in range(6)]
    t0 = time.perf_counter()
    results = check(urls, make_settings(per_host_rate=10.0))
    elapsed = time.perf_counter() - t0
    assert all(r.verdict is Verdict.ALIVE for r in results)
    assert elapsed >= 0.45  # 6 requests at 10/s: at least 5 intervals of 0.1 s


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compression_bomb_is_read_only_up_to_the_cap(world: World, encoding: str) -> None:
    """200 MB of zeros in ~200 KB (gzip, deflate) or ~100 bytes (br, which we never ask
    for, so it is not decoded at all): the verdict comes from what was readable."""
    import tracemalloc

    ok = check([world.url("/gzipped.html")], make_settings())[0]
    assert ok.verdict is Verdict.ALIVE and ok.page_title == "Kazak Women Sold as Sex Slaves | IWPR"
    # made before the clock starts: compressing 200 MB took the server seconds on a busy
    # machine, and the check timed out waiting for its first byte
    bomb(encoding)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        (r,) = check([world.url(f"/bomb.{encoding}")], make_settings())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 10
    assert r.verdict is Verdict.ALIVE  # 200 with nothing readable: no cue of anything else
    assert peak < 16 * 1024 * 1024  # 200 MB inflated would be 200 MB; we hold ~256 KiB


@pytest.mark.parametrize("path", ["/drip", "/endless-headers"])
def test_slow_drip_hits_the_overall_deadline(world: World, path: str) -> None:
    """A byte every 0.3 s never trips a 1 s read timeout; the per-URL deadline ends it."""
    import tracemalloc

    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        (r,) = check([world.url(path)], make_settings(read_timeout=1.0, timeout=2.0, retries=0))
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.verdict is Verdict.TRANSIENT and "timed out" in r.reason and "2 s" in r.reason
    assert 1.9 <= elapsed < 5
    assert peak < 8 * 1024 * 1024  # endless headers are not piled up


def test_a_server_that_never_answers_does_not_starve_other_hosts(world: World) -> None:
    """A host that accepts every connection and never answers: its URLs end at the
    deadline, and the other hosts' checks are not held up behind them."""
    import socket
    import threading
    import tracemalloc

    hung = socket.socket()
    hung.bind(("127.0.0.12", 0))
    hung.listen(512)
    port = hung.getsockname()[1]
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        hung.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(hung.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    bad = [f"http://127.0.0.12:{port}/p{i}" for i in range(40)]
    good = [world.url(f"/article/unstarved-{i}") for i in range(5)]
    finished: dict[str, float] = {}
    t0 = time.perf_counter()

    def note(r) -> None:
        finished[r.url] = time.perf_counter() - t0

    tracemalloc.start()
    try:
        results = check(
            bad + good,
            make_settings(
                read_timeout=1.0, timeout=1.5, retries=0, per_host_concurrency=8, concurrency=16
            ),
            on_result=note,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        stop.set()
        for s in held:
            s.close()
        hung.close()
    by = {r.url: r for r in results}
    assert all(by[u].verdict is Verdict.ALIVE for u in good)
    assert all(by[u].verdict is Verdict.TRANSIENT for u in bad)
    assert max(finished[u] for u in good) < 1.5  # not queued behind the hung host
    assert time.perf_counter() - t0 < 15  # 40 hung URLs, 8 at a time, 1.5 s each: ~7.5 s
    assert peak < 16 * 1024 * 1024  # waiting connections cost sockets, not memory


HOSTILE = ["/to-file", "/to-ftp", "/giant-location", "/raw/bad-status", "/raw/no-status",
           "/invalid-utf8", "/mislabelled", "/loop-a", "/chain/0"]  # fmt: skip


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_answers_end_quickly_in_little_memory(world: World, path: str) -> None:
    """Time and memory bounds for each hostile answer, retries included."""
    import tracemalloc

    expected = {p: v for p, v, _ in CASES}[path]
    tracemalloc.start()
    t = time.monotonic()
    try:
        r = check([world.url(path)], make_settings(max_redirects=8))[0]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.verdict is expected, r.reason
    assert time.monotonic() - t < 3.0
    assert peak < 8 * 1024 * 1024  # the 200 kB Location header is refused, not buffered twice


def test_the_url_fetched_is_the_url_cited(world: World) -> None:
    """`//` inside a path names another resource on many servers: the checker asks for
    exactly the path the page cites."""
    world.pages["/double//slash"] = (200, "<title>Double</title><p>the cited page</p>", {})
    (r,) = check([world.url("/double//slash")], make_settings())
    assert r.verdict is Verdict.ALIVE and r.url.endswith("/double//slash")
    assert world.hits["/double//slash"] == 1 and world.hits["/double/slash"] == 0
