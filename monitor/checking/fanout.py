"""A run's checks spread over several processes of one machine: the embedded mode past one core.

One process checks only so many URLs a second on loopback before it is CPU-bound (reading
and fingerprinting pages; measured: docs/performance.md, "Figures behind the code"). When
the hosts' politeness limits allow more requests per second than that (many hosts, or
limits lifted), `run` starts child processes. Whole hosts are handed out, so each host's
limits (pace, concurrency, robots.txt) still live in exactly one place, and they are
handed out as the processes ask (work stealing): the run's hosts wait in one `Dispenser`,
largest first, and a process takes the next host whenever it has room for one
(`hosts.check_hosts`). The parent takes its hosts directly, one at a time; a child asks
over its pipe and is handed a chunk that shrinks as the hosts run out (guided
self-scheduling, `Dispenser.chunk`). So a child still starting up simply takes fewer
hosts, and the processes end together whatever the machine's other load does to either
of them. (Shares fixed up front needed a guessed head start for the child, and the
processes still did not end together on a busy machine: docs/performance.md, "Figures
behind the code".) The parent stays the only database writer (SQLite has one).

Children are `python -m monitor.checking.fanout`. Both pipes carry length-prefixed pickles: on
stdin the settings, then hosts with their context (an empty list: no more); on stdout
results (a batch every 0.2 s) and requests for more hosts. The parent serves each child's
pipe from a thread of its own (`run_child`), so a request is answered while the event loop
stores results. A child that dies loses only the checks it had not reported; they stay
due for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import pickle
import queue
import signal
import struct
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import IO, Any

from monitor.checking import standby
from monitor.checking.batch import OnResult
from monitor.checking.hosts import ContextOf, HostFeed, check_hosts, group_by_host, preload
from monitor.checking.runner import ResultSink
from monitor.checking.standby import exit_now
from monitor.config import CheckSettings
from monitor.core.collector import fewer_collections
from monitor.core.results import CheckResult, Context

log = logging.getLogger(__name__)

ONE_PROCESS_RATE = 500.0  # URLs/s one process sustains with room to spare (bench/throughput.py)
# below this a second interpreter's start-up is not worth it (measured: docs/performance.md,
# "Figures behind the code")
AUTO_MIN_URLS = 2000
MAX_AUTO = 8
GUIDED = 4  # a child's chunk: this many times fewer hosts than an even share of those left
_FRAME = struct.Struct("!I")
FRAME_RESULTS, FRAME_SECONDS = 200, 0.2  # a child reports this many results, or this often


def cores() -> int:
    return standby.cores()


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


class Dispenser:
    """A run's hosts, largest first (the longest jobs start first, so none is left to
    run alone at the end), each taken by exactly one process.

    The parent takes one host at a time (no round trip). A child is handed a chunk of a
    `1 / (GUIDED x processes)` share of the hosts left (guided self-scheduling,
    Polychronopoulos and Kuck 1987): large while much is left, so it seldom has to ask,
    one host at the end, so the processes still end together. A child's request waits
    while the parent stores a batch of results: asking for one host at a time left the
    child idle for that long, again and again, most of all on a re-check, where a host
    takes milliseconds (measured: docs/performance.md, "Figures behind the code")."""

    def __init__(self, groups: Mapping[str, list[str]], processes: int = 2) -> None:
        self.queue = deque(sorted(groups.values(), key=len, reverse=True))
        self.processes = max(1, processes)
        self.lock = threading.Lock()  # children are served from threads

    def take(self, n: int = 1) -> list[list[str]]:
        with self.lock:
            return self._pop(n)

    def chunk(self) -> list[list[str]]:
        """A child's next hosts."""
        with self.lock:
            return self._pop(max(1, len(self.queue) // (GUIDED * self.processes)))

    def _pop(self, n: int) -> list[list[str]]:
        return [self.queue.popleft() for _ in range(min(n, len(self.queue)))]

    async def feed(self) -> HostFeed:
        """The parent's own feed: no round trip, a host whenever it has room."""
        while batch := self.take():
            yield batch[0]


async def check_across_processes(
    urls: list[str],
    cfg: CheckSettings,
    on_result: OnResult,
    context: Context | None = None,
    processes: int | None = None,
    source: ContextOf | None = None,
) -> int:
    """Check `urls` over `processes` processes (this one included); results go to
    `on_result` in this process as they come. Returns the number of processes used.

    What is known of the URLs comes from `context`, or, for a run of the database's URLs,
    from `source`, asked for each host's as the host is handed out (from the threads that
    serve the children too): what a run holds follows the hosts in flight, not the run's
    size (a context for every URL was most of a large run's memory: docs/performance.md)."""
    groups = group_by_host(urls)
    n = processes if processes is not None else processes_for(cfg, groups)
    n = max(1, min(n, len(groups)))
    if n <= 1:
        standby.stop_rest()
        await check_hosts(urls, cfg, on_result, context, keep=False, contexts=source)
        return 1
    # the global limit is shared out, so the machine as a whole keeps to it
    standby.stop_rest(keep=n - 1)
    each = cfg.model_copy(update={"concurrency": max(1, cfg.concurrency // n)})
    hosts = Dispenser(groups, n)
    known: ContextOf = source if source is not None else (context or Context()).subset
    async with asyncio.TaskGroup() as tg:
        for _ in range(n - 1):
            tg.create_task(run_child(hosts, each, on_result, known))
        tg.create_task(
            check_hosts(
                (), each, on_result, context, keep=False, hosts=hosts.feed(), contexts=source
            )
        )
    return n


def child_command() -> list[str]:
    return standby.child_command()


def _frame(obj: object) -> bytes:
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    return _FRAME.pack(len(data)) + data


async def _read_frame(stream: asyncio.StreamReader) -> Any:
    (size,) = _FRAME.unpack(await stream.readexactly(_FRAME.size))
    return pickle.loads(await stream.readexactly(size))


def _read_frame_from(pipe: IO[bytes]) -> Any:
    """The next frame of a pipe read in a thread; None at its end (the child is done, or
    dead: what it sent is all there is)."""
    head = pipe.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    data = pipe.read(size)
    return pickle.loads(data) if len(data) == size else None


async def run_child(
    hosts: Dispenser, cfg: CheckSettings, on_result: OnResult, known: ContextOf
) -> int:
    """One child process (a standby one if `monitor run` started it), fed hosts from
    `hosts` as it asks; returns how many results it reported. A child that fails is logged,
    not raised: the others' results are good, its missing ones stay due.

    The child's pipes are served by threads of their own: one reads its results and
    requests, passes the results to the event loop and answers a request at once with a
    chunk of hosts; another writes the chunks. (The event loop is often busy storing a
    batch of results: a child served by it waited that long for each chunk, a wait that
    added up over a re-check; measured: docs/performance.md, "Figures behind the code".)
    Reading never waits on writing: a chunk larger than a pipe holds waits for the child to
    read it, and the child may itself be writing a frame of results larger than a pipe
    holds, which only our reading lets it finish. With one thread doing both, the two
    processes waited on each other for good (a run hung so)."""
    try:
        proc = standby.take() or standby.spawn(child_command())
    except OSError as exc:  # ulimit -n reached, an interpreter that cannot run
        log.warning("a checking process could not be started (%s); its hosts go elsewhere", exc)
        return 0
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
    try:
        stdin.write(_frame(cfg))  # at once: a few KB, and the child is waiting
        stdin.flush()
    except (BrokenPipeError, ConnectionResetError) as exc:
        log.warning("a checking process could not be started (%s); its hosts go elsewhere", exc)
        proc.kill()
        proc.wait()
        return 0
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[list[CheckResult] | None] = asyncio.Queue()
    given = 0
    fed: list[str] = []  # why the child could not be fed, if it could not

    def post(item: list[CheckResult] | None) -> None:
        with contextlib.suppress(RuntimeError):  # the run is over (cancelled): no one waits
            loop.call_soon_threadsafe(inbox.put_nowait, item)

    chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    unread: list[str] = []  # why the hosts' context could not be read, if it could not

    def hand_out() -> bytes:
        """The child's next hosts with their context; none (its end) once a context could
        not be read (the store failing under a run): those hosts stay due, and the child
        finishes what it has instead of waiting for hosts that never come."""
        nonlocal given
        batch = [] if unread else hosts.chunk()
        try:
            data = _frame([(urls, known(urls)) for urls in batch])
        except Exception as exc:  # any: raised here, it would leave the child waiting
            unread.append(f"{type(exc).__name__}: {exc}")
            return _frame([])
        given += sum(map(len, batch))
        return data

    def serve() -> None:
        try:
            while (frame := _read_frame_from(stdout)) is not None:
                kind, payload = frame
                if kind == "want":
                    chunks.put(hand_out())
                else:
                    post(payload)
        except (OSError, ValueError):  # its pipes closed under it: the run is stopping
            pass
        finally:
            chunks.put(None)
            post(None)

    def feed() -> None:
        try:
            while (data := chunks.get()) is not None:
                stdin.write(data)
                stdin.flush()
        except (BrokenPipeError, ConnectionResetError) as exc:
            fed.append(str(exc))
        except (OSError, ValueError):  # closed under it: the run is stopping
            pass

    said: list[bytes] = []  # its stderr, drained so a chatty child never blocks
    server = threading.Thread(target=serve, name="fanout-serve", daemon=True)
    writer = threading.Thread(target=feed, name="fanout-feed", daemon=True)
    drain = threading.Thread(target=lambda: said.append(stderr.read()), daemon=True)
    server.start()
    writer.start()
    drain.start()
    reported = 0
    try:
        while (results := await inbox.get()) is not None:
            for result in results:
                reported += 1
                on_result(result)
        code = await asyncio.to_thread(proc.wait)
        await asyncio.to_thread(writer.join, 10)  # its last write has failed or ended by now
        if unread:
            log.warning(
                "what the database knows of a checking process's next URLs could not be read "
                "(%s); they stay due for the next run", unread[0][:300],
            )  # fmt: skip
        if fed:
            log.warning("a checking process could not be fed its URLs (%s); they stay due", fed[0])
        elif code != 0 or reported < given:
            await asyncio.to_thread(drain.join, 10)
            tail = b"".join(said).decode("utf-8", "replace").strip()[-1500:]
            log.warning(
                "a checking process ended (exit %s) after %d of the %d URLs it took; the "
                "rest stay due for the next run%s",
                code, reported, given, f": {tail}" if tail else "",
            )  # fmt: skip
    finally:
        if proc.poll() is None:  # cancelled (an outage, Ctrl-C): the child goes too
            proc.kill()
            proc.wait()
    return reported


class _Orders:
    """A child's side of the feed: the hosts the parent hands out, each with its context,
    which is handed to the host's check as it starts and not kept after (`context_of`). The
    next chunk is asked for as the last host in hand is taken, and read by a task of its
    own, so it is on its way while that host is checked."""

    def __init__(self, stdin: asyncio.StreamReader, send: Callable[[object], None]) -> None:
        self.stdin, self.send = stdin, send
        self.ready: deque[list[str]] = deque()
        # a host's context until its check starts, by its URL list (alive till then)
        self.contexts: dict[int, Context] = {}
        self.asked = self.ended = False
        self.arrived = asyncio.Event()

    def context_of(self, urls: list[str]) -> Context:
        return self.contexts.pop(id(urls), None) or Context()

    def _ask(self) -> None:
        if not self.asked and not self.ended:
            self.asked = True
            self.send(("want", 1))

    async def _read(self) -> None:
        try:
            while not self.ended:
                batch: list[tuple[list[str], Context]] = await _read_frame(self.stdin)
                self.asked = False
                self.ended = not batch
                for urls, ctx in batch:
                    self.contexts[id(urls)] = ctx
                    self.ready.append(urls)
                self.arrived.set()
        except asyncio.IncompleteReadError:  # the parent is gone: no more hosts
            self.ended = True
            self.arrived.set()

    async def feed(self) -> HostFeed:
        reader = asyncio.create_task(self._read())
        try:
            self._ask()
            while True:
                while not self.ready:
                    if self.ended:
                        return
                    self.arrived.clear()
                    await self.arrived.wait()
                urls = self.ready.popleft()
                if not self.ready:
                    self._ask()
                yield urls
        finally:
            reader.cancel()


async def _child(out: Any) -> None:
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    try:
        cfg: CheckSettings = await _read_frame(stdin)
    except asyncio.IncompleteReadError:
        return  # started, then not needed: the parent closed the pipe

    def send(message: object) -> None:
        out.write(_frame(message))
        out.flush()

    # the parent's own sink holds back and judges unreachable hosts: pass everything on
    sink = ResultSink(lambda b: send(("results", b)), cfg, FRAME_RESULTS, FRAME_SECONDS, hold=False)
    orders = _Orders(stdin, send)
    await check_hosts(
        (), cfg, sink.add, keep=False, hosts=orders.feed(), contexts=orders.context_of
    )
    sink.flush()


def child_main() -> None:
    """`python -m monitor.checking.fanout`: check the hosts the parent hands out, stream results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # stdout carries the frames alone: a stray print() anywhere goes to stderr instead
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    preload()  # while the parent starts up: its settings and first hosts wait in the pipe
    with fewer_collections():
        asyncio.run(_child(out))
    out.close()  # the parent sees the end of the results now, not after our exit
    exit_now(0)


if __name__ == "__main__":
    child_main()
