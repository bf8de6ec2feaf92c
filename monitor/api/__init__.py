"""The importable API; the command line is a thin layer over it.

    from monitor import api
    for r in api.check(["https://example.org/a", "https://example.org/b"]):
        print(r.url, r.verdict, r.reason)

In parts: `checking` (check now, no database), `running` (ingest, run, archive, save),
`reporting` (the report: when, where, to whom), `status` (counts, citations, history),
`patching` (patched copies of pages) and `admin` (database, backups, exports, daemon,
distributed mode). Everything a caller needs is importable from `monitor.api` itself.
"""

from monitor.api.admin import (
    AdminError,
    backup,
    config_origins,
    dispatch,
    distributed_mode,
    export_to,
    import_from,
    open_database,
    open_existing,
    serve,
    worker,
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
)
from monitor.api.deciding import DecisionError, accept, ignore, override, undo, unignore
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
    ingest,
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
from monitor.config import ConfigError, Settings, load_settings
from monitor.extract import FORMATS as INPUT_FORMATS
from monitor.ingest import SourceResult
from monitor.lock import LockError
from monitor.patch import PatchError, Policy
from monitor.results import CheckResult
from monitor.store import Store, StoreError
from monitor.urls import UrlError, normalise

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
    "dispatch",
    "distributed_mode",
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
    "serve",
    "status",
    "status_rows",
    "undo",
    "unignore",
    "worker",
    "write_report",
]
