"""Score verdicts on real websites' own HTML, in one command (issue 29):

    .venv/bin/python bench/realsites_score.py                 # both worlds: matrix, figures, misses
    .venv/bin/python bench/realsites_score.py --world ours -v # the project's own sites only
    .venv/bin/python bench/realsites_score.py --only KEY      # one site
    .venv/bin/python bench/realsites_score.py --selftest      # does every URL answer as labelled?

The worlds: `../shared/realsites/` and `tests/realsites/` (tests/realsite_world.py serves
them, one loopback address a site). The monitor runs as a user runs it, in a fresh directory:
`monitor ingest page.html`, `monitor run --all`, `monitor export`; the figures are the ones
`../shared/realsites/score.py` prints (accuracy with also_ok, false alive, access dates given
to gone sources, passage agreement), plus live pages called broken.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realsite_world import RealWorld, monitor_command, rows_of_run, score, selftest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", choices=["all", "shared", "ours"], default="all")
    ap.add_argument("--only", help="one site, by its key")
    ap.add_argument(
        "--selftest", action="store_true", help="only check the world answers as labelled"
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="per-site figures too")
    a = ap.parse_args()
    world = RealWorld.load(a.world, a.only)
    world.serve()
    try:
        if a.selftest:
            problems = selftest(world)
            print("\n".join(problems))
            n = len(world.truth)
            print(f"selftest: {n - len(problems)}/{n} URLs answer as labelled")
            return 1 if problems else 0
        t0 = time.perf_counter()
        rows = rows_of_run(world, monitor_command())
        took = time.perf_counter() - t0
    finally:
        world.stop()
    s = score(world, rows)
    print(s.table())
    print()
    if a.verbose:
        print(
            "per site: " + ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in sorted(s.per_site.items()))
        )
    print(f"misses ({len(s.misses)}):")
    print("\n".join(s.misses))
    print(f"\n{s.summary()}; ingest+run+export {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
