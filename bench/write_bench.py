"""Storing check results, offline: CPU per result of `Checks.record_results`, the parent's
share of a run that no process can take from it (SQLite has one writer).

    .venv/bin/python bench/write_bench.py                 # 10,000 URLs, batches of 1,000
    .venv/bin/python bench/write_bench.py --profile       # and where the time goes

One page citing N URLs over 200 hosts is ingested into a fresh SQLite file, then N
results (7 in 8 alive with a fingerprint and validators, the rest 404) are stored in
batches, as `monitor run` stores them.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor import api
from monitor.config import Settings
from monitor.core.due import rule_of, transition
from monitor.core.results import CheckResult
from monitor.core.verdict import Verdict
from monitor.store import open_store


def result(i: int, now: dt.datetime) -> CheckResult:
    alive = i % 8 != 0
    return CheckResult(
        url=f"http://h{i % 200}.example/a/{i}",
        verdict=Verdict.ALIVE if alive else Verdict.DEAD,
        reason="HTTP 200, cited title found (100% in title)" if alive else "HTTP 404: not found",
        http_status=200 if alive else 404,
        final_url=None,
        checked_at=now,
        elapsed_ms=12,
        fingerprint="v20123456789abcdef" if alive else None,
        page_title=f"Title number {i}",
        content_type="text/html",
        title_score=100.0 if alive else None,
        evidence={"content_type": "text/html", "title_score": 100.0},
        etag='"abc"' if alive else None,
        last_modified="Wed, 02 Dec 2026 10:00:00 GMT" if alive else None,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    page = tmp / "page.html"
    page.write_text(
        "<html><body>"
        + "".join(
            f'<p><a href="http://h{i % 200}.example/a/{i}">Title number {i}</a> '
            "Publisher, 2011 [accessed 16 February 2011]</p>"
            for i in range(args.urls)
        )
        + "</body></html>"
    )
    settings = Settings(
        check={"contact": "mailto:bench@example.org"},
        database={"url": f"sqlite:///{tmp / 'w.sqlite'}"},
        archive={"endpoints": []},
    )
    store = open_store(settings.database.url)
    api.ingest(store, [str(page)], settings)
    step = transition(settings.schedule, rule_of(settings.check))
    run_id = store.runs.start_run()
    now = dt.datetime.now(dt.UTC)
    results = [result(i, now) for i in range(args.urls)]
    profile = cProfile.Profile() if args.profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    for k in range(0, args.urls, args.batch):
        store.checks.record_results(results[k : k + args.batch], step, run_id)
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    each = cpu / args.urls * 1000
    print(f"{args.urls:,} results in batches of {args.batch:,}: {each:.3f} CPU ms a result, "
          f"{wall:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
