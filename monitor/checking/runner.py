"""Where check results go between the checker and the store: one sink for every run loop.

The embedded run (`api.run_async`, which is also the parent of the fan-out processes), the
fan-out children (`fanout.child_main`, whose sink writes frames to the parent) and the
distributed worker (`distributed.check_host`) all hand each result to a `ResultSink`:

- results are written in batches, by count and by time, so a kill -9 loses at most a few
  seconds of finished checks, which are simply due again (never half-written: each batch
  is one transaction in the store);
- results of hosts that could not be reached at all (DNS, refused, unreachable, connect
  timeout) are held back until `settle`, which asks `Reach` whether so many hosts failed
  that our own network is the likelier culprit; if so they are written as `transient`
  "network outage suspected", so no link moves a step towards dead because we were offline;
- `Reach` weighs either the whole run or, for a worker that never ends, a rolling window.

The rule itself (how many hosts, what share) is `verdict.outage_suspected`, pure.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from monitor.config import CheckSettings
from monitor.core.errors import OutageSuspected
from monitor.core.results import CheckResult
from monitor.core.urls import host_of
from monitor.core.verdict import OUTAGE_PREFIX, Verdict, outage_reason, outage_suspected

Clock = Callable[[], float]


class Reach:
    """Which hosts a server answered for, and which could not be reached at all.

    `window=None` weighs everything seen (one run); a number of seconds weighs only what
    was seen that recently (a distributed worker runs for days).
    """

    def __init__(self, window: float | None = None, clock: Clock = time.monotonic) -> None:
        self.window, self.clock = window, clock
        self._reached: set[str] = set()
        self._failed: set[str] = set()
        self._events: deque[tuple[float, str, bool]] = deque()

    def saw(self, host: str, ok: bool) -> None:
        if self.window is None:
            (self._reached if ok else self._failed).add(host)
        else:
            self._events.append((self.clock(), host, ok))

    def hosts(self) -> tuple[set[str], set[str]]:
        """(reached, unreachable): a host counts as reached if any of its answers came."""
        if self.window is None:
            return set(self._reached), self._failed - self._reached
        cutoff = self.clock() - self.window
        while self._events and self._events[0][0] < cutoff:
            self._events.popleft()
        reached = {h for _, h, ok in self._events if ok}
        return reached, {h for _, h, ok in self._events if not ok} - reached

    def outage(self, cfg: CheckSettings, canary: str | None = None) -> tuple[int, int] | None:
        """(unreachable, tried) hosts when our own network looks down, else None. `canary`:
        why the canary failed, when it was asked because too few hosts were tried for the
        rule (`needs_canary`): then the unreachable hosts are an outage however few."""
        reached, failed = self.hosts()
        rule = outage_suspected(len(reached), len(failed), cfg.outage_share, cfg.outage_min_hosts)
        if rule or (canary and failed):
            return len(failed), len(reached) + len(failed)
        return None


def mark_outage(results: Iterable[CheckResult], failed: int, tried: int) -> None:
    """Results of unreachable hosts become `transient`: nothing was learnt about them."""
    for r in results:
        if not r.reached_server and not r.reason.startswith(OUTAGE_PREFIX):
            r.verdict = Verdict.TRANSIENT
            r.reason = outage_reason(failed, tried, r.reason)


class ResultSink:
    """Collects results and writes them through `write` in batches of `every` or every
    `seconds`; with `hold`, results of unreachable hosts wait for `settle`."""

    def __init__(
        self,
        write: Callable[[list[CheckResult]], None],
        cfg: CheckSettings,
        every: int = 200,
        seconds: float = 2.0,
        hold: bool = True,
        reach: Reach | None = None,
        give_up_after: int | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        """`give_up_after`: raise `OutageSuspected` once this many hosts were unreachable
        and not one answered (a run that cannot reach anything stops early)."""
        self.write, self.cfg = write, cfg
        self.every, self.seconds, self.hold = every, seconds, hold
        self.reach = reach if reach is not None else Reach(clock=clock)
        self.give_up_after, self.clock = give_up_after, clock
        self.buffer: list[CheckResult] = []
        self.held: list[CheckResult] = []
        self.last_write = clock()

    def add(self, result: CheckResult) -> None:
        ok = result.reached_server
        self.reach.saw(host_of(result.url), ok)
        (self.buffer if ok or not self.hold else self.held).append(result)
        if len(self.buffer) >= self.every or self.clock() - self.last_write >= self.seconds:
            self.flush()
        if self.give_up_after is not None and not ok:
            reached, failed = self.reach.hosts()
            if not reached and len(failed) >= self.give_up_after:
                raise OutageSuspected

    def flush(self) -> None:
        """Write what is buffered (held results stay held)."""
        batch, self.buffer = self.buffer, []
        self.last_write = self.clock()
        if batch:
            self.write(batch)

    def settle(self, canary: str | None = None) -> str | None:
        """Judge the held results against the outage rule and write everything; returns why
        an outage is suspected, or None. `canary`: why the canary failed, when it was asked
        because too few hosts were tried for the rule (`needs_canary`)."""
        why = None
        if self.held and (out := self.reach.outage(self.cfg, canary)) is not None:
            mark_outage(self.held, *out)
            why = f"{out[0]} of {out[1]} hosts unreachable" + (f" and {canary}" if canary else "")
        self.flush()
        held, self.held = self.held, []
        if held:
            self.write(held)
        return why


def needs_canary(reach: Reach, cfg: CheckSettings) -> bool:
    """Too few hosts for the outage rule, and not one of them answered: only a canary can
    tell "our network is down" from "their hosts are down"."""
    reached, failed = reach.hosts()
    return bool(failed) and not reached and len(failed) < cfg.outage_min_hosts


def reach_of(results: Iterable[CheckResult]) -> Reach:
    reach = Reach()
    for r in results:
        reach.saw(host_of(r.url), r.reached_server)
    return reach


def in_order(
    results: list[CheckResult], urls: list[str], cfg: CheckSettings, canary: str | None = None
) -> list[CheckResult]:
    """Results of a one-off check as the URLs were given (they come back in whatever order
    they finish), with the outage rule applied over all of them; `canary`: why the canary
    failed (see `needs_canary`), which makes unreachable hosts an outage however few."""
    order = {u: i for i, u in enumerate(urls)}
    results.sort(key=lambda r: order.get(r.url, -1))
    if (out := reach_of(results).outage(cfg, canary)) is not None:
        mark_outage(results, *out)
    return results
