"""The store side of ingest alone: `Pages.sync_document` of one extracted page into a new
SQLite file, then the same page again (next week's ingest, nothing changed). Extraction is
done once, before the timing.

    .venv/bin/python bench/store_bench.py [--urls 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from world import make_urls, write_pages

from monitor.config import load_settings
from monitor.pages import ingest as ing
from monitor.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        (page,) = write_pages(tmp, make_urls(args.urls, 1000, 2000, 8080), 2000, "realistic")
        (src,), _ = ing.expand_inputs([str(page)])
        extraction, digest = ing.load_source(src, load_settings(), None)
        for r in range(args.rounds):
            store = open_store(f"sqlite:///{tmp / f'store-{r}.sqlite'}")
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            first = store.pages.sync_document(src.location, src.kind, extraction, digest)
            w1, c1 = time.perf_counter(), time.process_time()
            again = store.pages.sync_document(src.location, src.kind, extraction, digest)
            w2, c2 = time.perf_counter(), time.process_time()
            print(
                f"first {w1 - w0:.2f} s (CPU {c1 - c0:.2f}, {first.added} added); again "
                f"{w2 - w1:.2f} s (CPU {c2 - c1:.2f}, {again.unchanged} unchanged)",
                flush=True,
            )


if __name__ == "__main__":
    main()
