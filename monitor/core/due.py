"""A URL's confirmed status over time, and when it is next due: pure functions, no I/O.

Death is a conclusion over time, not over one request. InternetArchiveBot declares a link
dead after 3 failed checks at least 3 days apart (so at least 6 days from the first
failure), and reports a 0.1% false-positive rate with it (InternetArchiveBot's
documentation on Meta-Wiki). We keep that rule as the default: `confirm_checks = 3`
failing checks in a row that span at least `confirm_days = 6` days; failing links are
re-checked every `failing_days = 3`.
A week-long span would add little (sites that are down for a week are down), a shorter one
would call a long weekend's maintenance "dead".

Each check updates a small state: the failure streak, when it began, the last good check,
the status, and when to look again:

    alive/moved ----failure----> failing (1 of N) --...--> failing (N-1 of N) --> dead
         ^                          |                                              |
         +-------good check---------+            recovered <------good check-------+

`transient` and `blocked` say nothing about the cited work, so they neither advance nor
reset the streak. A stable per-URL jitter spreads 10,000 URLs ingested in one minute over
hours, so they never all fall due together again.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from monitor.config import CheckSettings, ScheduleSettings
from monitor.core.verdict import GOOD, Verdict


class Status(enum.StrEnum):
    """The confirmed state of a URL, as opposed to the verdict of one check."""

    UNCHECKED = "unchecked"
    """Never checked."""
    UNVERIFIED = "unverified"
    """Checked, but never judgeable yet (only transient or blocked answers)."""
    ALIVE = "alive"
    """The last judgeable check found it alive."""
    MOVED = "moved"
    """The last judgeable check found a permanent redirect to a live page."""
    FAILING = "failing"
    """Failing, but not yet for enough checks or days to call it dead."""
    DEAD = "dead"
    """Failed `confirm_checks` checks in a row spanning `confirm_days`: confirmed."""
    RECOVERED = "recovered"
    """Was confirmed dead; the latest check found it alive again."""


@dataclass(frozen=True)
class Confirmation:
    checks: int = 3
    days: float = 6.0


@dataclass(frozen=True)
class UrlState:
    consecutive_failures: int = 0
    first_failure_at: dt.datetime | None = None
    last_good_at: dt.datetime | None = None
    next_due_at: dt.datetime | None = None
    status: Status = Status.UNCHECKED


def _jitter_fraction(url: str) -> float:
    """A stable number in [-1, 1) derived from the URL."""
    h = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=4).digest(), "big")
    return (h / 2**32) * 2 - 1


def interval(verdict: Verdict, status: Status, cfg: ScheduleSettings) -> dt.timedelta:
    """How long until the next check after a check with this outcome."""
    if verdict in GOOD:
        return dt.timedelta(days=cfg.alive_days)
    if verdict is Verdict.TRANSIENT:
        return dt.timedelta(hours=cfg.transient_hours)
    if verdict is Verdict.BLOCKED:
        return dt.timedelta(days=cfg.blocked_days)
    if status is Status.DEAD:
        return dt.timedelta(days=cfg.dead_days)
    return dt.timedelta(days=cfg.failing_days)


def confirmed(failures: int, first: dt.datetime, now: dt.datetime, rule: Confirmation) -> bool:
    return failures >= rule.checks and now - first >= dt.timedelta(days=rule.days)


def next_state(
    url: str,
    prev: UrlState,
    verdict: Verdict,
    now: dt.datetime,
    cfg: ScheduleSettings,
    rule: Confirmation = Confirmation(),
) -> UrlState:
    """The state after a check of `url` at `now` with outcome `verdict`."""
    if verdict.is_failure:
        failures = prev.consecutive_failures + 1
        first = prev.first_failure_at or now
        good = prev.last_good_at
        if prev.status is Status.DEAD or confirmed(failures, first, now, rule):
            status = Status.DEAD
        else:
            status = Status.FAILING
    elif verdict in GOOD:
        failures, first, good = 0, None, now
        if prev.status is Status.DEAD:
            status = Status.RECOVERED
        else:
            status = Status.MOVED if verdict is Verdict.MOVED else Status.ALIVE
    else:  # transient / blocked: cannot tell, so nothing about the streak changes
        failures, first, good = prev.consecutive_failures, prev.first_failure_at, prev.last_good_at
        status = prev.status if prev.status is not Status.UNCHECKED else Status.UNVERIFIED
    base = interval(verdict, status, cfg)
    spread = base * (cfg.jitter * _jitter_fraction(url))
    return UrlState(failures, first, good, now + base + spread, status)


Transition = Callable[[str, UrlState, Verdict, dt.datetime], UrlState]


def transition(cfg: ScheduleSettings, rule: Confirmation = Confirmation()) -> Transition:
    """`next_state` with the schedule and confirmation rule fixed: what the store is handed
    to move each checked URL's state (it keeps states, it does not decide them)."""

    def step(url: str, prev: UrlState, verdict: Verdict, now: dt.datetime) -> UrlState:
        return next_state(url, prev, verdict, now, cfg, rule)

    return step


def describe(status: Status, failures: int, rule: Confirmation) -> str:
    """'failing (1 of 3)', 'dead', ... for people."""
    if status is Status.FAILING:
        if failures >= rule.checks:
            return f"failing ({failures} of {rule.checks}; dead once failing {rule.days:g} days)"
        return f"failing ({failures} of {rule.checks})"
    return status.value


def rule_of(check: CheckSettings) -> Confirmation:
    return Confirmation(check.confirm_checks, check.confirm_days)
