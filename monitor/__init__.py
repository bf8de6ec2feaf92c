"""monitor: link-rot and access-date monitoring for citation-heavy pages.

The command line is a thin layer over this API, usable from a notebook or another program:

    >>> from monitor import check
    >>> results = check(["https://example.org/report"])        # doctest: +SKIP
    >>> results[0].verdict, results[0].reason                   # doctest: +SKIP

    >>> from monitor import ingest, open_store
    >>> store = open_store("sqlite:///monitor.sqlite")          # doctest: +SKIP
    >>> ingest(store, ["seeds/kazakhstan.html"])                # doctest: +SKIP
"""

from typing import Any

from monitor.version import __version__

# The API is imported on first use (PEP 562), not with the package: a checking child
# process (`python -m monitor.checking.fanout`) imports the checker, not the database layer, Alembic
# and the archive code, CPU a child would spend on every run for nothing (measured:
# docs/performance.md, "Figures behind the code").
_LAZY = {
    "run": "monitor.api", "Settings": "monitor.config", "load_settings": "monitor.config",
    "FoundCitation": "monitor.pages.extract", "CheckResult": "monitor.core.results",
    "Store": "monitor.store", "open_store": "monitor.store", "Verdict": "monitor.core.verdict",
}  # fmt: skip


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'monitor' has no attribute {name!r}")


def check(*args: Any, **kwargs: Any) -> Any:
    """`monitor.api.check`: check URLs now, no database."""
    from monitor.api import check as call

    return call(*args, **kwargs)


async def check_async(*args: Any, **kwargs: Any) -> Any:
    """`monitor.api.check_async`."""
    from monitor.api import check_async as call

    return await call(*args, **kwargs)


def ingest(*args: Any, **kwargs: Any) -> Any:
    """`monitor.api.ingest`: store the citations of pages."""
    from monitor.api import ingest as call

    return call(*args, **kwargs)


def extract(*args: Any, **kwargs: Any) -> Any:
    """`monitor.pages.extract.extract`: the citations of one page, no database."""
    from monitor.pages.extract import extract as call

    return call(*args, **kwargs)


__all__ = [
    "CheckResult",
    "FoundCitation",
    "Settings",
    "Store",
    "Verdict",
    "__version__",
    "check",
    "check_async",
    "extract",
    "ingest",
    "load_settings",
    "open_store",
    "run",
]
