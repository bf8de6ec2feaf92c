"""The database, in parts: one `Database` (engine, migrations, backup, prune) and one part
per concern, composed by `Store`:

    store.pages     pages, their citations, the URLs they cite      (pages.py)
    store.checks    due URLs, check context, results, history       (checks.py)
    store.runs      checking runs                                   (runs.py)
    store.archives  archive links, lookups, save requests           (archives.py)
    store.reports   aggregates and sections for reports and status  (reports.py)
    store.jobs      last times of periodic jobs                     (jobs.py)
    store.decisions the maintainer's decisions: ignore, accept, override (decisions.py)

Storage only stores: decisions (a URL's next state, an anchor date, which copy to choose)
are made by the stages and handed in. No module here imports a stage.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from monitor.store.archives import Archives
from monitor.store.checks import Checks
from monitor.store.decisions import Decisions
from monitor.store.engine import MIGRATIONS, Database, StoreError, create, sqlite_file
from monitor.store.jobs import Jobs
from monitor.store.pages import IngestStats, Pages, citation_keys
from monitor.store.reports import Reports
from monitor.store.runs import Runs

__all__ = [
    "MIGRATIONS",
    "IngestStats",
    "Store",
    "StoreError",
    "citation_keys",
    "open_store",
    "sqlite_file",
]


class Store:
    """One database and its parts."""

    def __init__(self, engine: Engine) -> None:
        self.db = Database(engine)
        self.pages = Pages(self.db)
        self.checks = Checks(self.db)
        self.runs = Runs(self.db)
        self.archives = Archives(self.db)
        self.reports = Reports(self.db)
        self.jobs = Jobs(self.db)
        self.decisions = Decisions(self.db)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def session(self) -> Session:
        return self.db.session()

    def migrate(self) -> None:
        self.db.migrate()

    def close(self) -> None:
        self.db.close()

    def backup(self, target: Path) -> None:
        self.db.backup(target)


def open_store(url: str, migrate: bool = True) -> Store:
    """Open (creating if needed) the database at SQLAlchemy `url` and bring it up to date."""
    store = Store(create(url))
    if migrate:
        store.migrate()
    return store
