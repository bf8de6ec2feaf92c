"""Benchmark: what archive fallbacks cost for N dead links, against a real pywb archive.

    .venv/bin/python bench/archive_bench.py            # 200 dead links
    .venv/bin/python bench/archive_bench.py --links 500

Writes WARCs with captures for N cited URLs (per URL: a good copy, a later copy that no
longer carries the title, an archived 404; a fifth of the URLs were never archived), starts
pywb on 127.0.0.1, and runs the lookups with the endpoint's rate lifted. Prints the archive
requests one lookup costs (CDX queries + replay verifications) and the measured time, and
what the same run costs at the Internet Archive's budget (`rate_per_minute = 20`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("MONITOR_ALLOW_NETWORKS", "127.0.0.0/8")  # the local servers

import monitor.archives.wayback as archive
import tests.archive_world as aw
from monitor.archives.fallback import lookup_many
from monitor.config import Settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=200)
    args = ap.parse_args()
    urls = [f"http://site{i % 37}.example/reports/{i}.html" for i in range(args.links)]
    title = "Annual report on migration and labour rights"
    captures = []
    for i, url in enumerate(urls):
        if i % 5 == 4:
            continue  # never archived
        page = (
            f"<html><head><title>{title} {i}</title></head><body><h1>{title} {i}</h1></body></html>"
        )
        other = "<html><head><title>Site redesign</title></head><body>New site</body></html>"
        captures += [
            ("2010-03-01T00:00:00Z", url, "200 OK", page, []),
            ("2012-03-01T00:00:00Z", url, "200 OK", other, []),
            ("2014-03-01T00:00:00Z", url, "404 Not Found", "<title>404</title>", []),
        ]
    with tempfile.TemporaryDirectory() as tmp:
        aw.CAPTURES = []  # only this benchmark's captures
        pywb = aw.Pywb(Path(tmp), captures)
        t0 = time.perf_counter()
        pywb.start()
        print(
            f"pywb with {len(captures)} captures of {args.links} URLs up in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        s = Settings(
            database={"url": "sqlite://"},
            check={"contact": "mailto:bench@example.org", "per_host_rate": 0},
            archive={"endpoints": [pywb.endpoint(rate_per_minute=60_000)]},
        )
        reqs = [(u, dt.date(2013, 1, 1), [f"{title} {i}"]) for i, u in enumerate(urls)]
        calls = Counter()
        original = archive.CdxArchive.get_text

        async def counted(self, client, url, params, attempts=6):
            calls["cdx"] += 1
            return await original(self, client, url, params, attempts)

        archive.CdxArchive.get_text = counted  # type: ignore[method-assign]
        t0 = time.perf_counter()
        results = asyncio.run(lookup_many(reqs, s.archive, s.check))
        elapsed = time.perf_counter() - t0
        pywb.stop()
    outcomes = Counter(r.outcome for r in results)
    replays = sum(len(r.candidates) for r in results)
    cdx = calls["cdx"]
    total = cdx + replays
    print(f"  {args.links} dead links: outcomes {dict(outcomes)}")
    print(
        f"  archive requests: {cdx} CDX queries + {replays} replay verifications = {total} "
        f"({total / args.links:.2f} per dead link)"
    )
    print(f"  measured, rate lifted: {elapsed:.1f} s ({args.links / elapsed:.0f} lookups/s)")
    print(f"  at the Internet Archive budget of 20 requests/min: {total / 20:.0f} min")


if __name__ == "__main__":
    main()
