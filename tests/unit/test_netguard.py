"""Not a proxy into private networks: SSRF guard on the resolved address, at connect time."""

from __future__ import annotations

import asyncio
import ipaddress

import httpcore
import pytest

from monitor.checking.netguard import GuardedBackend, PrivateAddressError, permitted

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


def test_the_aiohttp_resolver_answers_the_checked_address_only() -> None:
    from monitor.checking.aiotransport import GuardedResolver

    async def go() -> None:
        with pytest.raises(PrivateAddressError):
            await GuardedResolver([]).resolve("localhost", 80)
        loopback = [ipaddress.ip_network("127.0.0.0/8")]
        (answer,) = await GuardedResolver(loopback).resolve("localhost", 80)
        assert answer["host"] == "127.0.0.1" and answer["hostname"] == "localhost"

    asyncio.run(go())


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


def test_auto_transport_is_httpx_for_a_few_urls_and_aiohttp_for_a_run() -> None:
    """Importing aiohttp costs a one-URL check more than its cheaper pages save; a run's
    feed (None: many) and a big check use aiohttp; a setting of either is kept."""
    from monitor.checking.http import FEW_URLS, transport_for
    from monitor.config import CheckSettings

    auto = CheckSettings()
    assert auto.transport == "auto"
    assert transport_for(auto, 1) == transport_for(auto, FEW_URLS) == "httpx"
    assert transport_for(auto, FEW_URLS + 1) == transport_for(auto, None) == "aiohttp"
    for fixed in ("aiohttp", "httpx"):
        assert transport_for(CheckSettings(transport=fixed), 1) == fixed
