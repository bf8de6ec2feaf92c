"""The one result sink: batches by count and time, holds back unreachable hosts, decides an
outage; and the one-off ordering. Pure, with a fake clock."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.checking.runner import OutageSuspected, Reach, ResultSink, in_order
from monitor.config import CheckSettings
from monitor.core.results import CheckResult
from monitor.core.verdict import ErrorClass, Verdict

CFG = CheckSettings(outage_min_hosts=5, outage_share=0.8)
NOW = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def ok(host: str, n: int = 0) -> CheckResult:
    return CheckResult(f"http://{host}/{n}", Verdict.ALIVE, "HTTP 200", 200, None, NOW, 5)


def unreachable(host: str, n: int = 0) -> CheckResult:
    return CheckResult(
        f"http://{host}/{n}", Verdict.DEAD, "DNS: no such host", None, None, NOW, 5,
        error_class=ErrorClass.DNS_NOT_FOUND.value,
    )  # fmt: skip


def test_batches_by_count_and_by_time() -> None:
    clock, written = Clock(), []
    sink = ResultSink(written.append, CFG, every=3, seconds=2.0, clock=clock)
    for n in range(7):
        sink.add(ok("a.example", n))
    assert [len(b) for b in written] == [3, 3]  # the 7th waits
    clock.t = 2.5
    sink.add(ok("a.example", 7))
    assert [len(b) for b in written] == [3, 3, 2]
    assert sink.settle() is None and sum(map(len, written)) == 8


def test_unreachable_hosts_wait_and_become_transient_in_an_outage() -> None:
    written: list[list[CheckResult]] = []
    sink = ResultSink(written.append, CFG, every=1)
    sink.add(ok("up.example"))
    for h in range(6):
        sink.add(unreachable(f"down{h}.example"))
    assert [r.url for b in written for r in b] == ["http://up.example/0"]  # held back
    why = sink.settle()
    assert why == "6 of 7 hosts unreachable"
    held = written[-1]
    assert len(held) == 6 and {r.verdict for r in held} == {Verdict.TRANSIENT}
    assert all(r.reason.startswith("network outage suspected") for r in held)


def test_a_few_dead_hosts_are_not_an_outage() -> None:
    written: list[list[CheckResult]] = []
    sink = ResultSink(written.append, CFG, every=100)
    for h in range(10):
        sink.add(ok(f"up{h}.example"))
    sink.add(unreachable("gone.example"))
    assert sink.settle() is None
    assert [r.verdict for b in written for r in b].count(Verdict.DEAD) == 1


def test_without_hold_everything_passes_through() -> None:
    written: list[list[CheckResult]] = []
    sink = ResultSink(written.append, CFG, every=2, hold=False)
    sink.add(unreachable("x.example"))
    sink.add(unreachable("y.example"))
    assert [len(b) for b in written] == [2] and not sink.held


def test_gives_up_when_nothing_answers() -> None:
    sink = ResultSink(lambda b: None, CFG, give_up_after=3)
    sink.add(unreachable("a.example"))
    sink.add(unreachable("b.example"))
    with pytest.raises(OutageSuspected):
        sink.add(unreachable("c.example"))


def test_a_rolling_window_forgets_old_outcomes() -> None:
    clock = Clock()
    reach = Reach(window=300, clock=clock)
    for h in range(6):
        reach.saw(f"down{h}.example", False)
    assert reach.outage(CFG) == (6, 6)
    clock.t = 301
    reach.saw("up.example", True)
    assert reach.hosts() == ({"up.example"}, set()) and reach.outage(CFG) is None


def test_one_off_results_come_back_in_the_order_asked() -> None:
    urls = [f"http://h{i}.example/0" for i in range(3)]
    results = [ok("h2.example"), ok("h0.example"), ok("h1.example")]
    assert [r.url for r in in_order(results, urls, CFG)] == urls


def test_a_run_collects_cycles_rarely_and_puts_the_collector_back() -> None:
    """Within a run the cyclic collector waits for 50,000 new objects (not CPython's 700);
    after it, the caller's thresholds are as they were, even when the run fails."""
    import gc

    from monitor.core.collector import fewer_collections

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold()[0] == 50_000
        counts = gc.get_count()[0]
        junk = [[i] for i in range(5_000)]  # young objects, no collection yet
        assert gc.get_count()[0] >= counts + 4_500 and junk  # with 700 it would have run
        raise RuntimeError("the run failed")
    assert gc.get_threshold() == before
