"""Microseconds to find the access stamps of one citation line (`core.stamps.find_stamps`),
best of five, for a line with a stamp and one without. Compare commits by running it with
PYTHONPATH at a worktree of each, interleaved.

    .venv/bin/python bench/stamps_bench.py
"""

from __future__ import annotations

import timeit

from monitor.core.stamps import find_stamps

LINES = {
    "with a stamp": "Kazak Women Sold as Sex Slaves, Institute for War & Peace Reporting, "
    "17 Nov 05 [accessed 16 February 2011]",
    "without": "Kazak Women Sold as Sex Slaves, Institute for War & Peace Reporting, 17 Nov 05,"
    " a report on trafficking in the region",
}


def main() -> None:
    n = 3000
    for name, line in LINES.items():
        best = min(timeit.repeat(lambda line=line: find_stamps(line), number=n, repeat=5)) / n
        print(f"{name:14} {best * 1e6:7.1f} us")


if __name__ == "__main__":
    main()
