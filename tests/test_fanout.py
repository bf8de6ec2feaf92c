"""A run's hosts spread over processes: when, how they are shared, a real run over a fleet of
local hosts (every URL once, per-host limits kept), and children that die or must stop."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor import api
from monitor.checking import fanout
from monitor.checking.fanout import Dispenser, processes_for
from monitor.checking.hosts import check_hosts, group_by_host
from monitor.config import CheckSettings
from monitor.core.results import CheckResult, Context
from monitor.core.verdict import Verdict
from monitor.store import open_store
from tests.conftest import make_settings
from tests.fleet_world import FleetWorld, spread_over_two

HOSTS, PER_HOST = 12, 15


@pytest.fixture(scope="module")
def fleet() -> Iterator[FleetWorld]:
    w = FleetWorld(HOSTS, delay=0.15).start()  # a host's share outlasts a child's start-up
    yield w
    w.stop()


def _hosts(n: int, per: int) -> dict[str, list[str]]:
    return {f"h{i}.example": [f"http://h{i}.example/{k}" for k in range(per)] for i in range(n)}


def test_more_processes_only_when_the_hosts_limits_allow_more_than_one_can_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fanout, "cores", lambda: 4)
    polite = CheckSettings(contact="mailto:t@example.org")  # 1 request/s per host
    assert polite.processes == 0 and polite.per_host_rate == 1.0
    assert processes_for(polite, _hosts(10, 5)) == 1  # a small run
    assert processes_for(polite, _hosts(10, 300)) == 1  # 3,000 URLs, but 10 requests/s
    assert processes_for(polite, _hosts(1500, 2)) == 3  # 1,500 requests/s = 3 x 500
    assert processes_for(polite, _hosts(6000, 1)) == 4  # capped by the cores
    lifted = polite.model_copy(update={"per_host_rate": 0})
    assert processes_for(lifted, _hosts(10, 300)) == 4
    assert processes_for(lifted.model_copy(update={"processes": 1}), _hosts(10, 300)) == 1
    assert processes_for(polite.model_copy(update={"processes": 6}), _hosts(2, 3)) == 2


def test_hosts_are_handed_out_whole_largest_first_and_once() -> None:
    groups = {"a": ["a/1"] * 2, "b": ["b/1"] * 6, "c": ["c/1"] * 5, "d": ["d/1"]}
    hosts = Dispenser(groups)
    assert hosts.take(2) == [groups["b"], groups["c"]]
    assert hosts.take(5) == [groups["a"], groups["d"]]  # no more than there is
    assert hosts.take(1) == []


def test_a_child_is_handed_chunks_that_shrink_as_the_hosts_run_out() -> None:
    """Guided self-scheduling: a quarter of an even share of what is left, one host at
    the end; every host once."""
    hosts = Dispenser({f"h{i}": [f"h{i}/1"] for i in range(200)}, processes=2)
    sizes = []
    while hosts.queue:
        sizes.append(len(hosts.chunk()))
    assert sizes[:3] == [25, 21, 19] and sizes[-1] == 1
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == 200


def _taking(feed: object, log: list[int], taken: list[list[str]], got: list) -> object:
    """`feed`, noting at each take how many hosts taken so far are not finished."""

    async def wrapped():  # type: ignore[no-untyped-def]
        async for batch in feed:  # type: ignore[attr-defined]
            done = {r.url for r in got}
            log.append(sum(any(u not in done for u in b) for b in taken))
            taken.append(batch)
            yield batch

    return wrapped()


@pytest.mark.parametrize(("rate", "per", "most"), [(0, 10, 2), (5.0, 3, HOSTS)])
def test_a_process_holds_only_the_hosts_its_limit_can_keep_busy(
    fleet: FleetWorld, rate: float, per: int, most: int
) -> None:
    """Concurrency 16 and 8 requests per host: two unthrottled hosts fill it, so a third
    waits for one to finish (and stays free for another process); rate-limited hosts
    mostly wait, and twice the limit of them could be held (here: all 12 at once)."""
    groups = {str(h): [fleet.url(h, 900 + 20 * int(rate) + n) for n in range(per)]
              for h in range(HOSTS)}  # fmt: skip
    cfg = make_settings(
        concurrency=16, per_host_concurrency=8, per_host_rate=rate, sibling_probe=False
    ).check
    log: list[int] = []
    taken: list[list[str]] = []
    got: list[CheckResult] = []
    feed = _taking(Dispenser(groups).feed(), log, taken, got)
    asyncio.run(check_hosts((), cfg, got.append, keep=False, hosts=feed))  # type: ignore[arg-type]
    assert len(got) == per * HOSTS and len(taken) == HOSTS
    assert max(log) == most - 1  # hosts in flight when one more was taken
    assert log[:most] == list(range(most))  # the first ones at once


def _counting_children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many results each child of the run reports, as they end."""
    counts: list[int] = []
    real = fanout.run_child

    async def counting(*args: object) -> int:
        n = await real(*args)  # type: ignore[arg-type]
        counts.append(n)
        return n

    monkeypatch.setattr(fanout, "run_child", counting)
    return counts


def test_two_processes_check_every_url_once_and_keep_per_host_limits(
    fleet: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [fleet.url(h, n) for h in range(HOSTS) for n in range(PER_HOST)]
    fleet.max_inflight.clear()  # an earlier test allowed more
    from_children = _counting_children(monkeypatch)
    got = spread_over_two(urls, concurrency=8)  # 4 hosts at a time in each: both have work
    assert sorted(r.url for r in got) == sorted(urls)  # each once
    assert {r.verdict for r in got} == {Verdict.ALIVE}
    assert from_children and 0 < from_children[0] < len(urls)  # the child did its share
    assert max(fleet.max_inflight[a] for a in fleet.addresses) == 1


def test_a_child_slow_to_start_takes_fewer_hosts_and_the_run_still_covers_all(
    fleet: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work stealing: a child that starts 1.5 s late finds the parent has taken most hosts
    (a host lasts 0.15 s a URL); nothing is checked twice or left out."""
    slow = "import time, runpy\ntime.sleep(1.5)\nrunpy.run_module('monitor.checking.fanout', run_name='__main__')\n"
    monkeypatch.setattr(fanout, "child_command", lambda: [sys.executable, "-c", slow])
    from_children = _counting_children(monkeypatch)
    urls = [fleet.url(h, 1000 + n) for h in range(HOSTS) for n in range(4)]
    got = spread_over_two(urls)
    assert sorted(r.url for r in got) == sorted(urls)
    assert from_children[0] < len(urls) // 2  # the parent did the larger part


def test_a_run_over_processes_stores_each_check_once(fleet: FleetWorld, tmp_path: Path) -> None:
    urls = [fleet.url(h, 100 + n) for h in range(HOSTS) for n in range(PER_HOST)]
    page = tmp_path / "links.txt"
    page.write_text("\n".join(urls) + "\n")
    settings = make_settings(
        per_host_rate=0, processes=2, sibling_probe=False
    )  # fleet pages answer any path
    store = open_store(f"sqlite:///{tmp_path / 'm.sqlite'}")
    api.ingest(store, [str(page)], settings)
    summary = api.run(store, settings, everything=True)
    assert summary.counts["alive"] == len(urls)
    with store.engine.connect() as c:
        per_url = c.execute(text("SELECT count(*) FROM url_check GROUP BY url_id")).scalars()
        assert sorted(set(per_url)) == [1]
        assert c.execute(text("SELECT count(*) FROM url_check")).scalar_one() == len(urls)


def _one_result(url: str) -> CheckResult:
    now = dt.datetime.now(dt.UTC)
    return CheckResult(url, Verdict.ALIVE, "HTTP 200", 200, None, now, 5)


# a fake child's side of the pipes: length-prefixed pickles, read() from stdin, send() out
CHILD_PIPES = (
        "import os, pickle, struct, sys, time\n"
        "def read():\n"
        "    (n,) = struct.unpack('!I', sys.stdin.buffer.read(4))\n"
        "    return pickle.loads(sys.stdin.buffer.read(n))\n"
        "def send(obj):\n"
        "    d = pickle.dumps(obj)\n"
        "    sys.stdout.buffer.write(struct.pack('!I', len(d)) + d)\n"
        "    sys.stdout.flush()\n"
)


def _scripted_child(monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """A child that reads its settings, then does `body`, with `one`, a pickled result of
    http://127.0.0.2:9/a, to send."""
    one = pickle.dumps(_one_result("http://127.0.0.2:9/a")).hex()
    script = CHILD_PIPES + "read()\none = pickle.loads(bytes.fromhex(sys.argv[1]))\n" + body
    monkeypatch.setattr(fanout, "child_command", lambda: [sys.executable, "-c", script, one])


def _fake_child(monkeypatch: pytest.MonkeyPatch, body: str, *args: str) -> None:
    """A child that reads its settings, asks for a host, sends one result, then does
    `body`."""
    script = (
        CHILD_PIPES + "read()\n"
        "send(('want', 1))\n"
        "read()\n"
        "send(('results', [pickle.loads(bytes.fromhex(sys.argv[1]))]))\n" + body
    )
    monkeypatch.setattr(fanout, "child_command", lambda: [sys.executable, "-c", script, *args])


def test_a_child_that_dies_loses_only_what_it_did_not_report(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    first = _one_result("http://127.0.0.2:9/a")
    _fake_child(
        monkeypatch, "sys.stderr.write('boom\\n')\nsys.exit(3)\n", pickle.dumps(first).hex()
    )
    got: list[CheckResult] = []
    cfg = make_settings().check
    with caplog.at_level(logging.WARNING, logger="monitor.checking.fanout"):
        n = asyncio.run(
            fanout.run_child(
                Dispenser(group_by_host([first.url, "http://127.0.0.2:9/b"])),
                cfg,
                got.append,
                Context().subset,
            )
        )
    assert n == 1 and [r.url for r in got] == [first.url]
    assert "exit 3" in caplog.text and "1 of the 2" in caplog.text and "boom" in caplog.text


def test_a_stopped_run_takes_its_children_down(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = _one_result("http://127.0.0.2:9/a")
    pid_file = tmp_path / "pid"
    _fake_child(
        monkeypatch,
        "open(sys.argv[2], 'w').write(str(os.getpid()))\ntime.sleep(60)\n",
        pickle.dumps(first).hex(),
        str(pid_file),
    )

    def stop(result: CheckResult) -> None:
        for _ in range(100):  # the child has written its pid by now or very soon
            if pid_file.exists() and pid_file.read_text():
                break
            import time

            time.sleep(0.02)
        raise RuntimeError("stop")  # as an outage verdict or Ctrl-C would

    with pytest.raises(RuntimeError, match="stop"):
        asyncio.run(
            fanout.run_child(
                Dispenser(group_by_host([first.url])), make_settings().check, stop, Context().subset
            )
        )
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left sleeping


def test_a_stray_print_in_a_child_does_not_corrupt_its_results(
    fleet: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    noisy = (
        "import monitor.checking.fanout as f\n"
        "real = f.check_hosts\n"
        "async def chatty(*a, **k):\n"
        "    print('a library talking on stdout')\n"
        "    return await real(*a, **k)\n"
        "f.check_hosts = chatty\n"
        "f.child_main()\n"
    )
    monkeypatch.setattr(fanout, "child_command", lambda: [sys.executable, "-c", noisy])
    urls = [fleet.url(0, 500 + n) for n in range(3)]
    got: list[CheckResult] = []
    cfg = make_settings(sibling_probe=False).check
    hosts = Dispenser(group_by_host(urls))
    assert asyncio.run(fanout.run_child(hosts, cfg, got.append, Context().subset)) == 3
    assert sorted(r.url for r in got) == sorted(urls)


def test_a_one_off_check_over_processes_answers_in_the_order_asked(fleet: FleetWorld) -> None:
    urls = [fleet.url(h, 700 + n) for n in range(4) for h in range(HOSTS)]  # hosts interleaved
    settings = make_settings(per_host_rate=0, processes=2, sibling_probe=False)
    seen: list[str] = []
    results = api.check(urls + urls[:5], settings, on_result=lambda r: seen.append(r.url))
    assert [r.url for r in results] == urls  # duplicates checked once, input order kept
    assert sorted(seen) == sorted(urls)
    assert {r.status for r in results} == {"alive"}  # status set after the spread, too


def test_a_one_off_check_leaves_fingerprints_out_in_every_process_only_when_asked(
    fleet: FleetWorld,
) -> None:
    urls = [fleet.url(h, 750 + n) for n in range(3) for h in range(HOSTS)]
    settings = make_settings(per_host_rate=0, processes=2, sibling_probe=False)
    kept = api.check(urls, settings)
    assert {r.verdict.value for r in kept} == {"alive"}
    assert all(r.fingerprint and r.fingerprint.startswith("v2") for r in kept)
    left = api.check(urls, settings, fingerprints=False)  # what `monitor check` asks
    assert {r.verdict.value for r in left} == {"alive"}
    assert [r.fingerprint for r in left] == [None] * len(urls)


def test_a_child_hands_each_host_the_context_it_was_sent_and_keeps_none() -> None:
    """A child is sent each host with what the parent knows of its URLs; the host's check
    is handed exactly that (its cited titles, fingerprint, passages, validators, and
    whether results are stored), and the child holds none of it after."""
    whole = Context(
        titles={"a/1": ["A"], "b/1": ["B"]},
        fingerprints={"a/1": "v2" + "0" * 16},
        passages={"b/1": ["quoted"]},
        validators={
            "a/1": ('"etag"', None, "a/1"),
            "b/1": (None, "Tue, 1 Dec 2026 00:00:00 GMT", "b/2"),
        },
        stored=False,
    )
    hosts = [["a/1"], ["b/1"]]

    async def main() -> tuple[list[tuple[list[str], Context]], dict[int, Context]]:
        stdin = asyncio.StreamReader()
        stdin.feed_data(fanout._frame([(h, whole.subset(h)) for h in hosts]) + fanout._frame([]))
        orders = fanout._Orders(stdin, lambda message: None)
        handed = [(urls, orders.context_of(urls)) async for urls in orders.feed()]
        return handed, orders.contexts

    handed, left = asyncio.run(main())
    assert [urls for urls, _ in handed] == hosts
    assert [ctx for _, ctx in handed] == [whole.subset(h) for h in hosts]
    for name in ("titles", "fingerprints", "passages", "validators"):
        together = {u: v for _, ctx in handed for u, v in getattr(ctx, name).items()}
        assert together == getattr(whole, name)
    assert all(ctx.stored is False for _, ctx in handed)
    assert left == {}


def test_a_child_sending_results_while_its_hosts_are_on_the_way_is_not_deadlocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both pipes full at once: the child writes a frame of results larger than a pipe
    holds while the parent writes it a chunk of hosts larger than a pipe holds. The
    parent's reading of results must not wait on its writing of hosts (a run hung so,
    both processes asleep), so the child's write ends, and then it reads its hosts."""
    _scripted_child(
        monkeypatch,
        "send(('want', 1))\n"
        "send(('results', [one for _ in range(4000)]))\n"
        "while read():\n"
        "    send(('want', 1))\n",
    )
    urls = [f"http://127.0.{h // 250}.{h % 250 + 2}:9/{h}" for h in range(400)]
    context = Context(titles={u: [f"the cited title of {u} " * 50] for u in urls})  # 2 KB each
    got: list[CheckResult] = []

    async def main() -> int:
        return await asyncio.wait_for(
            fanout.run_child(Dispenser(group_by_host(urls)), make_settings().check, got.append,
                             context.subset),
            timeout=30,  # it takes a second or two; deadlocked, it never ends
        )  # fmt: skip

    assert asyncio.run(main()) == 4000 and len(got) == 4000


def test_a_context_that_cannot_be_read_ends_the_childs_feed_instead_of_hanging_the_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A run reads each host's context from the store as the host is handed out, in the
    thread serving the child. When that read fails (the store locked, a disk error), the
    child is told there are no more hosts and finishes what it has; the hosts not handed
    out stay due. Raised in that thread instead, it left the child waiting for hosts."""
    _scripted_child(
        monkeypatch,
        "send(('want', 1))\n"
        "while batch := read():\n"
        "    send(('results', [one for urls, _ in batch for _ in urls]))\n"
        "    send(('want', 1))\n",
    )
    urls = [f"http://127.0.0.{h + 2}:9/{n}" for h in range(4) for n in range(3)]
    asked: list[list[str]] = []

    def known(batch: list[str]) -> Context:
        asked.append(batch)
        if len(asked) > 1:
            raise RuntimeError("database is locked")
        return Context()

    got: list[CheckResult] = []

    async def main() -> int:
        return await asyncio.wait_for(
            fanout.run_child(Dispenser(group_by_host(urls)), make_settings().check, got.append,
                             known),
            timeout=30,  # it takes a second; left waiting for hosts, it never ends
        )  # fmt: skip

    with caplog.at_level(logging.WARNING, logger="monitor.checking.fanout"):
        assert asyncio.run(main()) == 3 == len(got)  # the first host's three URLs
    assert len(asked) == 2
    assert "could not be read (RuntimeError: database is locked)" in caplog.text
