"""Keeping pages in the database: ingest (files, directories, URLs) and which page files
the daemon reads again. Apart from `running`, so `monitor ingest`, a command of the weekly
routine, imports no checker, archive or report code (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from monitor.config import Settings, load_settings
from monitor.pages.ingest import SourceResult, content_digest, expand_inputs, ingest_sources
from monitor.store import Store


def pages_to_reread(store: Store) -> list[str]:
    """What the daemon reads again: every page URL, and every page file whose bytes are
    no longer the ones ingested (edited, or replaced by its patched copy). A file that is
    gone is left alone: its citations stay as they were."""
    out = []
    for d in store.pages.documents():
        if d.kind == "url":
            out.append(d.source)
            continue
        try:
            digest = content_digest(Path(d.source).read_bytes())
        except OSError:
            continue
        if digest != d.content_hash:
            out.append(d.source)
    return out


def ingest(
    store: Store,
    inputs: Iterable[str],
    settings: Settings | None = None,
    fmt: str | None = None,
) -> list[SourceResult]:
    """Read pages (files, directories, URLs) and store their citations; one result each."""
    sources, problems = expand_inputs(inputs)
    return problems + ingest_sources(store, sources, settings or load_settings(), fmt)
