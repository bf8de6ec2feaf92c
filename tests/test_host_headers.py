"""Per-host request settings (issue 17): headers and cookies for the sites that need them,
secrets from the environment, sent only to that host (never on a redirect away)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from monitor import check
from monitor.config import ConfigError
from monitor.core.verdict import Verdict
from tests.conftest import make_settings
from tests.world import World


@pytest.fixture
def two_hosts() -> Iterator[tuple[World, World]]:
    home, away = World(), World()
    home.start("127.0.0.11")
    away.start("127.0.0.12")
    yield home, away
    home.stop()
    away.stop()


def test_headers_and_cookies_go_to_their_host_only(
    two_hosts: tuple[World, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, away = two_hosts
    home.pages["/to-away"] = (302, "", {"Location": away.url("/article/elsewhere")})
    monkeypatch.setenv("MONITOR_TEST_TOKEN", "t0ken")
    cfg = make_settings(
        hosts=[{"pattern": "127.0.0.11", "headers": {"X-Token": "$MONITOR_TEST_TOKEN"},
                "cookies": {"consent": "yes", "session": "${MONITOR_TEST_TOKEN}"}}]
    )  # fmt: skip
    (ok,) = check([home.url("/article/with-headers")], cfg)
    assert ok.verdict is Verdict.ALIVE
    sent = home.request_headers[-1]
    assert sent["X-Token"] == "t0ken" and sent["Cookie"] == "consent=yes; session=t0ken"
    check([home.url("/to-away")], cfg)
    assert all("X-Token" not in h and "Cookie" not in h for h in away.request_headers)
    assert "t0ken" not in repr(ok.as_json())


def test_a_missing_secret_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_NOT_SET", raising=False)
    cfg = make_settings(hosts=[{"pattern": "*", "headers": {"Authorization": "$MONITOR_NOT_SET"}}])
    with pytest.raises(ConfigError, match="MONITOR_NOT_SET is not set"):
        cfg.check.policy_for("example.org")
    assert "MONITOR_NOT_SET" not in os.environ


def test_headers_and_cookies_never_follow_to_another_port_of_the_same_host(
    two_hosts: tuple[World, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 31: the match was on the host name only, so a redirect to another port (or
    from https to http) of the same name carried them in clear text. Now: the origin."""
    home, _ = two_hosts
    other_port = World()
    other_port.start("127.0.0.11")  # the same host name, another port: another origin
    try:
        home.pages["/to-port"] = (302, "", {"Location": other_port.url("/article/port")})
        monkeypatch.setenv("MONITOR_TEST_TOKEN", "t0ken")
        cfg = make_settings(hosts=[{"pattern": "127.0.0.11", "cookies": {"s": "$MONITOR_TEST_TOKEN"},
                                    "headers": {"X-Token": "$MONITOR_TEST_TOKEN"}}])  # fmt: skip
        check([home.url("/to-port")], cfg)
        assert home.request_headers[-1]["X-Token"] == "t0ken"  # the first hop: its origin
        assert other_port.request_headers, "the redirect was followed"
        assert all("X-Token" not in h and "Cookie" not in h for h in other_port.request_headers)
    finally:
        other_port.stop()
