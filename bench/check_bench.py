"""Benchmark: URLs checked per second against local servers, and a full `run` on SQLite.

    .venv/bin/python bench/check_bench.py            # 2,000 URLs over 20 hosts
    .venv/bin/python bench/check_bench.py --urls 5000 --hosts 50

A separate process serves small HTML pages (5% of paths answer 404) on 127.0.0.1-127.0.0.N,
one listener per address, so per-host politeness applies as it would on the real web. The
numbers measure monitor's own overhead (parsing, verdicts, httpx, SQLite), not the network:
real checks are bounded by remote latency and politeness long before this.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MONITOR_ALLOW_NETWORKS", "127.0.0.0/8")  # the local servers

from world import Answer, answer_requests

from monitor import api
from monitor.checking.hosts import check_hosts
from monitor.config import Settings
from monitor.store import open_store

PAGE = (
    b"<!DOCTYPE html><html><head><title>Report %d</title></head><body><h1>Report</h1>"
    + b"<p>"
    + b"Lorem ipsum dolor sit amet. " * 60
    + b"</p></body></html>"
)


def serve(hosts: list[str], ready: mp.Event, ports: mp.Array) -> None:  # type: ignore[type-arg]
    async def answer(path: str) -> Answer:
        n = int(path.rsplit("/", 1)[-1] or 0)
        if n % 20 == 7:
            return b"404 Not Found", b"", b"<title>404 Not Found</title>"
        return b"200 OK", b"", PAGE % n

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer_requests(reader, writer, answer, b"text/html; charset=utf-8")

    async def main() -> None:
        servers = []
        for i, host in enumerate(hosts):
            srv = await asyncio.start_server(handle, host, 0, backlog=1024)
            ports[i] = srv.sockets[0].getsockname()[1]
            servers.append(srv)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def settings(db: str, polite: bool) -> Settings:
    http = {"contact": "mailto:bench@example.org", "concurrency": 64}
    if not polite:
        http |= {"per_host_rate": 10_000.0, "per_host_concurrency": 16}
    return Settings(check=http, database={"url": db}, archive={"endpoints": []})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    ready, ports = mp.Event(), mp.Array("i", args.hosts)
    proc = mp.Process(target=serve, args=(hosts, ready, ports), daemon=True)
    proc.start()
    if not ready.wait(10):
        sys.exit("bench server did not start")
    bases = [f"http://{h}:{ports[i]}" for i, h in enumerate(hosts)]
    urls = [f"{bases[n % len(bases)]}/report/{n}" for n in range(args.urls)]
    print(f"{args.urls} URLs over {args.hosts} hosts (127.0.0.x), server in its own process")

    for label, polite in (("fast (per-host limits lifted)", False), ("default politeness", True)):
        cfg = settings("sqlite://", polite)
        rates = []
        for _ in range(args.repeat if not polite else 1):
            t0 = time.perf_counter()
            results = asyncio.run(check_hosts(urls, cfg.check))
            rates.append(len(results) / (time.perf_counter() - t0))
        counts = Counter(r.verdict.value for r in results)
        print(
            f"  check only, {label}: median {statistics.median(rates):,.0f} URLs/s "
            f"(runs: {', '.join(f'{r:,.0f}' for r in rates)}); verdicts {dict(counts)}"
        )

    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "links.urls"
        page.write_text("\n".join(urls) + "\n")
        cfg = settings(f"sqlite:///{tmp}/bench.sqlite", polite=False)
        store = open_store(cfg.database.url)
        t0 = time.perf_counter()
        api.ingest(store, [str(page)], cfg)
        t_ingest = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = api.run(store, cfg)
        t_run = time.perf_counter() - t0
        counts = store.reports.table_counts()
        print(
            f"  ingest {args.urls} URLs into SQLite: {t_ingest:.2f} s; "
            f"`run` (check + store every result): {t_run:.2f} s = "
            f"{summary.due / t_run:,.0f} URLs/s; rows: {counts['url_check']} checks, "
            f"{counts['verified_access']} verified access dates"
        )
        store.close()
    proc.terminate()


if __name__ == "__main__":
    main()
