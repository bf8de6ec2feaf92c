"""Not a proxy into private networks: SSRF guard on the resolved address, at connect time."""

from __future__ import annotations

import pytest

from monitor import api, check
from monitor.core.verdict import Verdict
from monitor.store import Store
from tests.conftest import make_settings
from tests.world import World


@pytest.fixture
def closed_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_ALLOW_NETWORKS", raising=False)


def test_cited_private_urls_are_blocked_and_never_fetched(world: World, closed_to_loopback) -> None:
    urls = [
        world.url("/article/ssrf"),
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/x",
        "http://10.0.0.1/admin",
    ]
    results = {r.url: r for r in check(urls, make_settings(connect_timeout=1))}
    assert {r.verdict for r in results.values()} == {Verdict.BLOCKED}
    assert all(r.reason.startswith("private address: not fetched") for r in results.values())
    # the reason names the setting that allows the address (issue 32)
    named = [r for r in results.values() if "resolves to" in r.reason]
    assert named and all("allow_networks" in r.reason and "MONITOR_ALLOW_NETWORKS" in r.reason for r in named)
    assert world.hits["/article/ssrf"] == 0
    # a private range opened in config is reachable again
    (r,) = check([world.url("/article/ssrf")], make_settings(allow_networks=["127.0.0.1/32"]))
    assert r.verdict is Verdict.ALIVE


def test_a_host_name_that_resolves_privately_is_blocked(world: World, closed_to_loopback) -> None:
    """A name, not a literal: the guard sits in the resolver of each transport."""
    url = world.url("/article/by-name").replace("127.0.0.1", "localhost")
    for transport in ("aiohttp", "httpx"):
        (r,) = check([url], make_settings(transport=transport))
        assert r.verdict is Verdict.BLOCKED and r.reason.startswith("private address"), r.reason
    assert world.hits["/article/by-name"] == 0


def test_a_redirect_into_a_private_range_is_blocked(world: World, closed_to_loopback) -> None:
    other = World()
    other.start("127.0.0.9")
    try:
        world.pages["/to-internal"] = (302, "", {"Location": other.url("/article/internal")})
        (r,) = check([world.url("/to-internal")], make_settings(allow_networks=["127.0.0.1/32"]))
    finally:
        other.stop()
    assert r.verdict is Verdict.BLOCKED and "127.0.0.9" in r.reason
    assert [h.status for h in r.redirect_chain] == [302]
    assert other.hits["/article/internal"] == 0


def test_ingest_of_a_private_page_url_is_refused(
    store: Store, world: World, closed_to_loopback
) -> None:
    before = world.hits["/pages/kazakhstan.htm"]
    (res,) = api.ingest(store, [world.url("/pages/kazakhstan.htm")], make_settings())
    assert res.error and "private address" in res.error
    assert world.hits["/pages/kazakhstan.htm"] == before
