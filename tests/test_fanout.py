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

from monitor import api, fanout
from monitor.config import CheckSettings
from monitor.fanout import check_spread, processes_for, split
from monitor.results import CheckResult, Context
from monitor.store import open_store
from monitor.verdict import Verdict
from tests.conftest import make_settings
from tests.fleet_world import FleetWorld

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


def test_hosts_stay_whole_and_shares_are_even() -> None:
    groups = {"a": ["a/1"] * 10, "b": ["b/1"] * 6, "c": ["c/1"] * 5, "d": ["d/1"]}
    shares = split(groups, 2)
    assert sorted(map(len, shares)) == [11, 11]
    owners = [{u.split("/")[0] for u in share} for share in shares]
    assert not owners[0] & owners[1]
    assert sorted(u for share in shares for u in share) == sorted(
        u for g in groups.values() for u in g
    )
    assert len(split(groups, 10)) == 4  # never an empty share
    many = {f"h{i}": [f"h{i}/1"] * 10 for i in range(100)}
    parent, child = map(len, split(many, 2, head_start=200))
    assert (parent, child) == (600, 400)  # the child starts 200 URLs behind: start-up


def test_two_processes_check_every_url_once_and_keep_per_host_limits(
    fleet: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = [fleet.url(h, n) for h in range(HOSTS) for n in range(PER_HOST)]
    from_children: list[int] = []
    real = fanout.run_child

    async def counting(*args: object) -> int:
        n = await real(*args)  # type: ignore[arg-type]
        from_children.append(n)
        return n

    monkeypatch.setattr(fanout, "run_child", counting)
    cfg = make_settings(
        per_host_concurrency=1, per_host_rate=0, processes=2, sibling_probe=False
    ).check
    got: list[CheckResult] = []
    assert asyncio.run(check_spread(urls, cfg, got.append)) == 2
    assert sorted(r.url for r in got) == sorted(urls)  # each once
    assert {r.verdict for r in got} == {Verdict.ALIVE}
    assert from_children and 0 < from_children[0] < len(urls)  # the child did its share
    assert max(fleet.max_inflight[a] for a in fleet.addresses) == 1


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


def _fake_child(monkeypatch: pytest.MonkeyPatch, body: str, *args: str) -> None:
    """A child that reads its orders, sends one result frame, then does `body`."""
    script = (
        "import os, pickle, struct, sys, time\n"
        "sys.stdin.buffer.read()\n"
        "d = pickle.dumps([pickle.loads(bytes.fromhex(sys.argv[1]))])\n"
        "sys.stdout.buffer.write(struct.pack('!I', len(d)) + d)\n"
        "sys.stdout.flush()\n" + body
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
    with caplog.at_level(logging.WARNING, logger="monitor.fanout"):
        n = asyncio.run(
            fanout.run_child([first.url, "http://127.0.0.2:9/b"], cfg, got.append, Context())
        )
    assert n == 1 and [r.url for r in got] == [first.url]
    assert "exit 3" in caplog.text and "1 of 2" in caplog.text and "boom" in caplog.text


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
        asyncio.run(fanout.run_child([first.url], make_settings().check, stop, Context()))
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left sleeping


def test_a_stray_print_in_a_child_does_not_corrupt_its_results(
    fleet: FleetWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    noisy = (
        "import monitor.fanout as f\n"
        "real = f.check_urls\n"
        "async def chatty(*a, **k):\n"
        "    print('a library talking on stdout')\n"
        "    return await real(*a, **k)\n"
        "f.check_urls = chatty\n"
        "f.child_main()\n"
    )
    monkeypatch.setattr(fanout, "child_command", lambda: [sys.executable, "-c", noisy])
    urls = [fleet.url(0, 500 + n) for n in range(3)]
    got: list[CheckResult] = []
    cfg = make_settings(sibling_probe=False).check
    assert asyncio.run(fanout.run_child(urls, cfg, got.append, Context())) == 3
    assert sorted(r.url for r in got) == sorted(urls)


def test_a_one_off_check_over_processes_answers_in_the_order_asked(fleet: FleetWorld) -> None:
    urls = [fleet.url(h, 700 + n) for n in range(4) for h in range(HOSTS)]  # hosts interleaved
    settings = make_settings(per_host_rate=0, processes=2, sibling_probe=False)
    seen: list[str] = []
    results = api.check(urls + urls[:5], settings, on_result=lambda r: seen.append(r.url))
    assert [r.url for r in results] == urls  # duplicates checked once, input order kept
    assert sorted(seen) == sorted(urls)
    assert {r.status for r in results} == {"alive"}  # status set after the spread, too
