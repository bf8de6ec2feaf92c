"""Proactive archiving (opt-in): ask Save Page Now to capture alive links before they die.

Off by default (`[archive.save] enabled = false`). For every alive cited link whose newest
known capture is older than `min_age_days` (or that has none), one capture request:

- With keys (`access_key`/`secret_key`, or MONITOR_ARCHIVE__SAVE__ACCESS_KEY/...SECRET_KEY):
  the Save Page Now 2 API directly with httpx: `POST /save` returns a job id, the job's
  status is polled a few times. The Internet Archive allows 12 captures a minute with keys.
- Without keys: waybackpy's `WaybackMachineSaveAPI` (anonymous, 4 a minute). waybackpy is
  synchronous and has no request timeout and long internal retry sleeps, so it runs in its
  own one-thread pool and we stop waiting after `timeout` seconds, whatever it does.

Every request and its outcome is stored as an `archive_link` with source "save".
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import httpx
from aiolimiter import AsyncLimiter

from monitor.checking.http import save_client
from monitor.config import CheckSettings, SaveSettings
from monitor.core.results import SaveResult
from monitor.core.times import wayback_time

log = logging.getLogger(__name__)
T = TypeVar("T")
# waybackpy's own small pool: at most two threads, daemon threads so that one hung for
# ever (waybackpy sets no timeout) cannot keep the process from exiting, which a
# ThreadPoolExecutor's joined workers would.
MAX_WAYBACKPY_THREADS = 2
_busy = threading.BoundedSemaphore(MAX_WAYBACKPY_THREADS)


def _in_daemon_thread(fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    if not _busy.acquire(blocking=False):
        future.set_exception(RuntimeError("waybackpy threads all busy (hung requests)"))
        return future

    def work() -> None:
        try:
            result = fn()
        except BaseException as exc:  # handed to the waiting coroutine
            if not future.done():  # it may have given up (timeout) long ago
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(result)
        finally:
            _busy.release()

    threading.Thread(target=work, name="waybackpy", daemon=True).start()
    return future


async def save_spn2(
    client: httpx.AsyncClient, url: str, cfg: SaveSettings, polls: int = 5, poll_wait: float = 3.0
) -> SaveResult:
    """Save Page Now 2 with keys: submit, then poll the job a bounded number of times."""
    headers = {
        "Accept": "application/json",
        "Authorization": f"LOW {cfg.access_key}:{cfg.secret_key}",
    }
    try:
        resp = await client.post(cfg.endpoint, data={"url": url}, headers=headers)
        if resp.status_code == 429:
            return SaveResult(url, False, "Save Page Now: HTTP 429, too many captures")
        if resp.status_code != 200:
            return SaveResult(url, False, f"Save Page Now: HTTP {resp.status_code}")
        job = resp.json().get("job_id")
        if not job:
            return SaveResult(url, False, f"Save Page Now: {resp.json().get('message', 'no job')}")
        for _ in range(polls):
            st = await client.get(f"{cfg.endpoint}/status/{job}", headers=headers)
            data = st.json() if st.status_code == 200 else {}
            status = data.get("status")
            if status == "success":
                ts = data.get("timestamp")
                original = data.get("original_url", url)
                return SaveResult(
                    url,
                    True,
                    f"captured by Save Page Now (job {job})",
                    f"https://web.archive.org/web/{ts}/{original}",
                    wayback_time(ts),
                    job,
                )
            if status == "error":
                why = data.get("message") or data.get("status_ext") or "error"
                return SaveResult(url, False, f"Save Page Now job {job}: {why}", job_id=job)
            await asyncio.sleep(poll_wait)
        return SaveResult(url, False, f"Save Page Now job {job}: still pending", job_id=job)
    except (httpx.HTTPError, ValueError) as exc:
        return SaveResult(url, False, f"Save Page Now: {type(exc).__name__}")


def _waybackpy_save(url: str, user_agent: str, endpoint: str) -> tuple[str, dt.datetime | None]:
    from waybackpy import WaybackMachineSaveAPI

    api = WaybackMachineSaveAPI(url, user_agent=user_agent, max_tries=1)
    api.request_url = endpoint.rstrip("/") + "/" + url
    archive_url = api.save()
    ts = api.timestamp()
    return archive_url, ts.replace(tzinfo=dt.UTC) if ts else None


async def save_anonymous(url: str, cfg: SaveSettings, user_agent: str) -> SaveResult:
    """waybackpy's anonymous save, fenced: its own thread, and we stop waiting at timeout."""
    future = asyncio.wrap_future(
        _in_daemon_thread(lambda: _waybackpy_save(url, user_agent, cfg.endpoint))
    )
    try:
        archive_url, when = await asyncio.wait_for(future, cfg.timeout)
    except TimeoutError:
        return SaveResult(
            url, False, f"Save Page Now (waybackpy): no answer within {cfg.timeout:g} s"
        )
    except Exception as exc:  # waybackpy raises its own errors and requests' unwrapped
        return SaveResult(
            url, False, f"Save Page Now (waybackpy): {type(exc).__name__}: {exc}"[:300]
        )
    return SaveResult(url, True, "captured by Save Page Now (anonymous)", archive_url, when)


async def save_many(urls: list[str], cfg: SaveSettings, check: CheckSettings) -> list[SaveResult]:
    """Capture requests for `urls`, paced at `per_minute`."""
    pace = AsyncLimiter(1, 60.0 / cfg.per_minute)
    results = []
    async with save_client(check, cfg) as client:
        for url in urls:
            async with pace:
                if cfg.access_key and cfg.secret_key:
                    results.append(await save_spn2(client, url, cfg))
                else:
                    results.append(await save_anonymous(url, cfg, check.agent()))
            log.info("save %s: %s", url, results[-1].reason)
    return results
