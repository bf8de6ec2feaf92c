"""The HTTP layer alone: httpx's own transport (httpcore), httpx-aiohttp (httpx's API over
aiohttp's C-accelerated HTTP parser), monitor's guarded aiohttp fetcher (what checks use)
and aiohttp alone, fetching the same realistic pages from the same nginx, the way a check
reads them (a streamed GET, the body read to the end).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/transport.py --urls 4000 --hosts 50

Prints wall time, CPU ms per URL and URLs/s for each transport, one after the other in
one process (the order alternates over --rounds to even out warm-up).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import throughput


async def fetch_all(client: httpx.AsyncClient, urls: list[str], concurrency: int) -> int:
    todo = iter(urls)
    total = 0

    async def worker() -> None:
        nonlocal total
        for url in todo:
            async with client.stream("GET", url) as resp:
                async for chunk in resp.aiter_raw():
                    total += len(chunk)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total


async def fetch_raw(urls: list[str], concurrency: int) -> int:
    """aiohttp alone, no httpx objects: the floor of what the HTTP layer can cost."""
    import aiohttp

    todo = iter(urls)
    total = 0
    connector = aiohttp.TCPConnector(limit=concurrency, use_dns_cache=False)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:

        async def worker() -> None:
            nonlocal total
            for url in todo:
                async with session.get(url, allow_redirects=False) as resp:
                    async for chunk in resp.content.iter_chunked(64 * 1024):
                        total += len(chunk)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total


async def fetch_monitor(urls: list[str], concurrency: int) -> int:
    """monitor's `AiohttpFetcher`, guarded, as `check.observe` calls it."""
    import ipaddress
    import ssl

    from monitor.checking.aiotransport import AiohttpFetcher

    loopback = [ipaddress.ip_network("127.0.0.0/8")]
    limits = httpx.Limits(max_connections=concurrency)
    todo = iter(urls)
    total = 0
    async with AiohttpFetcher(
        loopback, ssl.create_default_context(), limits, httpx.Timeout(30.0), {}
    ) as fetcher:

        async def worker() -> None:
            nonlocal total
            for url in todo:
                answer = await fetcher.get(url, {})
                try:
                    async for chunk in answer.raw():
                        total += len(chunk)
                finally:
                    await answer.aclose()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total


def client_for(kind: str, concurrency: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    if kind == "httpx":
        return httpx.AsyncClient(limits=limits)
    from httpx_aiohttp import AiohttpTransport

    return httpx.AsyncClient(transport=AiohttpTransport(limits=limits))


async def measure(kind: str, urls: list[str], concurrency: int) -> tuple[float, float, int]:
    if kind in ("raw", "monitor"):
        t0, c0 = time.perf_counter(), time.process_time()
        size = await (fetch_raw if kind == "raw" else fetch_monitor)(urls, concurrency)
        return time.perf_counter() - t0, time.process_time() - c0, size
    async with client_for(kind, concurrency) as client:
        t0, c0 = time.perf_counter(), time.process_time()
        size = await fetch_all(client, urls, concurrency)
        return time.perf_counter() - t0, time.process_time() - c0, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=4000)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        world = throughput.nginx_world(Path(t), args.urls, args.hosts)
        urls = [u for u in world.urls if world.truth[u]]
        try:
            kinds = ["httpx", "aiohttp", "monitor", "raw"]
            results: dict[str, list[tuple[float, float, int]]] = {k: [] for k in kinds}
            for r in range(args.rounds):
                order = kinds if r % 2 == 0 else kinds[::-1]
                for kind in order:
                    results[kind].append(asyncio.run(measure(kind, urls, args.concurrency)))
        finally:
            world.stop.send_signal(signal.SIGQUIT)  # type: ignore[attr-defined]
            world.stop.wait(10)  # type: ignore[attr-defined]
    print(f"{len(urls):,} pages (realistic sizes) over {args.hosts} hosts, nginx, "
          f"concurrency {args.concurrency}, best of {args.rounds}")  # fmt: skip
    print(f"{'transport':10} {'seconds':>8} {'URLs/s':>8} {'CPU ms/URL':>11} {'MB read':>8}")
    for kind, runs in results.items():
        wall, cpu, size = min(runs)
        print(f"{kind:10} {wall:8.2f} {len(urls) / wall:8.0f} {cpu / len(urls) * 1000:11.3f}"
              f" {size / 1e6:8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
