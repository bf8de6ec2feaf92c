"""Verdicts on the labelled world of real-looking sites (tests/labelled_world.py): the
confusion matrix, accuracy, recall per verdict, false failures, and what the checks cost.

    .venv/bin/python bench/labelled.py

312 URLs on 12 loopback sites (site names in every title, header and footer; branded 404
pages, 200 "nothing here" pages, a catch-all portal; meta-refresh and script redirects,
15- and 25-hop chains, CSV/JSON/PNG/PDF, NUL bytes, a gzip bomb, quoted passages).
Per-host limits are lifted; every request the sites answer is counted.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MONITOR_ALLOW_NETWORKS", "127.0.0.0/8")  # the local servers

from monitor.checking.hosts import check_hosts
from monitor.config import Settings
from monitor.core.results import Context
from tests import labelled_world as lw


def run() -> tuple[dict, list, float, int]:
    sites = lw.serve()
    hits = Counter()
    original = lw._Handler.do_GET

    def counting(self) -> None:
        hits[self.server.site.host] += 1
        original(self)

    lw._Handler.do_GET = counting  # type: ignore[method-assign]
    try:
        rows = lw.labelled(sites)
        lw.labelled_rows = rows
        cfg = Settings(
            check={"contact": "mailto:bench@example.org", "per_host_rate": 0,
                   "per_host_concurrency": 8, "timeout": 10.0},
            database={"url": "sqlite://"}, archive={"endpoints": []},
        )  # fmt: skip
        ctx = Context(titles={u: t for u, _, t, _ in rows})
        if hasattr(Context, "passages"):
            ctx = Context(
                titles={u: t for u, _, t, _ in rows},
                passages={u: [p] for u, _, _, p in rows if p},
            )
        t0 = time.perf_counter()
        results = asyncio.run(check_hosts([u for u, *_ in rows], cfg.check, context=ctx))
        took = time.perf_counter() - t0
    finally:
        lw._Handler.do_GET = original  # type: ignore[method-assign]
        lw.stop(sites)
    got = {r.url: r.verdict.value for r in results}
    return lw.score(rows, got), results, took, sum(hits.values())


def main() -> None:
    s, results, took, requests = run()
    print(
        f"{s['total']} URLs, {took:.1f} s, {requests} requests ({requests / s['total']:.2f} a URL)"
    )
    print(f"accuracy {s['accuracy']:.3f}; false failures among alive {s['false_failure_rate']:.3f}")
    print("recall: " + ", ".join(f"{v} {r:.2f}" for v, r in sorted(s["recall"].items())))
    verdicts = sorted({v for pair in s["confusion"] for v in pair})
    print("\n| expected \\ got | " + " | ".join(verdicts) + " |")
    print("|---|" + "---|" * len(verdicts))
    for e in verdicts:
        row = [str(s["confusion"].get((e, g), "")) for g in verdicts]
        if any(row):
            print(f"| {e} | " + " | ".join(row) + " |")
    expected = {u: e for u, e, _, _ in lw.labelled_rows}
    shown: set[tuple[str, str]] = set()
    for r in results:
        kind = r.url.split("/")[3]
        if r.verdict.value != expected[r.url] and (kind, r.verdict.value) not in shown:
            shown.add((kind, r.verdict.value))
            print(f"  {kind}: expected {expected[r.url]}, got {r.verdict.value} - {r.reason[:100]}")


if __name__ == "__main__":
    main()
