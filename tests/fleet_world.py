"""Many small hosts on 127.0.0.2..N, served from one background thread, that count what a
fleet of checkers does to them: requests per path, and the most requests any one host had
in flight at once (politeness across processes is measured here, at the server).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

from monitor.core.results import CheckResult

PAGE = (
    b"<!DOCTYPE html><html><head><title>Report %d</title></head><body><h1>Report %d</h1>"
    b"<p>Findings of the annual survey, with tables and a summary.</p></body></html>"
)


class FleetWorld:
    def __init__(self, hosts: int, delay: float = 0.05) -> None:
        self.addresses = [f"127.0.0.{i + 2}" for i in range(hosts)]
        self.delay = delay
        self.ports: dict[str, int] = {}
        self.hits: Counter[str] = Counter()  # "host:port/path" -> requests
        self.inflight: Counter[str] = Counter()
        self.max_inflight: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self, host_index: int, n: int) -> str:
        addr = self.addresses[host_index]
        return f"http://{addr}:{self.ports[addr]}/report/{n}"

    def start(self) -> FleetWorld:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fleet world did not start")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self) -> None:
        for addr in self.addresses:
            srv = await asyncio.start_server(
                lambda r, w, a=addr: self._handle(a, r, w), addr, 0, backlog=512
            )
            self.ports[addr] = srv.sockets[0].getsockname()[1]

    async def _handle(
        self, addr: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path = head.split(b" ", 2)[:2]
                with self._lock:
                    self.hits[f"{addr}:{self.ports[addr]}{path.decode()}"] += 1
                    self.inflight[addr] += 1
                    self.max_inflight[addr] = max(self.max_inflight[addr], self.inflight[addr])
                try:
                    await asyncio.sleep(self.delay)
                    tail = path.rsplit(b"/", 1)[-1]
                    n = int(tail) if tail.isdigit() else 0
                    body = PAGE % (n, n)
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                        b"Content-Length: "
                        + str(len(body)).encode()
                        + b"\r\n\r\n"
                        + (b"" if method == b"HEAD" else body)
                    )
                    await writer.drain()
                finally:
                    with self._lock:
                        self.inflight[addr] -= 1
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


def spread_over_two(urls: list[str], concurrency: int = 4) -> list[CheckResult]:
    """Every result of a run of `urls` over two processes (`fanout.check_across_processes`), one
    request at a time per host, no pace; it must use both."""
    from monitor.checking.fanout import check_across_processes
    from tests.conftest import make_settings

    cfg = make_settings(
        concurrency=concurrency,
        per_host_concurrency=1,
        per_host_rate=0,
        processes=2,
        sibling_probe=False,
    ).check
    got: list[CheckResult] = []
    assert asyncio.run(check_across_processes(urls, cfg, got.append)) == 2
    return got
