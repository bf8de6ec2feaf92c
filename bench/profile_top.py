"""Summarise py-spy collapsed stacks (`bench/throughput.py --profile DIR`): the functions
that hold the most samples, by own time and by inclusive time, grouped by library.

    .venv/bin/python bench/profile_top.py /tmp/prof/monitor.txt [--top 25]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def library(path: str) -> str:
    """py-spy names files relative to their sys.path entry: `httpcore/_models.py` is
    httpcore, `monitor/checking/observe.py` is ours and keeps its module,
    `asyncio/events.py` is asyncio."""
    path = path.split("site-packages/", 1)[-1]
    head, _, rest = path.partition("/")
    if head == "monitor":
        return "monitor." + rest.removesuffix(".py")
    return head.removesuffix(".py") if rest else path.removesuffix(".py") or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stacks", type=Path)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    libs: Counter[str] = Counter()
    total = 0
    for line in args.stacks.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        count = int(n)
        total += count
        frames = [f for f in stack.split(";") if f]
        names = []
        for f in frames:
            m = FRAME.match(f)
            names.append((m["fn"], m["file"]) if m else (f, ""))
        if names:
            fn, file = names[-1]
            own[f"{fn} ({library(file)})"] += count
            libs[library(file)] += count
        for fn, file in set(names):
            incl[f"{fn} ({library(file)})"] += count
    print(f"{total} samples")
    for title, counter in (("own time by library", libs), ("own time", own),
                           ("inclusive time", incl)):  # fmt: skip
        print(f"\n{title}:")
        for name, n in counter.most_common(args.top):
            print(f"  {n / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
