"""Not a proxy into private networks: cited URLs may not reach internal addresses.

`monitor` fetches addresses that strangers wrote into web pages, often from inside an
institution's network. A cited `http://169.254.169.254/latest/meta-data/` or
`http://intranet.local/admin` must not be fetched on their behalf. The check is made on the
*resolved* address, at connect time, inside httpcore's network backend: the connection then
goes to exactly the address that was checked, so a name that resolves to a public address
first and to a private one a moment later (DNS rebinding) gains nothing. Redirects,
robots.txt and probe requests all connect through the same backend.

Refused by default: loopback, private (RFC 1918, unique-local fc00::/7), link-local
(169.254.0.0/16, fe80::/10, cloud metadata), multicast, reserved and unspecified addresses,
and IPv4-mapped IPv6 forms of those. `[check] allow_networks` or `MONITOR_ALLOW_NETWORKS`
(comma-separated CIDRs) open chosen ranges; the test suite opens 127.0.0.0/8 this way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx

from monitor.core.errors import PrivateAddressError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]


def permitted(address: str, allow: Sequence[Network]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in net for net in allow):
        return True
    # not is_global also covers 100.64.0.0/10 (carrier-grade NAT, where some clouds keep
    # their metadata service, e.g. 100.100.100.200), which is_private does not
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified
    )  # fmt: skip


def _literal(host: str) -> list[str] | None:
    """[host] when it is an IP address already (no lookup), else None."""
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        return None
    return [bare]


def _addresses(infos: Iterable[Any]) -> list[str]:
    return list(dict.fromkeys(info[4][0] for info in infos))


async def system_resolver(host: str, port: int) -> list[str]:
    literal = _literal(host)
    if literal is not None:
        return literal
    loop = asyncio.get_running_loop()
    return _addresses(await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))


def _check(host: str, addresses: Iterable[str], allow: Sequence[Network]) -> str:
    addresses = list(addresses)
    good = [a for a in addresses if permitted(a, allow)]
    if not good:
        raise PrivateAddressError(host, addresses[0] if addresses else "nothing")
    return good[0]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to checked addresses."""

    def __init__(
        self,
        inner: httpcore.AsyncNetworkBackend,
        allow: Sequence[Network],
        resolver: Resolver = system_resolver,
    ) -> None:
        self.inner, self.allow, self.resolver = inner, list(allow), resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        address = _check(host, addresses, self.allow)
        return await self.inner.connect_tcp(address, port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise PrivateAddressError("unix socket", "a local socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedSyncBackend(httpcore.NetworkBackend):
    """The same, for the synchronous client that fetches pages given to `ingest`."""

    def __init__(self, inner: httpcore.NetworkBackend, allow: Sequence[Network]) -> None:
        self.inner, self.allow = inner, list(allow)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = _literal(host)
        if addresses is None:
            try:
                addresses = _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            except socket.gaierror as exc:
                raise httpcore.ConnectError(str(exc)) from exc
        address = _check(host, addresses, self.allow)
        return self.inner.connect_tcp(address, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise PrivateAddressError("unix socket", "a local socket")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def _pool_options(verify: ssl.SSLContext, limits: httpx.Limits) -> dict[str, Any]:
    """The pool settings httpx's own transport would derive from `verify` and `limits`."""
    return {
        "ssl_context": verify,
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
    }


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over an httpcore pool whose network backend is `GuardedBackend`.

    httpx 0.28 has no parameter for the network backend, but httpcore's pool takes one
    (`network_backend=`, public). So this transport builds that pool itself, with the same
    settings httpx would use, in the attribute httpx's request handling reads; every
    connection of every client `monitor.checking.http` builds goes through the guard.
    """

    def __init__(
        self,
        allow: Sequence[Network],
        verify: ssl.SSLContext,
        limits: httpx.Limits,
        resolver: Resolver | None = None,
    ) -> None:
        super().__init__(verify=verify, limits=limits)
        backend = GuardedBackend(httpcore.AnyIOBackend(), allow, resolver or system_resolver)
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=backend, **_pool_options(verify, limits)
        )


class GuardedSyncTransport(httpx.HTTPTransport):
    """The same for the synchronous client that fetches pages given to `ingest`."""

    def __init__(
        self, allow: Sequence[Network], verify: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=verify, limits=limits)
        backend = GuardedSyncBackend(httpcore.SyncBackend(), allow)
        self._pool = httpcore.ConnectionPool(
            network_backend=backend, **_pool_options(verify, limits)
        )
