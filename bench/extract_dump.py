"""Every citation monitor extracts from every page of the corpus, one JSON line each, so a
change meant to make extraction faster can be shown to change nothing: dump before and
after, then compare the files byte for byte.

    PYTHONPATH=/tmp/wt-BEFORE .venv/bin/python bench/extract_dump.py > before.jsonl
    .venv/bin/python bench/extract_dump.py > after.jsonl
    cmp before.jsonl after.jsonl

The pages: tests/corpus, tests/pages, seeds, ../shared/realpages and ../shared/seeds, and
any files named on the command line (a benchmark's generated page, say).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from monitor.core.errors import ExtractError
from monitor.pages.extract import extract

ROOT = Path(__file__).resolve().parent.parent
PLACES = ["tests/corpus/pages", "tests/pages", "seeds", "../shared/realpages", "../shared/seeds"]
SUFFIXES = {".html", ".htm", ".md", ".markdown", ".txt", ".rst"}


def _plain(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else str(value)


def pages(extra: list[str]) -> list[Path]:
    found = sorted(
        f
        for place in PLACES
        for f in (ROOT / place).rglob("*")
        if f.is_file() and f.suffix in SUFFIXES
    )
    return found + [Path(p) for p in extra]


def main() -> None:
    for path in pages(sys.argv[1:]):
        name = str(path.relative_to(ROOT.parent)) if path.is_relative_to(ROOT.parent) else str(path)
        try:
            ex = extract(path.read_text(errors="replace"), name=path.name)
        except ExtractError as exc:
            print(json.dumps({"file": name, "error": str(exc)}))
            continue
        for c in ex.citations:
            row = {"file": name, **dataclasses.asdict(c)}
            print(json.dumps(row, default=_plain, sort_keys=True, ensure_ascii=False))
        summary = {"file": name, "format": ex.format, "title": ex.title, "skipped": ex.skipped}
        print(json.dumps(summary, default=_plain, sort_keys=True, ensure_ascii=False))


if __name__ == "__main__":
    main()
