"""A run's checks spread over several processes of one machine: the embedded mode past one core.

One process checks about 750 URLs/s on loopback and is then CPU-bound (httpx, reading and
fingerprinting pages). When the hosts' politeness limits allow more requests per second
than that (many hosts, or limits lifted), `run` hands whole hosts to child processes, so
each host's limits (pace, concurrency, robots.txt) still live in exactly one place. The
parent keeps a share of the hosts and stays the only database writer (SQLite has one).

Children are `python -m monitor.fanout`: settings, URLs and context arrive pickled on
stdin, results go back as length-prefixed pickles on stdout, a batch every 0.2 s. A child
that dies loses only the checks it had not reported; they stay due for the next run.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import pickle
import signal
import struct
import sys
from collections.abc import Mapping

from monitor.check import OnResult, check_urls, group_by_host
from monitor.config import CheckSettings
from monitor.results import CheckResult, Context
from monitor.runner import ResultSink, fewer_collections

log = logging.getLogger(__name__)

ONE_PROCESS_RATE = 500.0  # URLs/s one process sustains with room to spare (bench/throughput.py)
AUTO_MIN_URLS = 2000  # below this a second interpreter's start-up (~0.5 s) is not worth it
MAX_AUTO = 8
# A child spends its first 0.6-0.7 s starting up (imports, its work unpickled), about 500
# checks of realistic pages, so each child's share starts that many URLs behind the
# parent's (at most a quarter of an even share, so a small run still uses its children).
# Measured with bench/throughput.py (10,000 URLs over 200 hosts, two processes): with an
# even split the child ended 0.5-1.5 s after the parent; with this head start the two end
# within 0.1-0.7 s of each other, in either order. (The parent also stores every result,
# but since a run keeps the garbage collector out of the way that no longer shows.)
CHILD_START = 500
_FRAME = struct.Struct("!I")
FRAME_RESULTS, FRAME_SECONDS = 200, 0.2  # a child reports this many results, or this often


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def processes_for(cfg: CheckSettings, groups: Mapping[str, list[str]]) -> int:
    """How many processes a run uses. `[check] processes` when set; else (0, auto) one,
    unless the run is large and its hosts' rate limits together allow more requests per
    second than one process makes: e.g. 3,000 hosts at the default 1 request/s each."""
    if not groups:
        return 1
    if cfg.processes >= 1:
        return max(1, min(cfg.processes, len(groups)))
    if sum(len(u) for u in groups.values()) < AUTO_MIN_URLS:
        return 1
    allowed = 0.0  # requests/s the hosts' limits allow, all of them at once
    for host, urls in groups.items():
        rate = cfg.policy_for(host).rate
        allowed += len(urls) if rate <= 0 else min(rate, len(urls))
    wanted = math.ceil(allowed / ONE_PROCESS_RATE)
    return max(1, min(wanted, cores(), MAX_AUTO, len(groups)))


def split(groups: Mapping[str, list[str]], n: int, head_start: int = 0) -> list[list[str]]:
    """Whole hosts into n shares (largest host first, each to the least loaded share); the
    URLs keep their order within a host. Every share but the first (the parent's) starts
    `head_start` URLs behind: a child first spends a while starting up."""
    loads = [0] + [head_start] * (n - 1)
    shares: list[list[str]] = [[] for _ in range(n)]
    for host in sorted(groups, key=lambda h: -len(groups[h])):
        k = min(range(n), key=lambda i: loads[i])
        shares[k].extend(groups[host])
        loads[k] += len(groups[host])
    return [s for s in shares if s]


async def check_spread(
    urls: list[str],
    cfg: CheckSettings,
    on_result: OnResult,
    context: Context | None = None,
    processes: int | None = None,
) -> int:
    """Check `urls` over `processes` processes (this one included); results go to
    `on_result` in this process as they come. Returns the number of processes used."""
    groups = group_by_host(urls)
    n = processes if processes is not None else processes_for(cfg, groups)
    n = max(1, n)
    shares = split(groups, n, head_start=min(CHILD_START, len(urls) // (4 * n)))
    if len(shares) <= 1:
        await check_urls(urls, cfg, on_result, context, keep=False)
        return 1
    # the global limit is shared out, so the machine as a whole keeps to it
    each = cfg.model_copy(update={"concurrency": max(1, cfg.concurrency // len(shares))})
    async with asyncio.TaskGroup() as tg:
        for share in shares[1:]:
            tg.create_task(run_child(share, each, on_result, (context or Context()).subset(share)))
        tg.create_task(check_urls(shares[0], each, on_result, context, keep=False))
    return len(shares)


def child_command() -> list[str]:
    return [sys.executable, "-m", "monitor.fanout"]


async def run_child(
    urls: list[str], cfg: CheckSettings, on_result: OnResult, context: Context
) -> int:
    """One child process for `urls`; returns how many results it reported. A child that
    fails is logged, not raised: the others' results are good, its missing ones stay due."""
    proc = await asyncio.create_subprocess_exec(
        *child_command(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    errors = asyncio.create_task(proc.stderr.read())  # drained, so a chatty child never blocks
    reported = 0
    try:
        proc.stdin.write(pickle.dumps((cfg, urls, context), pickle.HIGHEST_PROTOCOL))
        await proc.stdin.drain()
        proc.stdin.close()
        while True:
            try:
                (size,) = _FRAME.unpack(await proc.stdout.readexactly(_FRAME.size))
                batch: list[CheckResult] = pickle.loads(await proc.stdout.readexactly(size))
            except asyncio.IncompleteReadError:
                break  # the child is done (or dead): what it sent is all there is
            for result in batch:
                reported += 1
                on_result(result)
        code = await proc.wait()
        if code != 0 or reported < len(urls):
            tail = (await errors).decode("utf-8", "replace").strip()[-1500:]
            log.warning(
                "a checking process ended (exit %s) after %d of %d URLs; the rest stay due "
                "for the next run%s",
                code, reported, len(urls), f": {tail}" if tail else "",
            )  # fmt: skip
    except (BrokenPipeError, ConnectionResetError) as exc:
        log.warning("a checking process could not be fed its URLs (%s); they stay due", exc)
    finally:
        if proc.returncode is None:  # cancelled (an outage, Ctrl-C): the child goes too
            proc.kill()
            await proc.wait()
        errors.cancel()
    return reported


def child_main() -> None:
    """`python -m monitor.fanout`: check what stdin says, stream results to stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    cfg, urls, context = pickle.load(sys.stdin.buffer)
    # stdout carries the frames alone: a stray print() anywhere goes to stderr instead
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(batch: list[CheckResult]) -> None:
        data = pickle.dumps(batch, pickle.HIGHEST_PROTOCOL)
        out.write(_FRAME.pack(len(data)) + data)
        out.flush()

    # the parent's own sink holds back and judges unreachable hosts: pass everything on
    sink = ResultSink(send, cfg, FRAME_RESULTS, FRAME_SECONDS, hold=False)
    with fewer_collections():
        asyncio.run(check_urls(urls, cfg, sink.add, context, keep=False))
    sink.flush()


if __name__ == "__main__":
    child_main()
