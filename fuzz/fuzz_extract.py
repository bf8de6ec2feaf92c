"""Coverage-guided fuzzing (atheris, libFuzzer) of what reads other people's bytes.

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_extract.py -max_total_time=600     # ten minutes
    .venv/bin/python fuzz/fuzz_extract.py crash-<hash>             # replay a finding

Each input goes through decode -> extract (format from the first byte) -> stamps -> URL
normalisation. Only the documented input errors (ExtractError, UrlError) may escape; any
other exception is a finding, saved by libFuzzer as crash-<hash>. The test suite runs this
for 10 seconds (tests/test_fuzz.py).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Only monitor's own modules are instrumented (instrumenting httpx, SQLAlchemy and the
# rest as they are imported took over a minute before the first input).
with atheris.instrument_imports(include=["monitor"]):
    from monitor.core.decoding import decode
    from monitor.core.errors import ExtractError
    from monitor.core.stamps import find_stamps
    from monitor.core.urls import UrlError, normalise
    from monitor.pages.extract import extract
    from monitor.pages.formats import NAMES as FORMATS

NAMES = [None, "page.html", "notes.md", "list.txt"]


def one(data: bytes) -> None:
    if not data:
        return
    fmt = ([None, *FORMATS])[data[0] % (len(FORMATS) + 1)]
    name = NAMES[data[0] // 16 % len(NAMES)]
    try:
        text = decode(data[1:])
    except ExtractError:
        return
    find_stamps(text)
    with contextlib.suppress(UrlError):
        normalise(text[:200], "https://site.example/dir/")
    with contextlib.suppress(ExtractError):
        extract(text, fmt=fmt, name=name, base_url="https://site.example/dir/")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
