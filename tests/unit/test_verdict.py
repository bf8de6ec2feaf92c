"""The pure decision table: observation in, verdict out."""

from __future__ import annotations

import datetime as dt
import errno
import socket
import ssl

import httpx
import pytest
import respx

from monitor import check
from monitor.checking.observe import classify_error
from monitor.config import ScheduleSettings
from monitor.core.due import Confirmation, Status, UrlState, describe, next_state
from monitor.core.verdict import ErrorClass, Hop, Observation, Verdict, decide, same_resource
from tests.conftest import make_settings

U = "http://site.example/reports/2005/article.html"


def obs(**kw) -> Observation:
    return Observation(url=U, **kw)


@pytest.mark.parametrize(
    ("o", "verdict"),
    [
        (obs(status=200, title="Kazak Women Sold"), Verdict.ALIVE),
        (obs(status=204), Verdict.ALIVE),
        (obs(status=404), Verdict.DEAD),
        (obs(status=410), Verdict.DEAD),
        (obs(status=400), Verdict.DEAD),
        (obs(status=500), Verdict.TRANSIENT),
        (obs(status=503), Verdict.TRANSIENT),
        (obs(status=429, retry_after="30"), Verdict.TRANSIENT),
        (obs(status=401), Verdict.BLOCKED),
        (obs(status=403), Verdict.BLOCKED),
        (obs(status=451), Verdict.BLOCKED),
        (obs(status=503, title="Just a moment..."), Verdict.BLOCKED),
        (obs(status=200, title="404 - File or directory not found."), Verdict.SOFT404),
        (obs(status=200, title="Ошибка", text="Страница не найдена. Вернуться"), Verdict.SOFT404),
        (
            obs(status=200, title="Report", text="The item was not found in 2004 by police"),
            Verdict.ALIVE,
        ),
        (obs(status=200, title="Report 410 of the Commission"), Verdict.ALIVE),
        (obs(status=200, title="Error 404 | Ministry"), Verdict.SOFT404),
        (obs(status=200, title="404 Not Found"), Verdict.SOFT404),
        (obs(status=200, title="x.kz", text="This domain may be for sale!"), Verdict.DRIFTED),
        (obs(error=ErrorClass.DNS_NOT_FOUND), Verdict.DEAD),
        (obs(error=ErrorClass.DNS_TEMPORARY), Verdict.TRANSIENT),
        (obs(error=ErrorClass.REFUSED), Verdict.DEAD),
        (obs(error=ErrorClass.READ_TIMEOUT), Verdict.TRANSIENT),
        (obs(error=ErrorClass.TLS_CERT, error_detail="certificate has expired"), Verdict.TLS_ERROR),
        (obs(error=ErrorClass.REDIRECT_LOOP), Verdict.DEAD),
        (obs(error=ErrorClass.INTERNAL), Verdict.TRANSIENT),
    ],
)
def test_decide(o: Observation, verdict: Verdict) -> None:
    assert decide(o).verdict is verdict


def test_redirect_rules() -> None:
    home = "http://site.example/"
    moved = "http://newsite.example/reports/2005/article.html"
    assert decide(obs(status=200, final_url=home, chain=[Hop(U, 301)])).verdict is Verdict.SOFT404
    assert decide(obs(status=200, final_url=moved, chain=[Hop(U, 301)])).verdict is Verdict.MOVED
    assert decide(obs(status=200, final_url=moved, chain=[Hop(U, 308)])).verdict is Verdict.MOVED
    # a temporary hop anywhere: the old URL is still the one to cite
    assert (
        decide(obs(status=200, final_url=moved, chain=[Hop(U, 301), Hop(moved, 302)])).verdict
        is Verdict.ALIVE
    )
    # http -> https of the same page is not news
    https = U.replace("http://", "https://")
    assert decide(obs(status=200, final_url=https, chain=[Hop(U, 301)])).verdict is Verdict.ALIVE
    login = "http://site.example/login?next=/x"
    assert decide(obs(status=200, final_url=login, chain=[Hop(U, 302)])).verdict is Verdict.SOFT404
    assert same_resource("http://a.org/x/", "https://www.a.org/x")
    # "/404" is a path segment cue: /new/4041 is an ordinary page (found by the benchmark)
    new = "http://site.example/new/4041"
    assert decide(obs(status=200, final_url=new, chain=[Hop(U, 301)])).verdict is Verdict.MOVED
    err = "http://site.example/errors/404.html"
    assert decide(obs(status=200, final_url=err, chain=[Hop(U, 302)])).verdict is Verdict.SOFT404


def test_reason_carries_detail() -> None:
    d = decide(obs(error=ErrorClass.TLS_CERT, error_detail="certificate has expired"))
    assert d.reason == "TLS certificate rejected: certificate has expired"
    assert "Retry-After 30" in decide(obs(status=429, retry_after="30")).reason


def _chained(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (
            _chained(
                httpx.ConnectError("x"),
                socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            ),
            ErrorClass.DNS_NOT_FOUND,
        ),
        (
            _chained(
                httpx.ConnectError("x"), socket.gaierror(socket.EAI_AGAIN, "Temporary failure")
            ),
            ErrorClass.DNS_TEMPORARY,
        ),
        (_chained(httpx.ConnectError("x"), ConnectionRefusedError()), ErrorClass.REFUSED),
        (
            _chained(httpx.ConnectError("x"), OSError(errno.ENETUNREACH, "Network is unreachable")),
            ErrorClass.UNREACHABLE,
        ),
        (_chained(httpx.ReadError("x"), ConnectionResetError()), ErrorClass.RESET),
        (
            _chained(httpx.ConnectError("x"), ssl.SSLCertVerificationError("bad")),
            ErrorClass.TLS_CERT,
        ),
        (httpx.ConnectTimeout(""), ErrorClass.CONNECT_TIMEOUT),
        (httpx.ReadTimeout(""), ErrorClass.READ_TIMEOUT),
        (TimeoutError(), ErrorClass.READ_TIMEOUT),
        (httpx.PoolTimeout(""), ErrorClass.INTERNAL),
        (httpx.RemoteProtocolError("Server disconnected"), ErrorClass.PROTOCOL),
        (httpx.TooManyRedirects("x"), ErrorClass.INTERNAL),
        (ValueError("bug"), ErrorClass.INTERNAL),
    ],
)
def test_classify_error(exc: Exception, cls: ErrorClass) -> None:
    assert classify_error(exc)[0] is cls


@respx.mock
def test_edge_cases_through_the_real_checker() -> None:
    """Transport-level oddities that a local server cannot easily produce."""
    # respx replaces the exception chain, so this exercises the message fallback
    respx.get("http://nx.example/a").mock(
        side_effect=httpx.ConnectError("[Errno -2] Name or service not known")
    )
    respx.get("http://flaky.example/a").mock(side_effect=httpx.ConnectTimeout("timed out"))
    respx.get("http://odd.example/a").mock(return_value=httpx.Response(302))  # no Location
    respx.get("http://odd.example/b").mock(return_value=httpx.Response(999))
    res = {
        r.url: r
        for r in check(
            [
                "http://nx.example/a",
                "http://flaky.example/a",
                "http://odd.example/a",
                "http://odd.example/b",
            ],
            make_settings(transport="httpx"),  # respx mocks httpx's own transport
        )
    }
    assert res["http://nx.example/a"].verdict is Verdict.DEAD
    assert res["http://flaky.example/a"].verdict is Verdict.TRANSIENT
    assert res["http://odd.example/a"].verdict is Verdict.DEAD
    assert "Location" in res["http://odd.example/a"].reason
    assert res["http://odd.example/b"].verdict is Verdict.TRANSIENT


NOW = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)


def test_death_needs_repeated_failures_and_spacing() -> None:
    cfg = ScheduleSettings(jitter=0)
    rule = Confirmation(checks=3, days=6)
    day = dt.timedelta(days=1)
    st = next_state(U, UrlState(), Verdict.DEAD, NOW, cfg, rule)
    assert (st.status, st.consecutive_failures, st.first_failure_at) == (Status.FAILING, 1, NOW)
    assert describe(st.status, st.consecutive_failures, rule) == "failing (1 of 3)"
    assert st.next_due_at == NOW + 3 * day
    # transient and blocked never advance (nor reset) the count
    st = next_state(U, st, Verdict.TRANSIENT, NOW + 3 * day, cfg, rule)
    st = next_state(U, st, Verdict.BLOCKED, NOW + 3 * day, cfg, rule)
    assert (st.status, st.consecutive_failures) == (Status.FAILING, 1)
    st = next_state(U, st, Verdict.DEAD, NOW + 4 * day, cfg, rule)
    # three failures, but only 5 days: not yet dead
    st = next_state(U, st, Verdict.SOFT404, NOW + 5 * day, cfg, rule)
    assert (st.status, st.consecutive_failures) == (Status.FAILING, 3)
    assert "dead once failing 6 days" in describe(st.status, 3, rule)
    st = next_state(U, st, Verdict.DEAD, NOW + 6 * day, cfg, rule)
    assert st.status is Status.DEAD and st.first_failure_at == NOW
    assert st.next_due_at == NOW + (6 + 30) * day
    st = next_state(U, st, Verdict.ALIVE, NOW + 40 * day, cfg, rule)
    assert (st.status, st.consecutive_failures, st.first_failure_at) == (Status.RECOVERED, 0, None)
    assert st.last_good_at == NOW + 40 * day
    st = next_state(U, st, Verdict.ALIVE, NOW + 47 * day, cfg, rule)
    assert st.status is Status.ALIVE


def test_a_good_check_resets_the_streak() -> None:
    cfg, rule = ScheduleSettings(jitter=0), Confirmation(3, 6)
    st = UrlState()
    for d in (0, 3):
        st = next_state(U, st, Verdict.DEAD, NOW + dt.timedelta(days=d), cfg, rule)
    st = next_state(U, st, Verdict.MOVED, NOW + dt.timedelta(days=6), cfg, rule)
    assert (st.status, st.consecutive_failures) == (Status.MOVED, 0)
    st = next_state(U, UrlState(), Verdict.TRANSIENT, NOW, cfg, rule)
    assert st.status is Status.UNVERIFIED


def test_jitter_spreads_due_times_but_is_stable() -> None:
    cfg = ScheduleSettings(jitter=0.1)
    dues = {
        next_state(f"http://h.example/{i}", UrlState(), Verdict.ALIVE, NOW, cfg).next_due_at
        for i in range(50)
    }
    assert len(dues) > 40
    lo, hi = NOW + dt.timedelta(days=6.3), NOW + dt.timedelta(days=7.7)
    assert all(lo <= d <= hi for d in dues)
    again = next_state("http://h.example/1", UrlState(), Verdict.ALIVE, NOW, cfg).next_due_at
    assert again in dues
