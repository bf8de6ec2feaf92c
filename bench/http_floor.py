"""The HTTP client's own cost, nothing judged: aiohttp GETs every URL of a list and reads
each body, as a check would, and the CPU per URL is printed. What monitor's check could cost
at the very least in Python, beside a peer's whole run (bench/throughput.py).

    monitor check PAGE --dump > urls.txt     # a world of bench/world.py serving PAGE
    .venv/bin/python bench/http_floor.py urls.txt [--concurrency 128] [--per-host 8]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import aiohttp


async def fetch_all(urls: list[str], concurrency: int, per_host: int) -> None:
    conn = aiohttp.TCPConnector(limit=concurrency, limit_per_host=per_host)
    async with aiohttp.ClientSession(connector=conn, auto_decompress=False) as session:
        gate = asyncio.Semaphore(concurrency)

        async def one(url: str) -> None:
            async with gate, session.get(url, allow_redirects=False) as response:
                await response.read()

        await asyncio.gather(*(one(u) for u in urls), return_exceptions=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("urls", type=Path, help="one URL a line (monitor check PAGE --dump)")
    ap.add_argument("--concurrency", type=int, default=128)
    ap.add_argument("--per-host", type=int, default=8)
    args = ap.parse_args()
    urls = [u.strip() for u in args.urls.read_text().splitlines() if u.startswith("http")]
    w0, c0 = time.perf_counter(), time.process_time()
    asyncio.run(fetch_all(urls, args.concurrency, args.per_host))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    per = cpu / len(urls) * 1000
    print(f"{len(urls)} GETs: wall {wall:.2f} s, CPU {cpu:.2f} s, {per:.3f} ms/URL")


if __name__ == "__main__":
    main()
