"""The importable API; the command line is a thin layer over it.

    from monitor import api
    for r in api.check(["https://example.org/a", "https://example.org/b"]):
        print(r.url, r.verdict, r.reason)

In parts: `checking` (check now, no database), `ingesting` (pages in), `running` (run,
archive, save), `reporting` (the report: when, where, to whom), `status` (counts,
citations, history), `patching` (patched copies of pages) and `admin` (database, backups,
exports, settings). The daemon and distributed mode are programs around the API
(`monitor.app.modes`). Everything a caller needs is importable from `monitor.api` itself.
"""
# Each name is imported from its module on first use (PEP 562), so a command loads what it
# calls: `monitor run` no longer imports the report's templates, the status views or the
# daemon's scheduler (a large part of its start-up; measured: docs/performance.md, "Figures
# behind the code"), and `monitor status` no longer imports the checker. Type checkers read
# the same names from the imports below.

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.api.admin import (
        AdminError,
        backup,
        config_origins,
        export_to,
        import_from,
        open_database,
        open_existing,
    )
    from monitor.api.checking import (
        CheckOutcome,
        Phase,
        Targets,
        check,
        check_archives,
        check_async,
        check_command,
        check_rows,
        collect_targets,
        fallbacks_for,
        select_urls,
        with_check_options,
    )
    from monitor.api.deciding import DecisionError, accept, ignore, override, undo, unignore
    from monitor.api.ingesting import ingest, pages_to_reread
    from monitor.api.patching import PatchOutcome, default_target, patch_page
    from monitor.api.reporting import (
        FORMATS as REPORT_FORMATS,
    )
    from monitor.api.reporting import (
        REPORT_JOB,
        ReportOutcome,
        report,
        report_due,
        report_if_due,
        write_report,
    )
    from monitor.api.running import (
        ArchiveSummary,
        RunSummary,
        archive,
        archive_async,
        canary_fails,
        run,
        run_async,
        run_command,
        save,
        save_async,
    )
    from monitor.api.status import (
        History,
        NotCited,
        PageCounts,
        SchedulerStatus,
        StatusRow,
        StatusView,
        history,
        page_counts,
        scheduler_status,
        status,
        status_rows,
    )
    from monitor.config import ConfigError, Settings, accepted_statuses, load_settings
    from monitor.core.errors import MonitorError
    from monitor.core.results import CheckResult
    from monitor.core.urls import UrlError, normalise
    from monitor.pages.formats import NAMES as INPUT_FORMATS
    from monitor.pages.ingest import SourceResult
    from monitor.pages.patch import PatchError, Policy
    from monitor.store import Store, StoreError
    from monitor.store.lock import LockError

_WHERE: dict[str, tuple[str, str]] = {
    "AdminError": ("monitor.api.admin", "AdminError"),
    "backup": ("monitor.api.admin", "backup"),
    "config_origins": ("monitor.api.admin", "config_origins"),
    "export_to": ("monitor.api.admin", "export_to"),
    "import_from": ("monitor.api.admin", "import_from"),
    "open_database": ("monitor.api.admin", "open_database"),
    "open_existing": ("monitor.api.admin", "open_existing"),
    "CheckOutcome": ("monitor.api.checking", "CheckOutcome"),
    "Phase": ("monitor.api.checking", "Phase"),
    "Targets": ("monitor.api.checking", "Targets"),
    "check": ("monitor.api.checking", "check"),
    "check_archives": ("monitor.api.checking", "check_archives"),
    "check_async": ("monitor.api.checking", "check_async"),
    "check_command": ("monitor.api.checking", "check_command"),
    "check_rows": ("monitor.api.checking", "check_rows"),
    "collect_targets": ("monitor.api.checking", "collect_targets"),
    "fallbacks_for": ("monitor.api.checking", "fallbacks_for"),
    "select_urls": ("monitor.api.checking", "select_urls"),
    "with_check_options": ("monitor.api.checking", "with_check_options"),
    "DecisionError": ("monitor.api.deciding", "DecisionError"),
    "accept": ("monitor.api.deciding", "accept"),
    "ignore": ("monitor.api.deciding", "ignore"),
    "override": ("monitor.api.deciding", "override"),
    "undo": ("monitor.api.deciding", "undo"),
    "unignore": ("monitor.api.deciding", "unignore"),
    "PatchOutcome": ("monitor.api.patching", "PatchOutcome"),
    "default_target": ("monitor.api.patching", "default_target"),
    "patch_page": ("monitor.api.patching", "patch_page"),
    "REPORT_FORMATS": ("monitor.api.reporting", "FORMATS"),
    "REPORT_JOB": ("monitor.api.reporting", "REPORT_JOB"),
    "ReportOutcome": ("monitor.api.reporting", "ReportOutcome"),
    "report": ("monitor.api.reporting", "report"),
    "report_due": ("monitor.api.reporting", "report_due"),
    "report_if_due": ("monitor.api.reporting", "report_if_due"),
    "write_report": ("monitor.api.reporting", "write_report"),
    "ArchiveSummary": ("monitor.api.running", "ArchiveSummary"),
    "RunSummary": ("monitor.api.running", "RunSummary"),
    "archive": ("monitor.api.running", "archive"),
    "archive_async": ("monitor.api.running", "archive_async"),
    "canary_fails": ("monitor.api.running", "canary_fails"),
    "ingest": ("monitor.api.ingesting", "ingest"),
    "pages_to_reread": ("monitor.api.ingesting", "pages_to_reread"),
    "status_summary": ("monitor.api.status", "summary"),
    "run": ("monitor.api.running", "run"),
    "run_async": ("monitor.api.running", "run_async"),
    "run_command": ("monitor.api.running", "run_command"),
    "save": ("monitor.api.running", "save"),
    "save_async": ("monitor.api.running", "save_async"),
    "History": ("monitor.api.status", "History"),
    "NotCited": ("monitor.api.status", "NotCited"),
    "PageCounts": ("monitor.api.status", "PageCounts"),
    "SchedulerStatus": ("monitor.api.status", "SchedulerStatus"),
    "StatusRow": ("monitor.api.status", "StatusRow"),
    "StatusView": ("monitor.api.status", "StatusView"),
    "history": ("monitor.api.status", "history"),
    "page_counts": ("monitor.api.status", "page_counts"),
    "scheduler_status": ("monitor.api.status", "scheduler_status"),
    "status": ("monitor.api.status", "status"),
    "status_rows": ("monitor.api.status", "status_rows"),
    "ConfigError": ("monitor.config", "ConfigError"),
    "MonitorError": ("monitor.core.errors", "MonitorError"),
    "Settings": ("monitor.config", "Settings"),
    "accepted_statuses": ("monitor.config", "accepted_statuses"),
    "load_settings": ("monitor.config", "load_settings"),
    "INPUT_FORMATS": ("monitor.pages.formats", "NAMES"),
    "SourceResult": ("monitor.pages.ingest", "SourceResult"),
    "LockError": ("monitor.store.lock", "LockError"),
    "PatchError": ("monitor.pages.patch", "PatchError"),
    "Policy": ("monitor.pages.patch", "Policy"),
    "CheckResult": ("monitor.core.results", "CheckResult"),
    "Store": ("monitor.store", "Store"),
    "StoreError": ("monitor.store", "StoreError"),
    "UrlError": ("monitor.core.urls", "UrlError"),
    "normalise": ("monitor.core.urls", "normalise"),
}


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module 'monitor.api' has no attribute {name!r}")
    module, attr = _WHERE[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # asked once
    # importing a submodule binds its name here (`monitor.api.status`, the module), which
    # would hide the function of that name (`api.status`): such bindings are let go
    for other in [k for k, v in globals().items() if k in _WHERE and isinstance(v, ModuleType)]:
        del globals()[other]
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "INPUT_FORMATS",
    "REPORT_FORMATS",
    "REPORT_JOB",
    "AdminError",
    "ArchiveSummary",
    "CheckOutcome",
    "CheckResult",
    "ConfigError",
    "DecisionError",
    "History",
    "LockError",
    "MonitorError",
    "NotCited",
    "PageCounts",
    "PatchError",
    "PatchOutcome",
    "Phase",
    "Policy",
    "ReportOutcome",
    "RunSummary",
    "SchedulerStatus",
    "Settings",
    "SourceResult",
    "StatusRow",
    "StatusView",
    "Store",
    "StoreError",
    "Targets",
    "UrlError",
    "accept",
    "accepted_statuses",
    "archive",
    "archive_async",
    "backup",
    "canary_fails",
    "check",
    "check_archives",
    "check_async",
    "check_command",
    "check_rows",
    "collect_targets",
    "config_origins",
    "default_target",
    "export_to",
    "fallbacks_for",
    "history",
    "ignore",
    "import_from",
    "ingest",
    "load_settings",
    "normalise",
    "open_database",
    "open_existing",
    "override",
    "page_counts",
    "pages_to_reread",
    "patch_page",
    "report",
    "report_due",
    "report_if_due",
    "run",
    "run_async",
    "run_command",
    "save",
    "save_async",
    "scheduler_status",
    "select_urls",
    "status",
    "status_rows",
    "status_summary",
    "undo",
    "unignore",
    "with_check_options",
    "write_report",
]
