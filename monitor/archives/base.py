"""What an archive is to the fallback stage (`Archive`), and the registry of archive kinds.

Each `[[archive.endpoints]]` entry names its kind (default "cdx": a Wayback-compatible
archive, `wayback.CdxArchive`). An archive that is not CDX-shaped (Memento TimeMaps,
archive.today) is a class with these few members and one row in `KINDS`; the fallback
stage (choosing, verifying, budgets, outages) is the same for every kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

import httpx

from monitor.config import ArchiveEndpoint
from monitor.core.errors import ConfigError
from monitor.core.results import Capture


class Archive(Protocol):
    """One configured archive, shared by every caller in the process (one per event loop)."""

    name: str
    down: str | None  # why it is not asked again in this run, or None

    def reset(self, down_after: int) -> None:
        """A new run: ask it again; `down_after` failed requests in a row make it down."""

    def pause(self, seconds: float) -> None:
        """Nobody asks it for `seconds` (it said 429 or 503)."""

    async def turn(self) -> None:
        """Wait until this caller may send it a request (its rate, any pause)."""

    async def captures(self, client: httpx.AsyncClient, url: str, anchor: dt.date) -> list[Capture]:
        """Every capture of `url` (and the variants it files under the same work)."""
        ...

    def replay_url(self, timestamp: str, url: str, raw: bool = False) -> str:
        """Where a capture replays; `raw`: the archived bytes, without banner or rewriting."""
        ...


def _cdx(cfg: ArchiveEndpoint) -> Archive:
    from monitor.archives.wayback import CdxArchive

    return CdxArchive.get(cfg)


# kind -> the process-wide archive object for a configured endpoint
KINDS: dict[str, Callable[[ArchiveEndpoint], Archive]] = {"cdx": _cdx}


def archive_for(cfg: ArchiveEndpoint) -> Archive:
    """The archive object of a configured endpoint."""
    try:
        make = KINDS[cfg.kind]
    except KeyError:
        kinds = ", ".join(KINDS)
        raise ConfigError(f"archive {cfg.name!r}: unknown kind {cfg.kind!r} ({kinds})") from None
    return make(cfg)
