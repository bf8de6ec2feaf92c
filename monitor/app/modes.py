"""The long-running programs the command line starts: the daemon (`monitor serve`), a
distributed worker (`monitor worker`) and the dispatcher (`monitor dispatch`). The optional
distributed extra (procrastinate) is imported here only, and its absence is said in one
line before any database is opened."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import ModuleType
from typing import Any

from monitor.config import Settings
from monitor.core.errors import DistributedError
from monitor.store import Store


def serve(store: Store, settings: Settings) -> None:
    """The daemon until SIGTERM/SIGINT (`LockError` if another monitor holds the database)."""
    from monitor.app.daemon import serve_forever

    if settings.distributed.enabled:
        distributed_mode(settings)  # fail now, clearly, not at the first dispatch
    serve_forever(store, settings)


def distributed_mode(settings: Settings) -> ModuleType:
    """The distributed module, or `DistributedError` when its extra or PostgreSQL is missing."""
    try:
        from monitor.app import distributed
    except ImportError as exc:
        raise DistributedError(str(exc)) from None
    distributed.conninfo(settings.database.url)
    return distributed


def worker(store: Store, settings: Settings, concurrency: int | None, burst: bool) -> None:
    """One distributed worker until stopped (or, with `burst`, until the queue is empty)."""
    dist = distributed_mode(settings)
    asyncio.run(dist.run_worker(settings, store, concurrency, wait=not burst))


def dispatch(
    store: Store,
    settings: Settings,
    every: float | None,
    until_done: bool,
    on_round: Callable[[Any], None] | None = None,
) -> None:
    """Queue host batches for the workers once, every `every` seconds, or until done."""
    dist = distributed_mode(settings)
    asyncio.run(dist.dispatch(settings, store, every, until_done, on_round))
