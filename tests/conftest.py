"""Shared fixtures: the local web (tests/world.py), settings tuned for it, and stores on
SQLite and on the real PostgreSQL server.

PostgreSQL: MONITOR_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Without a server the PostgreSQL variants skip with the reason; with MONITOR_REQUIRE_PG=1
(set by .ci/run) they fail instead, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from sqlalchemy import create_engine, text

from monitor.config import Settings
from monitor.store import Store, open_store
from tests.world import World

ROOT = Path(__file__).resolve().parents[1]
# The test servers live on loopback, which the monitor refuses by default (it is not a proxy
# into private networks); the suite opens 127.0.0.0/8, as a user would with allow_networks.
os.environ["MONITOR_ALLOW_NETWORKS"] = "127.0.0.0/8"
PG_URL = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    w = World()
    w.start("127.0.0.1")
    yield w
    w.stop()


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_world(ca: trustme.CA) -> Iterator[World]:
    """An HTTPS server whose certificate is signed by a CA nobody trusts by default."""
    w = World()
    ctx = __import__("ssl").SSLContext(__import__("ssl").PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    w.start("127.0.0.1", tls=ctx)
    yield w
    w.stop()


def make_settings(**http: object) -> Settings:
    """Settings for the local world: short timeouts, no politeness delays."""
    base: dict[str, object] = {
        "connect_timeout": 2.0,
        "read_timeout": 1.0,
        "timeout": 5.0,
        "per_host_rate": 1000.0,
        "per_host_concurrency": 8,
        "contact": "mailto:tests@example.org",
        "retry_wait": 0.05,
    }
    base.update(http)
    # No archive endpoints unless a test brings its own: tests never reach the internet.
    return Settings(check=base, database={"url": "sqlite://"}, archive={"endpoints": []})


@pytest.fixture
def settings() -> Settings:
    return make_settings()


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # any reason at all: report it in the skip message
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


@pytest.fixture(scope="session")
def pg_problem() -> str | None:
    return _pg_available()


@pytest.fixture
def pg_url(pg_problem: str | None) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server for one test, dropped afterwards."""
    if pg_problem:
        msg = f"PostgreSQL not reachable at {PG_URL}: {pg_problem}"
        if os.environ.get("MONITOR_REQUIRE_PG") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same store tests on SQLite (a file, WAL) and on the real PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'monitor.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    s = open_store(url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def pywb(tmp_path_factory: pytest.TempPathFactory, world: World) -> Iterator[object]:
    """pywb, a real Wayback-compatible archive, serving captures the tests wrote; it also
    holds a 2010 copy of the local world's /gone page, so `run` can find a fallback."""
    from tests.archive_world import ARTICLE, Pywb

    gone = ("2010-06-01T10:00:00Z", world.url("/gone"), "200 OK", ARTICLE, [])
    archive = Pywb(tmp_path_factory.mktemp("pywb"), [gone])
    archive.start()
    yield archive
    archive.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of a `monitor` command run by a test: its own config file (a
    database in tmp_path, no archive endpoints, fast checks), no MONITOR_ variable."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f"[database]\nurl = 'sqlite:///{tmp_path / 'm.sqlite'}'\n"
        "[check]\nread_timeout = 2.0\nper_host_rate = 500.0\nper_host_concurrency = 8\n"
        "contact = 'mailto:cli-test@example.org'\n"
        "[archive]\nendpoints = []\n"
        f"[report]\ndir = '{tmp_path / 'reports'}'\n"
    )
    e = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MONITOR_") or k == "MONITOR_ALLOW_NETWORKS"
    }
    e["MONITOR_CONFIG"] = str(cfg)
    e["COLUMNS"] = "200"
    return e
