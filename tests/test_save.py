"""Proactive archiving (opt-in): SPN2 with keys (respx), waybackpy fenced in with a timeout."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from pathlib import Path

import httpx
import respx

from monitor import api
from monitor.archives.save import save_anonymous, save_spn2
from monitor.config import SaveSettings, Settings
from monitor.core.due import transition
from monitor.core.results import CheckResult
from monitor.core.verdict import Verdict
from monitor.store import Store
from tests.conftest import make_settings

KEYS = SaveSettings(enabled=True, access_key="AK", secret_key="SK", per_minute=600)


async def _spn2(url: str) -> object:
    async with httpx.AsyncClient() as client:
        return await save_spn2(client, url, KEYS, polls=3, poll_wait=0)


@respx.mock
def test_spn2_submits_and_polls_the_job() -> None:
    submit = respx.post("https://web.archive.org/save").mock(
        return_value=httpx.Response(200, json={"url": "http://x.org/a", "job_id": "spn2-42"})
    )
    respx.get("https://web.archive.org/save/status/spn2-42").mock(
        side_effect=[
            httpx.Response(200, json={"status": "pending"}),
            httpx.Response(
                200,
                json={
                    "status": "success",
                    "timestamp": "20261123120000",
                    "original_url": "http://x.org/a",
                },
            ),
        ]
    )
    r = asyncio.run(_spn2("http://x.org/a"))
    assert r.ok and r.job_id == "spn2-42"
    assert r.archive_url == "https://web.archive.org/web/20261123120000/http://x.org/a"
    assert r.captured_at == dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    sent = submit.calls[0].request
    assert sent.headers["Authorization"] == "LOW AK:SK" and b"url=http" in sent.content


@respx.mock
def test_spn2_errors_and_limits_are_reported() -> None:
    respx.post("https://web.archive.org/save").mock(
        side_effect=[
            httpx.Response(429, json={"message": "too many"}),
            httpx.Response(200, json={"job_id": "j1"}),
        ]
    )
    respx.get("https://web.archive.org/save/status/j1").mock(
        return_value=httpx.Response(200, json={"status": "error", "message": "Blocked by robots"})
    )
    first = asyncio.run(_spn2("http://x.org/a"))
    assert not first.ok and "429" in first.reason
    second = asyncio.run(_spn2("http://x.org/b"))
    assert not second.ok and second.reason == "Save Page Now job j1: Blocked by robots"


def test_waybackpy_is_fenced_by_a_timeout() -> None:
    """waybackpy has no request timeout: a server that never answers must not hang us."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    port = sock.getsockname()[1]
    threading.Thread(target=lambda: [sock.accept() for _ in range(5)], daemon=True).start()
    cfg = SaveSettings(enabled=True, endpoint=f"http://127.0.0.1:{port}/save", timeout=1.0)
    t0 = time.perf_counter()
    r = asyncio.run(save_anonymous("http://x.org/a", cfg, "monitor-test"))
    assert time.perf_counter() - t0 < 3
    assert not r.ok and r.reason == "Save Page Now (waybackpy): no answer within 1 s"
    sock.close()


@respx.mock
def test_only_alive_links_without_recent_capture_are_saved(store: Store, tmp_path: Path) -> None:
    base = make_settings()
    s = Settings(
        check=base.check,
        database={"url": "sqlite://"},
        archive={"endpoints": [], "save": KEYS.model_dump()},
    )
    links = tmp_path / "l.urls"
    links.write_text("http://alive.example/a\nhttp://dead.example/b\n")
    api.ingest(store, [str(links)], s)
    now = dt.datetime.now(dt.UTC)
    store.checks.record_results(
        [
            CheckResult("http://alive.example/a", Verdict.ALIVE, "t", 200, None, now, 1),
            CheckResult("http://dead.example/b", Verdict.DEAD, "t", 404, None, now, 1),
        ],
        transition(s.schedule),
    )
    respx.post("https://web.archive.org/save").mock(
        return_value=httpx.Response(200, json={"job_id": "j9"})
    )
    respx.get("https://web.archive.org/save/status/j9").mock(
        return_value=httpx.Response(
            200,
            json={
                "status": "success",
                "timestamp": "20261123000000",
                "original_url": "http://alive.example/a",
            },
        )
    )
    results = asyncio.run(api.save_async(store, s))
    assert [r.url for r in results] == ["http://alive.example/a"] and results[0].ok
    # captured now: not asked again within min_age_days
    assert asyncio.run(api.save_async(store, s)) == []
    link = store.archives.archive_links([store.pages.url("http://alive.example/a").id])
    assert [a.source for links in link.values() for a in links] == ["save"]
