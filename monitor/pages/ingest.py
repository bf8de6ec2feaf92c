"""Reading citation pages from files, directories and URLs, and storing their citations.

The I/O half of ingest: `extract.py` decides what a citation is; this module finds the
bytes (a file, every page in a directory, a fetched URL), turns them into text, and hands
the result to the store. Each source succeeds or fails on its own with a one-line reason,
so one unreadable file never costs the rest of a directory.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from monitor.config import Settings
from monitor.core.collector import fewer_collections
from monitor.core.decoding import decode
from monitor.core.errors import ExtractError, SourceError
from monitor.core.results import Extraction
from monitor.core.urls import UrlError, normalise
from monitor.pages.extract import extract
from monitor.pages.formats import PAGE_SUFFIXES
from monitor.pages.htmlparse import give_back_memory

if TYPE_CHECKING:  # the store is the caller's: `monitor check` reads pages without one
    from monitor.store import IngestStats, Store

MAX_PAGE_BYTES = 50 * 1024 * 1024
BULK_ROWS = 10_000  # new citations past which the database's statistics are refreshed


@dataclass
class Source:
    kind: str  # file | url
    location: str  # absolute path or normalised URL


@dataclass
class SourceResult:
    source: str
    format: str | None = None
    stats: IngestStats | None = None
    error: str | None = None
    moved_from: str | None = None  # the same page, ingested before under this path

    @property
    def ok(self) -> bool:
        return self.error is None


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def expand_inputs(inputs: Iterable[str]) -> tuple[list[Source], list[SourceResult]]:
    """Files, directories (their page files, recursively) and URLs; problems reported apart."""
    sources: list[Source] = []
    problems: list[SourceResult] = []
    for item in inputs:
        if is_url(item):
            try:
                sources.append(Source("url", normalise(item)))
            except UrlError as exc:
                problems.append(SourceResult(item, error=f"invalid URL: {exc}"))
            continue
        path = Path(item).expanduser()
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in PAGE_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                problems.append(SourceResult(item, error="directory holds no page files"))
            sources.extend(Source("file", str(p.resolve())) for p in found)
        elif path.exists():
            sources.append(Source("file", str(path.resolve())))
        else:
            problems.append(SourceResult(item, error="no such file or directory"))
    return sources, problems


def read_bounded(stream: IO[bytes], what: str) -> bytes:
    """At most MAX_PAGE_BYTES of `stream`, read in pieces: a size it reports (0 for
    /dev/zero, a pipe) is not believed, and nothing larger is ever read whole."""
    buf = bytearray()
    while chunk := stream.read(1 << 20):
        buf += chunk
        if len(buf) > MAX_PAGE_BYTES:
            raise SourceError(f"{what} larger than {MAX_PAGE_BYTES:,} bytes (the page limit)")
    return bytes(buf)


def read_file(path: str) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_PAGE_BYTES:
            raise SourceError(f"file too large ({size:,} bytes; limit {MAX_PAGE_BYTES:,})")
        with p.open("rb") as f:
            return read_bounded(f, "file")
    except PermissionError:
        raise SourceError("permission denied") from None
    except IsADirectoryError:
        raise SourceError("is a directory") from None
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None


def fetch_page(url: str, settings: Settings) -> tuple[bytes, str | None, str]:
    """The page at `url`: its bytes, declared charset and final URL (the base for links),
    within `[check] timeout` from the first byte sent: a server that sends its response
    head a byte a second resets every read timeout, never this deadline (the fetch runs
    in a worker thread the caller stops waiting for)."""
    box: list[tuple[bytes, str | None, str] | BaseException] = []

    def work() -> None:
        try:
            box.append(_fetch_page(url, settings))
        except BaseException as exc:  # handed to the caller's thread
            box.append(exc)

    worker = threading.Thread(target=work, name="fetch-page", daemon=True)
    worker.start()
    worker.join(settings.check.timeout + 1.0)
    if not box:
        raise SourceError(
            f"cannot fetch the page: no complete answer within {settings.check.timeout:g} s "
            "([check] timeout)"
        )
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _fetch_page(url: str, settings: Settings) -> tuple[bytes, str | None, str]:
    # the HTTP client is imported by the ingest of a URL only: a page file's ingest, the
    # weekly routine's, starts without it (docs/performance.md)
    import httpx

    from monitor.checking.http import page_client
    from monitor.checking.netguard import PrivateAddressError

    try:
        with page_client(settings.check) as client, client.stream("GET", url) as resp:
            if resp.status_code != 200:
                raise SourceError(f"HTTP {resp.status_code} fetching the page")
            buf = bytearray()
            deadline = time.monotonic() + settings.check.timeout
            for chunk in resp.iter_bytes():
                buf += chunk
                if len(buf) > MAX_PAGE_BYTES:
                    raise SourceError(f"page larger than {MAX_PAGE_BYTES:,} bytes")
                if time.monotonic() > deadline:  # a server that drips a byte at a time
                    raise SourceError(
                        f"the page took longer than {settings.check.timeout:g} s to arrive "
                        "([check] timeout)"
                    )
            return bytes(buf), resp.charset_encoding, str(resp.url)
    except (httpx.HTTPError, PrivateAddressError) as exc:
        from monitor.checking.observe import classify_error
        from monitor.core.verdict import ERROR_VERDICTS

        cls, detail = classify_error(exc)
        reason = ERROR_VERDICTS[cls][1] + (f": {detail}" if detail else "")
        raise SourceError(f"cannot fetch the page: {reason}") from None


def load_source(src: Source, settings: Settings, fmt: str | None) -> tuple[Extraction, str]:
    """Read and extract one source; returns the extraction and a hash of the content."""
    if src.kind == "url":
        data, charset, final = fetch_page(src.location, settings)
        name, base = final, final
    else:
        data, charset, name, base = read_file(src.location), None, src.location, None
    digest = content_digest(data)
    try:
        text = decode(data, charset)
        del data  # a large page's bytes are not held beside its text while it is read
        extraction = extract(
            text,
            fmt=fmt,
            name=name,
            base_url=base,
            archive_hosts=settings.archive.hosts(),
            date_order=settings.ingest.date_order,
            scope=settings.ingest.scope,
        )
    except ExtractError as exc:
        raise SourceError(str(exc)) from None
    return extraction, digest


def content_digest(data: bytes) -> str:
    """A page's bytes as ingest remembers them (`Document.content_hash`): what `patch` and
    the daemon's re-read compare a page file with, to know it is the page ingested."""
    return hashlib.sha256(data).hexdigest()


def moved_from(
    store: Store, source: str, kind: str, digest: str, urls: set[str] | None = None
) -> str | None:
    """The path a file page was ingested under before, when it has moved (a checkout moved,
    a backup restored elsewhere): a page of the same file name whose old path is gone, and
    which is the same page: the same bytes, or most of the same cited URLs. Then it keeps
    its history instead of becoming a second page."""
    if kind != "file" or store.pages.document_by_source(source) is not None:
        return None
    name = Path(source).name
    found = []
    for doc in store.pages.documents():
        if doc.kind != "file" or Path(doc.source).name != name or Path(doc.source).exists():
            continue
        if doc.content_hash == digest:
            return doc.source
        if urls:
            theirs = store.pages.cited_urls(doc.id)  # type: ignore[arg-type]
            if len(urls & theirs) >= 0.6 * max(len(urls), len(theirs)):
                found.append(doc.source)
    return found[0] if len(found) == 1 else None


def ingest_sources(
    store: Store,
    sources: list[Source],
    settings: Settings,
    fmt: str | None = None,
) -> list[SourceResult]:
    results = []
    for src in sources:
        with fewer_collections():  # a page's lines, citations and rows are not cyclic garbage
            try:
                extraction, digest = load_source(src, settings, fmt)
            except SourceError as exc:
                results.append(SourceResult(src.location, error=str(exc)))
                continue
            urls = {c.url for c in extraction.citations if c.url}
            moved = moved_from(store, src.location, src.kind, digest, urls)
            if moved is not None:
                store.pages.move_document(moved, src.location)
            stats = store.pages.sync_document(src.location, src.kind, extraction, digest)
            results.append(
                SourceResult(src.location, format=extraction.format, stats=stats, moved_from=moved)
            )
            # this page's citations go before the next page is read, not when it is replaced
            # (several large pages in one command peaked far above one: docs/performance.md)
            del extraction, urls
        give_back_memory()
    store.decisions.apply_ignores()  # newly cited URLs an ignore already covers
    added = sum(r.stats.added for r in results if r.stats is not None)
    if added >= BULK_ROWS:
        store.db.refresh_statistics(["url", "citation"])
    return results
