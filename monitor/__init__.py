"""monitor: link-rot and access-date monitoring for citation-heavy pages.

The command line is a thin layer over this API, usable from a notebook or another program:

    >>> from monitor import check
    >>> results = check(["https://example.org/report"])        # doctest: +SKIP
    >>> results[0].verdict, results[0].reason                   # doctest: +SKIP

    >>> from monitor import ingest, open_store
    >>> store = open_store("sqlite:///monitor.sqlite")          # doctest: +SKIP
    >>> ingest(store, ["seeds/kazakhstan.html"])                # doctest: +SKIP
"""

__version__ = "0.1.0"

from monitor.api import check, check_async, ingest, run
from monitor.config import Settings, load_settings
from monitor.extract import FoundCitation, extract
from monitor.results import CheckResult
from monitor.store import Store, open_store
from monitor.verdict import Verdict

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
