"""Distributed mode against the real PostgreSQL server: `monitor dispatch` and several
`monitor worker` processes, a fleet world of many hosts, and a worker killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from monitor import api
from monitor.config import Settings
from monitor.store import Store, open_store
from monitor.store.models import Run, Url, UrlCheck
from tests.fleet_world import FleetWorld

HOSTS, PER_HOST = 10, 16


@pytest.fixture
def fleet() -> Iterator[FleetWorld]:
    w = FleetWorld(HOSTS, delay=0.08).start()
    yield w
    w.stop()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_ALLOW_NETWORKS"] = "127.0.0.0/8"
    return env


def _config(tmp_path: Path, db: str) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f"""
[database]
url = "{db}"
[check]
contact = "mailto:tests@example.org"
per_host_concurrency = 1   # so two requests in flight to a host can only come from two jobs
per_host_rate = 0
robots = "ignore"
sibling_probe = false
connect_timeout = 2.0
read_timeout = 2.0
timeout = 5.0
[distributed]
max_batch = 5              # several batches per host, so batches of one host compete
worker_concurrency = 4
poll_seconds = 0.2
heartbeat_seconds = 0.5
stalled_seconds = 2.0
""",
        "utf-8",
    )
    return cfg


def _monitor(cfg: Path, *args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(cfg), *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


def _checks(store: Store) -> Counter[int]:
    with store.session() as s:
        rows = s.execute(select(UrlCheck.url_id, func.count()).group_by(UrlCheck.url_id))
        return Counter({uid: n for uid, n in rows.all()})


def _seed(store: Store, fleet: FleetWorld, tmp_path: Path) -> list[str]:
    urls = [fleet.url(h, n) for h in range(HOSTS) for n in range(PER_HOST)]
    page = tmp_path / "links.txt"
    page.write_text("\n".join(urls) + "\n", "utf-8")
    results = api.ingest(store, [str(page)], Settings(database={"url": "sqlite://"}))
    assert all(r.error is None for r in results), results
    return urls


def test_fleet_checks_every_url_once_politely_and_survives_a_killed_worker(
    pg_url: str, fleet: FleetWorld, tmp_path: Path
) -> None:
    store = open_store(pg_url)
    urls = _seed(store, fleet, tmp_path)
    with store.session() as s:
        assert s.exec(select(func.count()).select_from(Url)).one() == len(urls)
    cfg = _config(tmp_path, pg_url)
    procs: list[subprocess.Popen[str]] = []
    try:
        dispatcher = _monitor(cfg, "dispatch", "--every", "0.3", "--until-done")
        procs.append(dispatcher)
        first = _monitor(cfg, "worker")
        procs.append(first)
        deadline = time.monotonic() + 60

        def doing_now() -> int:
            with store.engine.connect() as conn:
                return conn.execute(
                    text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
                ).scalar_one()

        # the first worker is well into its batches and has a request in flight right now:
        # its batch cannot have finished (between two rounds of batches it may briefly
        # hold none, and a kill then would leave nothing half-done)
        while (
            sum(_checks(store).values()) < 12
            or sum(fleet.inflight.values()) < 1
            or doing_now() < 1
        ):
            assert time.monotonic() < deadline, "the first worker checked nothing"
            assert first.poll() is None, first.communicate()[0]
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # mid-batch: host batches in flight
        first.wait(10)
        with store.engine.connect() as conn:  # half-done: still 'doing', or handed back
            doing = conn.execute(
                text(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"
                    " OR (status IN ('todo', 'failed') AND attempts > 0)"
                )
            ).scalar_one()
        assert doing >= 1, "the killed worker should have left batches half-done"
        killed_at = sum(_checks(store).values())
        assert killed_at < len(urls)

        more = [_monitor(cfg, "worker") for _ in range(2)]
        procs.extend(more)
        out, _ = dispatcher.communicate(timeout=120)
        assert dispatcher.returncode == 0, out
        assert "batches of dead workers handed back" in out, out
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()

    for p in procs[2:]:
        assert p.returncode == 0, p.stdout
    checks = _checks(store)
    with store.session() as s:
        ids = {u.url: u.id for u in s.exec(select(Url))}
        runs = list(s.exec(select(Run)))
    # every due URL checked exactly once: the killed worker's unwritten checks were redone,
    # its written ones were not
    assert {u: checks[ids[u]] for u in urls} == {u: 1 for u in urls}
    # every URL was really fetched (a URL in flight when the worker died may be fetched twice)
    assert all(fleet.hits[u.removeprefix("http://")] >= 1 for u in urls)
    # politeness held across processes: never two requests in flight to one host
    assert set(fleet.max_inflight) == set(fleet.addresses)
    assert max(fleet.max_inflight.values()) == 1, fleet.max_inflight
    # the dispatcher closed its runs with the counts of the checks the workers wrote
    assert runs and all(r.status == "done" for r in runs), [(r.id, r.status) for r in runs]
    assert sum(r.checked for r in runs) == len(urls)
    store.close()


def test_worker_refuses_sqlite_with_a_clear_message(tmp_path: Path) -> None:
    cfg = _config(tmp_path, f"sqlite:///{tmp_path / 'm.sqlite'}")
    p = _monitor(cfg, "worker")
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 2
    assert "distributed mode needs PostgreSQL" in out
    assert "Traceback" not in out


def test_serve_in_distributed_mode_refuses_sqlite(tmp_path: Path) -> None:
    cfg = _config(tmp_path, f"sqlite:///{tmp_path / 'm.sqlite'}")
    cfg.write_text(cfg.read_text("utf-8") + "enabled = true\n", "utf-8")  # [distributed] is last
    p = _monitor(cfg, "serve")
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 2, out
    assert "distributed mode needs PostgreSQL" in out
