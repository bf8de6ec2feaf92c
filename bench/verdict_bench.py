"""Benchmark: throughput, memory and verdict accuracy on a generated web with known answers.

    .venv/bin/python bench/verdict_bench.py                 # 5,000 URLs over 100 hosts
    .venv/bin/python bench/verdict_bench.py --urls 10000 --hosts 200 --fast

A separate process serves 100 loopback hosts (127.0.1.x), each answering after a random
20-150 ms, with every situation of issue 3 in realistic shares: live articles, 404/410,
not-found pages served with 200, deep links sent to the home page, catch-all servers,
permanent moves, parked domains, pages that no longer carry the cited title, 503s that
clear on retry, 503s that do not, 403s and hung servers. Each URL's path says what a
careful human would answer; the checker's verdicts are scored against it.

By default the run uses the default politeness (1 request/s and 2 in flight per host),
as a real run would; --fast lifts the per-host limits to measure monitor's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MONITOR_ALLOW_NETWORKS", "127.0.0.0/8")  # the local servers

from world import Answer, answer_requests

from monitor.checking.hosts import check_hosts
from monitor.config import Settings
from monitor.core.results import Context

# kind -> (share, expected verdict)
KINDS = {
    "ok": (0.55, "alive"),
    "retry": (0.03, "alive"),  # 503 on the first request, then fine
    "moved": (0.05, "moved"),
    "missing": (0.10, "dead"),
    "gone": (0.02, "dead"),
    "soft": (0.05, "soft404"),
    "home": (0.03, "soft404"),
    "parked": (0.02, "drifted"),
    "drift": (0.04, "drifted"),
    "down": (0.02, "transient"),
    "forbidden": (0.03, "blocked"),
    "slow": (0.01, "transient"),
}
SERVED = mp.Value("i", 0)  # requests the servers answered, robots.txt and probes included
CATCHALL_SHARE = 0.05  # hosts answering every path with the same page: their "ok" is soft404


def title(n: int) -> str:
    return f"Report {n} on human trafficking in Central Asia"


def page(t: str, body: str) -> bytes:
    html = f"<html><head><title>{t}</title></head><body><h1>{t}</h1><p>{body}</p></body></html>"
    return html.encode()


def serve(hosts: list[str], catchall: set[str], ready, ports, served=None) -> None:
    rng = random.Random(7)
    seen: Counter[str] = Counter()

    def respond(host: str, path: str) -> tuple[str, bytes, dict[str, str]]:
        parts = path.strip("/").split("/")
        kind = parts[0] if parts else ""
        n = int(parts[-1]) if parts[-1].isdigit() else 0
        if host in catchall:
            return "200 OK", page("Welcome to the Institute", "News, events and publications."), {}
        if path == "/":
            return "200 OK", page("Welcome", "Latest news."), {}
        if "monitor-probe" in path or path == "/robots.txt":
            return "404 Not Found", b"<title>404 Not Found</title>", {}
        article = page(title(n), "Text of the cited report. " * 40)
        if kind == "ok":
            return "200 OK", article, {}
        if kind == "retry":
            seen[path] += 1
            if seen[path] == 1:
                return "503 Service Unavailable", b"busy", {}
            return "200 OK", article, {}
        if kind == "moved":
            return "301 Moved Permanently", b"", {"Location": f"/new/{n}"}
        if kind == "new":
            return "200 OK", article, {}
        if kind == "missing":
            return "404 Not Found", b"<title>Not Found</title>", {}
        if kind == "gone":
            return "410 Gone", b"<title>Gone</title>", {}
        if kind == "soft":
            return "200 OK", page("Page not found", "Sorry, the page could not be found."), {}
        if kind == "home":
            return "301 Moved Permanently", b"", {"Location": "/"}
        if kind == "parked":
            return "200 OK", page("example.kz", "This domain is for sale! Buy it now."), {}
        if kind == "drift":
            return "200 OK", page("Quarterly results", "Shares rose in early trading. " * 30), {}
        if kind == "down":
            return "503 Service Unavailable", b"down", {}
        if kind == "forbidden":
            return "403 Forbidden", b"<title>Forbidden</title>", {}
        return "404 Not Found", b"", {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]

        async def answer(path: str) -> Answer:
            if served is not None:
                with served.get_lock():
                    served.value += 1
            if path.startswith("/slow/"):
                await asyncio.sleep(30)
            await asyncio.sleep(rng.uniform(0.02, 0.15))  # realistic server latency
            status, body, headers = respond(host, path)
            extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            return status.encode(), extra.encode(), body

        await answer_requests(reader, writer, answer, b"text/html; charset=utf-8")

    async def main() -> None:
        for i, host in enumerate(hosts):
            srv = await asyncio.start_server(handle, host, 0, backlog=1024)
            ports[i] = srv.sockets[0].getsockname()[1]
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def world(
    n_urls: int, n_hosts: int
) -> tuple[list[str], set[str], dict[str, str], dict[str, list[str]], mp.Process]:
    hosts = [f"127.0.1.{i + 1}" for i in range(n_hosts)]
    rng = random.Random(42)
    catchall = set(rng.sample(hosts, max(1, int(n_hosts * CATCHALL_SHARE))))
    ready, ports = mp.Event(), mp.Array("i", n_hosts)
    proc = mp.Process(target=serve, args=(hosts, catchall, ready, ports, SERVED), daemon=True)
    proc.start()
    if not ready.wait(15):
        sys.exit("bench server did not start")
    kinds = list(KINDS)
    weights = [KINDS[k][0] for k in kinds]
    urls, expected, titles = [], {}, {}
    for n in range(n_urls):
        i = n % n_hosts
        kind = rng.choices(kinds, weights)[0]
        url = f"http://{hosts[i]}:{ports[i]}/{kind}/{n}"
        urls.append(url)
        expected[url] = (
            "soft404" if hosts[i] in catchall and kind not in ("slow",) else KINDS[kind][1]
        )
        titles[url] = [title(n)]
    return urls, catchall, expected, titles, proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=5000)
    ap.add_argument("--hosts", type=int, default=100)
    ap.add_argument("--fast", action="store_true", help="lift per-host limits")
    args = ap.parse_args()
    urls, catchall, expected, titles, proc = world(args.urls, args.hosts)
    check = {
        "contact": "mailto:bench@example.org",
        "timeout": 3.0,
        "read_timeout": 3.0,
        "retry_wait": 0.2,
    }
    if args.fast:
        check |= {"per_host_rate": 0, "per_host_concurrency": 16}
    cfg = Settings(check=check, database={"url": "sqlite://"}, archive={"endpoints": []})
    print(
        f"{len(urls)} URLs over {args.hosts} hosts ({len(catchall)} catch-all), "
        f"latency 20-150 ms; per-host rate {cfg.check.per_host_rate:g}/s, "
        f"{cfg.check.per_host_concurrency} in flight per host, {cfg.check.concurrency} overall"
    )
    t0 = time.perf_counter()
    results = asyncio.run(check_hosts(urls, cfg.check, context=Context(titles=titles)))
    elapsed = time.perf_counter() - t0
    proc.terminate()
    got = {r.url: r.verdict.value for r in results}
    right = sum(got[u] == expected[u] for u in urls)
    confusion = Counter((expected[u], got[u]) for u in urls if got[u] != expected[u])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {elapsed:.1f} s, {len(urls) / elapsed:,.0f} URLs/s; peak memory {peak_mb:.0f} MB")
    print(f"  accuracy {right}/{len(urls)} = {100 * right / len(urls):.2f}%")
    print(f"  requests served: {SERVED.value:,} ({SERVED.value / len(urls):.2f} a URL)")
    print(f"  verdicts: {dict(Counter(got.values()).most_common())}")
    reasons = {r.url: r.reason for r in results}
    for (exp, g), n in confusion.most_common():
        sample = next(u for u in urls if expected[u] == exp and got[u] == g)
        print(f"    expected {exp}, got {g}: {n}  (e.g. {sample}: {reasons[sample]})")


if __name__ == "__main__":
    main()
