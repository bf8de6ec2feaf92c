"""The per-page table of extraction on the corpus of real pages (tests/pages/README.md).

    .venv/bin/python bench/corpus.py                 # the table, Markdown
    .venv/bin/python bench/corpus.py --big FILE      # also: time and memory of one big page

For the MediaWiki pages the expected answers come from the page's own markup, read the
way a person reads CS1 (the oracles of tests/test_pages.py): the cited URL of every linked
reference, its access date, its archive copy and its title. Each figure is a share of
those: recall (the cited URL is a citation), precision (citations that are not a
reference's own link, nor a "Further reading"/"External links" entry, count against it),
stamps on the right URL, archive pairings, titles at token-set >= 85. Precision's oracle
is wider than recall's: any external link of the article (a reference's second link, an
"External links" entry) is a fair citation; navigation, interlanguage, footer links and
links to the wiki's own articles are not. Time
and memory are those of `extract()` alone (the parse included), peak by tracemalloc.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rapidfuzz import fuzz

from monitor.pages.extract import extract
from tests.unit.test_pages import (
    PAGES,
    _cs1_titles,
    _expected,
    _external_links,
    _reference_facts,
    _title_links,
)


def _share(hit: int, total: int) -> str:
    return f"{hit / total:.3f} ({hit}/{total})" if total else "-"


def measure(page: Path) -> dict[str, str]:
    raw = page.read_text("utf-8")
    has = page.with_suffix(".expected.json").exists()
    base = _expected(page).get("page_url") if has else None
    tracemalloc.start()
    t0 = time.perf_counter()
    ex = extract(raw, name=page.name, base_url=base)
    took = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    row = {
        "page": page.name,
        "KB": f"{len(raw.encode()) // 1024}",
        "citations": str(len(ex.citations)),
        "located": _share(sum(c.source_line is not None for c in ex.citations), len(ex.citations)),
        "ms": f"{took * 1000:.0f}",
        "peak MB": f"{peak / 2**20:.1f}",
    }
    if page.suffix == ".md":  # a reading list: every "- [Name](URL)" item is a citation
        from monitor.core.urls import normalise

        items = re.findall(r"^\s*- \[[^\]]+\]\((https?://[^)\s]+)\)", raw, re.M)
        wanted_md = {normalise(u) for u in items}
        got_md = [c.url for c in ex.citations]
        row["recall"] = _share(len(wanted_md & set(got_md)), len(wanted_md))
        row["precision"] = _share(sum(u in wanted_md for u in got_md), len(got_md))
    if not page.name.startswith("wp-") or base is None:
        return row
    urls = [c.url for c in ex.citations if c.url]
    wanted = _title_links(raw, base)
    found = set(urls)
    row["recall"] = _share(sum(u in found for u in wanted), len(wanted))
    fair = _external_links(raw, base)
    row["precision"] = _share(sum(u in fair for u in urls), len(urls))
    by_url: dict[str, list] = {}
    for c in ex.citations:
        by_url.setdefault(c.url or "", []).append(c)
    facts = _reference_facts(raw, base)
    dated = [(u, d) for u, d, _ in facts if d]
    row["stamps"] = _share(
        sum(any(d in [str(s.date) for s in c.stamps] for c in by_url.get(u, [])) for u, d in dated),
        len(dated),
    )
    paired = [(u, a) for u, _, a in facts if a]
    row["pairings"] = _share(
        sum(
            any(a in [x.archive_url for x in c.archive_links] for c in by_url.get(u, []))
            for u, a in paired
        ),
        len(paired),
    )
    oracle = _cs1_titles(raw, base)
    got = {c.url: c.title or "" for c in ex.citations if c.url}
    scores = [fuzz.token_set_ratio(t, got[u]) for u, t in oracle.items() if u in got]
    row["titles"] = _share(sum(s >= 85 for s in scores), len(scores))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big", type=Path, help="a large page to time as well")
    args = ap.parse_args()
    pages = sorted(p for p in PAGES.iterdir() if p.suffix in (".html", ".md", ".txt"))
    pages = [p for p in pages if p.stem != "README"] + ([args.big] if args.big else [])
    rows = [measure(p) for p in pages]
    cols = ["page", "KB", "citations", "recall", "precision", "stamps", "pairings", "titles",
            "located", "ms", "peak MB"]  # fmt: skip
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(r.get(c, "-") for c in cols) + " |")


if __name__ == "__main__":
    main()
