"""When a URL is next due, and how its failure streak stands: pure functions, no I/O.

Death is a conclusion over time, not over one request (IABot: three failed checks at least
three days apart). Each check updates a small state: the failure streak, when it began,
the last good check, and when to look again. Intervals come from `[schedule]`; a stable
per-URL jitter spreads 10,000 URLs ingested in one minute over hours instead of making
them all fall due together again, yet is reproducible run to run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from monitor.config import ScheduleSettings
from monitor.verdict import Verdict


@dataclass(frozen=True)
class UrlState:
    consecutive_failures: int = 0
    first_failure_at: dt.datetime | None = None
    last_good_at: dt.datetime | None = None
    next_due_at: dt.datetime | None = None


def _jitter_fraction(url: str) -> float:
    """A stable number in [-1, 1) derived from the URL."""
    h = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=4).digest(), "big")
    return (h / 2**32) * 2 - 1


def interval(verdict: Verdict, failures: int, cfg: ScheduleSettings) -> dt.timedelta:
    """How long until the next check after a check with this outcome."""
    if verdict in (Verdict.ALIVE, Verdict.MOVED):
        return dt.timedelta(days=cfg.alive_days)
    if verdict is Verdict.TRANSIENT:
        return dt.timedelta(hours=cfg.transient_hours)
    if verdict is Verdict.BLOCKED:
        return dt.timedelta(days=cfg.blocked_days)
    # A failure: confirm on the failing rhythm, then settle to the dead rhythm.
    if failures < cfg.confirm_failures:
        return dt.timedelta(days=cfg.failing_days)
    return dt.timedelta(days=cfg.dead_days)


def next_state(
    url: str, prev: UrlState, verdict: Verdict, now: dt.datetime, cfg: ScheduleSettings
) -> UrlState:
    """The state after a check of `url` at `now` with outcome `verdict`."""
    if verdict.is_failure:
        failures = prev.consecutive_failures + 1
        first = prev.first_failure_at or now
        good = prev.last_good_at
    elif verdict in (Verdict.ALIVE, Verdict.MOVED):
        failures, first, good = 0, None, now
    else:  # transient / blocked: cannot tell, so the streak neither grows nor resets
        failures, first, good = prev.consecutive_failures, prev.first_failure_at, prev.last_good_at
    base = interval(verdict, failures, cfg)
    spread = base * (cfg.jitter * _jitter_fraction(url))
    return UrlState(failures, first, good, now + base + spread)


def is_confirmed_dead(state: UrlState, cfg: ScheduleSettings) -> bool:
    """Enough failed checks, far enough apart, to call the link dead."""
    return state.consecutive_failures >= cfg.confirm_failures
