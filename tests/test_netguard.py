"""Not a proxy into private networks: SSRF guard on the resolved address, at connect time."""

from __future__ import annotations

import asyncio
import ipaddress

import httpcore
import pytest

from monitor import api, check
from monitor.checking.netguard import GuardedBackend, PrivateAddressError, permitted
from monitor.core.verdict import Verdict
from monitor.store import Store
from tests.conftest import make_settings
from tests.world import World

NETS = [ipaddress.ip_network("127.0.0.0/8")]


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("8.8.8.8", True),
        ("2a00:1450::1", True),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("172.16.5.5", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("fc00::1", False),
        ("fe80::1", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("ff02::1", False),
        ("100.64.0.1", False),  # carrier-grade NAT
        ("100.100.100.200", False),  # a cloud metadata service in that range
        ("198.18.0.1", False),  # benchmarking range, not routed
        ("1.1.1.1", True),
    ],
)
def test_what_counts_as_private(address: str, ok: bool) -> None:
    assert permitted(address, []) is ok
    assert permitted("127.0.0.5", NETS) and not permitted("10.0.0.1", NETS)


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


def test_the_aiohttp_resolver_answers_the_checked_address_only() -> None:
    from monitor.checking.aiotransport import GuardedResolver

    async def go() -> None:
        with pytest.raises(PrivateAddressError):
            await GuardedResolver([]).resolve("localhost", 80)
        loopback = [ipaddress.ip_network("127.0.0.0/8")]
        (answer,) = await GuardedResolver(loopback).resolve("localhost", 80)
        assert answer["host"] == "127.0.0.1" and answer["hostname"] == "localhost"

    asyncio.run(go())


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


def test_dns_rebinding_gains_nothing() -> None:
    """A name that resolves to a public address first and to a private one after: the
    connection goes to the address that was checked, and a private answer is refused."""
    answers = [["93.184.216.34"], ["127.0.0.1"]]
    seen: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        return answers.pop(0)

    class Recorder(httpcore.AsyncNetworkBackend):
        async def connect_tcp(
            self, host, port, timeout=None, local_address=None, socket_options=None
        ):
            seen.append(host)
            raise httpcore.ConnectError("recorded, not connected")

    backend = GuardedBackend(Recorder(), [], resolver)

    async def go() -> None:
        with pytest.raises(httpcore.ConnectError):
            await backend.connect_tcp("rebind.example", 80)
        with pytest.raises(PrivateAddressError):
            await backend.connect_tcp("rebind.example", 80)

    asyncio.run(go())
    assert seen == ["93.184.216.34"]  # connected to the checked address, never re-resolved


def test_ingest_of_a_private_page_url_is_refused(
    store: Store, world: World, closed_to_loopback
) -> None:
    before = world.hits["/pages/kazakhstan.htm"]
    (res,) = api.ingest(store, [world.url("/pages/kazakhstan.htm")], make_settings())
    assert res.error and "private address" in res.error
    assert world.hits["/pages/kazakhstan.htm"] == before
