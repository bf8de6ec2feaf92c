"""CPU per page by page size, offline: what a check spends on a fetched page after the
bytes arrive (reading it, judging the title, the passages, the fingerprint), by size bucket.

    .venv/bin/python bench/page_cpu.py                # 10, 30, 100, 200 KB buckets
    .venv/bin/python bench/page_cpu.py --pages 200 --profile

The network is left out on purpose: `bench/throughput.py` measures whole runs. This shows
whether the work per URL grows with page size (it should not, past the bounded reads).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pagegen import article, corpus_pages, title_of

from monitor.checking.batch import HostBatch
from monitor.checking.pageread import inspect_page
from monitor.config import CheckSettings
from monitor.core.results import Context
from monitor.core.verdict import Observation, decide

BUCKETS = {"10 KB": 10_000, "30 KB": 30_000, "100 KB": 100_000, "200 KB": 200_000}


def judge(body: bytes, url: str, titles: list[str], batch: HostBatch) -> None:
    """What `monitor.checking.observe` does with a 200 answer's body, in the same order."""
    facts = inspect_page(body, "utf-8", "text/html; charset=utf-8")
    obs = Observation(url=url, status=200, content_type="text/html; charset=utf-8")
    obs.title, obs.text, obs.fields = facts.title, facts.text, facts.fields
    obs.site_names = [facts.site_name] if facts.site_name else []
    obs.html = True
    obs.cited_titles = titles
    decision = decide(obs, 70.0)
    batch._result(obs, decision, time.perf_counter(), 1, batch._passages(obs, decision))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300, help="pages per bucket")
    ap.add_argument("--profile", action="store_true", help="cProfile one bucket")
    ap.add_argument("--profile-bucket", default="200 KB")
    args = ap.parse_args()
    batch = HostBatch(None, "bench.example", CheckSettings(), context=Context())  # type: ignore[arg-type]
    print(f"{'bucket':>10} {'pages':>6} {'ms/page':>8}")
    for name, size in BUCKETS.items():
        pages = [(article(i, size).encode(), title_of(i)) for i in range(args.pages)]
        prof = cProfile.Profile() if args.profile and name == args.profile_bucket else None
        t0 = time.process_time()
        if prof:
            prof.enable()
        for i, (body, title) in enumerate(pages):
            judge(body, f"http://bench.example/a/{i}", [title], batch)
        if prof:
            prof.disable()
        ms = (time.process_time() - t0) / len(pages) * 1000
        print(f"{name:>10} {len(pages):>6} {ms:8.2f}", flush=True)
        if prof:
            pstats.Stats(prof).sort_stats("tottime").print_stats(14)
    real = corpus_pages()
    t0 = time.process_time()
    for body in real:
        judge(body, "http://bench.example/wiki", ["A title not on the page at all"], batch)
    ms = (time.process_time() - t0) / len(real) * 1000
    print(f"{'corpus':>10} {len(real):>6} {ms:8.2f}  (real pages of tests/pages, up to 256 KiB)")
    own_words_cost()


def own_words_cost() -> None:
    """What reading a page costs on real site templates (the HTML of tests/realsites and
    ../shared/realsites), and what its own words (`PageFacts.own`: the text without the
    site's chrome and link text) add when a title has to be looked for in the text."""
    here = Path(__file__).resolve().parents[1]
    roots = [here / "tests" / "realsites" / "sites", here.parent / "shared" / "realsites" / "sites"]
    bodies = [f.read_bytes() for r in roots if r.is_dir() for f in sorted(r.rglob("*.html"))]
    if not bodies:
        return
    t0 = time.process_time()
    for body in bodies:
        inspect_page(body, "utf-8", "text/html; charset=utf-8", url="http://site.test/a/")
    read = (time.process_time() - t0) / len(bodies) * 1000
    t0 = time.process_time()
    for body in bodies:
        facts = inspect_page(body, "utf-8", "text/html; charset=utf-8", url="http://site.test/a/")
        assert facts.own is not None
        facts.own()
    own = (time.process_time() - t0) / len(bodies) * 1000
    kb = sum(map(len, bodies)) / len(bodies) / 1000
    print(f"{'realsites':>10} {len(bodies):>6} {read:8.2f}  (real site templates, {kb:.0f} KB"
          f" on average; {own:.2f} with their own words read, +{own - read:.2f} ms)")


if __name__ == "__main__":
    main()
