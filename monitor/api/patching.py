"""`monitor patch`: a copy of an ingested page with refreshed access stamps and archive
notes, planned from what the store knows (`monitor.pages.patch` does the byte-exact editing)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from monitor.api.files import check_target, database_files, write_atomic
from monitor.pages.ingest import content_digest, moved_from
from monitor.pages.patch import Patch, PatchError, Policy, plan
from monitor.store import Store


@dataclass
class PatchOutcome:
    patch: Patch
    written: Path | None  # None when only a diff was asked for

    @property
    def changes(self) -> Counter[str]:
        return Counter(e.why for e in self.patch.edits)


def default_target(page: Path) -> Path:
    """Where a patched copy goes unless told: PAGE.patched.EXT beside the page."""
    return page.with_name(page.stem + ".patched" + page.suffix)


def patch_page(
    store: Store,
    page: str,
    policy: Policy,
    out: str | None = None,
    write_file: bool = True,
    force: bool = False,
) -> PatchOutcome:
    """Plan the patch of `page` and, with `write_file`, write it to `out` (default:
    `default_target`). Raises `PatchError` with a message for the user when the page was
    never ingested, changed since, or cannot be read, planned or written."""
    path = Path(page).expanduser().resolve()
    doc = store.pages.document_by_source(str(path))
    unknown = PatchError(f"{page} has not been ingested (monitor ingest {page})")
    try:
        current = content_digest(path.read_bytes())
    except OSError as exc:
        if doc is None:
            raise unknown from None
        raise PatchError(f"cannot read {page}: {exc.strerror or exc}") from None
    if doc is None and (moved := moved_from(store, str(path), "file", current)) is not None:
        store.pages.move_document(moved, str(path))  # the same bytes, moved
        doc = store.pages.document_by_source(str(path))
    if doc is None:
        raise unknown
    if current != doc.content_hash:
        raise PatchError(f"{page} changed since it was ingested; run `monitor ingest {page}` first")
    rows = [(c, u) for c, u, _ in store.pages.citation_rows(doc.id)]
    urls = [u.url for _, u in rows if u is not None]
    result = plan(
        path,
        doc.format,
        rows,
        store.pages.verified_dates(),
        store.archives.fallbacks(urls),
        store.archives.page_archive_links(doc.id),  # type: ignore[arg-type]
        policy,
        {
            d.url: (d.archive_url, d.replace_url)
            for d in store.decisions.active()
            if d.kind == "accept" and d.url
        },
        store.pages.verified_days([c.id for c, _ in rows if c.id is not None]),
    )
    if not write_file:
        return PatchOutcome(result, None)
    target = Path(out) if out else default_target(path)
    check_target(target, force, need_force=False, protected=database_files(store))
    try:
        write_atomic(target, result.encode())
    except OSError as exc:
        raise PatchError(f"cannot write {target}: {exc.strerror or exc}") from None
    return PatchOutcome(result, target)
