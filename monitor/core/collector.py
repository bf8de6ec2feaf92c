"""The cyclic garbage collector kept mostly out of the way of work that makes objects by
the hundred thousand and keeps most of them: a run (hundreds of objects per check: parsed
pages, results, rows) and reading a page of citations (lines, links, stamps, citations,
rows). With CPython's default threshold (700 new objects) the collector ran again and
again through long-lived objects that were never garbage: the parent of a run, and 17% of
the ingest of a page of 100,000 citations, 3,594 collections, 14 of them full (measured:
docs/performance.md). Reference counting still frees at once everything not in a cycle.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cycles after 50,000 new objects, not 700; the caller's thresholds are put
    back after, also when the work fails."""
    old = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
