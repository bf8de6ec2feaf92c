"""Many hosts in one process: which host is checked next, and how many at once.

`check_hosts` runs one `check.HostBatch` per host under the process's global concurrency
limit, taking hosts from a feed: the hosts of its own URL list, or (`fanout`) a run's
hosts shared with other processes, where whoever has room takes the next one.

A process holds only as many hosts as its limit can keep busy. Each host is weighed by the
requests it can have in flight: its per-host concurrency (or its number of URLs, if fewer)
when its rate is not limited, else half a request (a rate-limited host mostly waits its
turn), against a room of `concurrency`. Memory follows the work in flight, not the number
of hosts; each host gets its full per-host concurrency, so it is done sooner; and in a run
over processes the hosts not yet started stay free for the process that runs out of work
first. Before, a process took up to `2 x concurrency` hosts at once whatever their limits,
so a run's hosts were in effect split up front, and a run's last hosts shared the process
with many others: the processes ended well apart; they now end close together (measured:
docs/performance.md, "Figures behind the code").
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable

from monitor.checking.batch import OnResult, check_host_batch
from monitor.checking.http import check_fetcher, ssl_context, transport_for
from monitor.config import CheckSettings, HostPolicy
from monitor.core.results import CheckResult, Context
from monitor.core.urls import host_of

HostFeed = AsyncIterator[list[str]]  # one host's URLs at a time; ends when there are no more
ContextOf = Callable[[list[str]], Context]  # what is known of one host's URLs (`check_hosts`)


def preload() -> None:
    """Import what a process's first check imports on demand: aiohttp (for the fetcher)
    and numpy (for the first fingerprint). A checking child calls it while it waits for its
    first hosts, time it would spend idle; left to the first check, it lengthened the
    child's share of a re-check (measured: docs/performance.md, "Figures behind the
    code")."""
    import numpy  # noqa: F401

    import monitor.checking.aiotransport  # noqa: F401


def group_by_host(urls: Iterable[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for u in dict.fromkeys(urls):
        groups[host_of(u)].append(u)
    return groups


async def feed_of(groups: Iterable[list[str]]) -> HostFeed:
    for batch in groups:
        yield batch


def weight(policy: HostPolicy, batch: list[str]) -> float:
    """The requests a host's batch can have in flight at once, as far as its politeness
    and its number of URLs say: a rate-limited host mostly waits its turn, and counts for
    half a request (so twice as many as the limit are held, as before)."""
    return max(1, min(policy.concurrency, len(batch))) if policy.rate <= 0 else 0.5


class Room:
    """Room for hosts in flight, taken and given back in weights. A host is let in while
    any room is left, so one heavier than what is left still gets in (by at most its own
    weight): a host is never too big to be checked."""

    def __init__(self, capacity: float) -> None:
        self.free = capacity
        self._changed = asyncio.Event()

    async def wait(self) -> None:
        while self.free <= 0:
            self._changed.clear()
            await self._changed.wait()

    def take(self, w: float) -> None:
        self.free -= w

    def give(self, w: float) -> None:
        self.free += w
        self._changed.set()


async def check_hosts(
    urls: Iterable[str],
    cfg: CheckSettings,
    on_result: OnResult | None = None,
    context: Context | None = None,
    keep: bool = True,
    hosts: HostFeed | None = None,
    contexts: ContextOf | None = None,
) -> list[CheckResult]:
    """Check many URLs (deduplicated), a batch per host, under the global limit; or, with
    `hosts`, the hosts that feed hands out (`urls` is then not read, and nothing is kept).

    Each host batch has its own small client. With keep=False the results only go to
    `on_result` (a run of a million URLs stores them as they come). An exception raised by
    `on_result` (e.g. an outage verdict) cancels everything. `contexts`, when given, is
    asked for each host's context as the host starts (`context` is then not read): a run
    holds what it knows of the hosts in flight, not of every URL it will check.
    """
    order: list[str] = []
    if hosts is None:
        order = list(dict.fromkeys(urls))
        hosts = feed_of(group_by_host(order).values())
    keep = keep and bool(order)
    verify = ssl_context(cfg)
    transport = transport_for(cfg, len(order) if order else None)
    limit = asyncio.Semaphore(cfg.concurrency)
    room = Room(max(1, cfg.concurrency))
    kept: list[CheckResult] = []

    async def one_host(batch: list[str], policy: HostPolicy, w: float) -> None:
        try:
            known = contexts(batch) if contexts is not None else context
            async with check_fetcher(cfg, verify, policy.concurrency + 2, transport) as client:
                done = await check_host_batch(client, batch, cfg, limit, on_result, known)
            if keep:
                kept.extend(done)
        finally:
            room.give(w)

    async with asyncio.TaskGroup() as tg:
        while True:
            await room.wait()
            batch = await anext(hosts, None)
            if batch is None:
                break
            if not batch:
                continue
            policy = cfg.policy_for(host_of(batch[0]))
            w = weight(policy, batch)
            room.take(w)
            tg.create_task(one_host(batch, policy, w))
    if not keep:
        return []
    at = {u: i for i, u in enumerate(order)}
    return sorted(kept, key=lambda r: at[r.url])
