"""CPU of each part of judging one fetched article page, offline: lexbor's parse, reading
the page whole (`inspect_page`), the fingerprint, the decision. Which part to attack next.

    .venv/bin/python bench/page_parts.py [--size 30000] [--pages 300]

Each figure is the minimum over 5 passes of CPU time per page (`time.process_time`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pagegen import article, title_of
from selectolax.lexbor import LexborHTMLParser

from monitor.checking.pageread import PageFacts, inspect_page
from monitor.core.fingerprint import shingles, simhash
from monitor.core.verdict import Observation, decide


def per_page(items: list, work: Callable[[object], object]) -> float:
    """Microseconds of CPU per item, the best of 5 passes."""
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        for x in items:
            work(x)
        best = min(best, time.process_time() - t0)
    return best / len(items) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=30_000, help="bytes of each article page")
    ap.add_argument("--pages", type=int, default=300)
    args = ap.parse_args()
    pages = [(article(i, args.size).encode(), title_of(i)) for i in range(args.pages)]
    read: dict[bytes, PageFacts] = {}

    def inspect(p: tuple[bytes, str]) -> None:
        read[p[0]] = inspect_page(p[0], "utf-8", "text/html; charset=utf-8", url="http://b.test/a")

    def judge(p: tuple[bytes, str]) -> None:
        f = read[p[0]]
        obs = Observation(url="http://b.test/a", status=200, content_type="text/html")
        obs.title, obs.text, obs.fields, obs.html = f.title, f.text, f.fields, True
        obs.site_names = [f.site_name] if f.site_name else []
        obs.cited_titles = [p[1]]
        decide(obs, 70.0)

    print(f"{args.pages} pages of {sum(len(p) for p, _ in pages) / len(pages):,.0f} bytes")
    print(f"  lexbor parse        {per_page(pages, lambda p: LexborHTMLParser(p[0])):7.0f} us")
    print(f"  inspect_page        {per_page(pages, inspect):7.0f} us")
    print(f"  fingerprint sample  {per_page(pages, lambda p: shingles(read[p[0]].text)):7.0f} us")
    print(f"  fingerprint (all)   {per_page(pages, lambda p: simhash(read[p[0]].text)):7.0f} us")
    print(f"  decide              {per_page(pages, judge):7.0f} us")


if __name__ == "__main__":
    main()
