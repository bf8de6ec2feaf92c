"""Conditional re-checks (issue 19): the last good answer's ETag / Last-Modified go with the
next check; a 304 keeps the verdict, renews the access date, costs the site no page and
is counted as unchanged. A changed page, or one that failed, is fetched whole again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor import api
from monitor.report.build import build_report
from monitor.report.formats import render
from monitor.store import Store
from tests.conftest import make_settings
from tests.world import World

TITLE = "Kazak Women Sold as Sex Slaves"


def page(body: str = "") -> str:
    return f"<title>{TITLE}</title><h1>{TITLE}</h1><p>{'Text of the report. ' * 30}{body}</p>"


def test_an_unchanged_page_answers_304_and_keeps_its_verdict(
    store: Store, world: World, tmp_path: Path
) -> None:
    w = world.pages
    w["/cond/etag"] = (200, page(), {"ETag": '"v1"'})
    w["/cond/modified"] = (200, page(), {"Last-Modified": "Wed, 16 Feb 2011 10:00:00 GMT"})
    w["/cond/plain"] = (200, page(), {})
    src = tmp_path / "p.html"
    src.write_text(
        "".join(
            f'<p><a href="{world.url(p)}">{TITLE}</a> IWPR [accessed 16 February 2011]</p>'
            for p in ("/cond/etag", "/cond/modified", "/cond/plain")
        )
    )
    s = make_settings()
    api.ingest(store, [str(src)], s)
    day1 = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    first = api.run(store, s, everything=True, now=day1)
    assert first.counts == {"alive": 3} and first.unchanged == 0
    seen = len(world.request_headers)
    second = api.run(store, s, everything=True, now=day1 + dt.timedelta(days=7))
    assert second.counts == {"alive": 3} and second.unchanged == 2
    sent = {h.get("If-None-Match") or h.get("If-Modified-Since") for h in world.request_headers[seen:]}
    assert {'"v1"', "Wed, 16 Feb 2011 10:00:00 GMT"} <= sent
    rows = {r.url: r for r in api.status_rows(store, s)}
    for path in ("/cond/etag", "/cond/modified"):
        (check, *_) = store.checks.history(world.url(path), 1)
        assert check.http_status == 304 and check.verdict == "alive"
        assert check.reason == "HTTP 304: not modified since the last good check"
        assert check.evidence.get("unchanged") is True
    # the access date is renewed on a 304 as on a 200
    assert all(r.verified_on == (day1 + dt.timedelta(days=7)).date() for r in rows.values()), rows
    data = render(build_report(store, now=day1 + dt.timedelta(days=7, hours=1)), "md")
    assert "2 check(s) in this period found the page unchanged" in data
    # the page changes: a new ETag, a whole answer, the new validator kept
    w["/cond/etag"] = (200, page("A correction was added."), {"ETag": '"v2"'})
    third = api.run(store, s, everything=True, now=day1 + dt.timedelta(days=14))
    assert third.unchanged == 1  # only /cond/modified
    assert store.pages.url(world.url("/cond/etag")).etag == '"v2"'
    # the page goes: the validators go too, and the next check asks for the whole page
    w["/cond/etag"] = (404, "<title>Not found</title>", {"ETag": '"v2"'})
    api.run(store, s, everything=True, now=day1 + dt.timedelta(days=21))
    assert store.pages.url(world.url("/cond/etag")).etag is None
    seen = len(world.request_headers)
    api.run(store, s, everything=True, now=day1 + dt.timedelta(days=28))
    asked = [h for h in world.request_headers[seen:] if "If-None-Match" in h]
    assert asked == []


def test_conditional_requests_can_be_turned_off(store: Store, world: World, tmp_path: Path) -> None:
    world.pages["/cond/off"] = (200, page(), {"ETag": '"x"'})
    src = tmp_path / "p.txt"
    src.write_text(world.url("/cond/off") + "\n")
    s = make_settings(conditional=False)
    api.ingest(store, [str(src)], s)
    api.run(store, s, everything=True)
    assert api.run(store, s, everything=True).unchanged == 0


def test_a_page_reached_through_redirects_is_asked_for_conditionally_too(
    store: Store, world: World, tmp_path: Path
) -> None:
    """The validators go with the request for the page the redirects led to (the usual
    http:// to https:// or moved-article case), not with the redirecting URL: a 304 there
    keeps the verdict the redirects gave (moved for permanent ones, alive for temporary
    ones). Redirects that lead elsewhere now, or a meta refresh, get no validators."""
    w = world.pages
    w["/cond/was"] = (301, "", {"Location": "/cond/is"})
    w["/cond/is"] = (200, page(), {"ETag": '"p1"'})
    w["/cond/for-now"] = (302, "", {"Location": "/cond/today"})
    w["/cond/today"] = (200, page(), {"Last-Modified": "Wed, 16 Feb 2011 10:00:00 GMT"})
    w["/cond/refresh"] = (
        200, f'<meta http-equiv="refresh" content="0; url=/cond/is"><title>{TITLE}</title>',
        {"ETag": '"r1"'},
    )  # fmt: skip
    paths = ("/cond/was", "/cond/for-now", "/cond/refresh")
    src = tmp_path / "p.html"
    src.write_text("".join(f'<p><a href="{world.url(p)}">{TITLE}</a> IWPR</p>' for p in paths))
    s = make_settings()
    api.ingest(store, [str(src)], s)
    day1 = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    first = api.run(store, s, everything=True, now=day1)
    assert first.counts == {"moved": 1, "alive": 2} and first.unchanged == 0
    assert store.pages.url(world.url("/cond/was")).etag == '"p1"'
    assert store.pages.url(world.url("/cond/refresh")).etag is None
    seen = len(world.request_headers)
    second = api.run(store, s, everything=True, now=day1 + dt.timedelta(days=7))
    assert second.counts == {"moved": 1, "alive": 2} and second.unchanged == 2
    asked = world.request_headers[seen:]
    assert sum(h.get("If-None-Match") == '"p1"' for h in asked) == 1  # /cond/is, once
    assert not any(h.get("If-None-Match") == '"r1"' for h in asked)
    (moved, *_) = store.checks.history(world.url("/cond/was"), 1)
    assert (moved.verdict, moved.http_status) == ("moved", 304)
    assert moved.reason.startswith("permanently redirected to") and "304" in moved.reason
    (temp, *_) = store.checks.history(world.url("/cond/for-now"), 1)
    assert (temp.verdict, temp.http_status) == ("alive", 304)
    rows = {r.url: r for r in api.status_rows(store, s)}
    # an access date is renewed for the page still at its address (a moved one gets none)
    assert rows[world.url("/cond/for-now")].verified_on == (day1 + dt.timedelta(days=7)).date()
    assert rows[world.url("/cond/was")].verified_on is None
    # the redirect now leads elsewhere: the new page is read whole, nothing conditional
    w["/cond/was"] = (301, "", {"Location": "/cond/elsewhere"})
    w["/cond/elsewhere"] = (200, page("Moved again."), {"ETag": '"p1"'})
    seen = len(world.request_headers)
    third = api.run(store, s, everything=True, now=day1 + dt.timedelta(days=14))
    assert not any(h.get("If-None-Match") == '"p1"' for h in world.request_headers[seen:])
    (again, *_) = store.checks.history(world.url("/cond/was"), 1)
    assert (again.verdict, again.http_status) == ("moved", 200) and third.unchanged == 1
