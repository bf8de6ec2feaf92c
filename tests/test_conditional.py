"""Conditional re-checks (issue 19): the last good answer's ETag / Last-Modified go with the
next check; a 304 keeps the verdict, renews the access date, costs the site no page and
is counted as unchanged. A changed page, or one that failed, is fetched whole again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor import api
from monitor.report import build_report, render
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
