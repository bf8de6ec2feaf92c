"""A maintainer's Monday (issue 17): two weeks of daily checks against the local world and
a real Wayback-compatible archive (pywb), each kind of decision made between them, and the
next report and `patch` honouring every one. Also: the trend counts links, not checks; an
outage run gets one banner, not a reason per link."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

from monitor import api
from monitor.config import Settings
from monitor.core.due import Confirmation
from monitor.pages.patch import Policy
from monitor.report.build import build_report, override_note
from monitor.report.formats import render
from tests.archive_world import KAZAK
from tests.conftest import make_settings
from tests.world import World

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
RULE = Confirmation(checks=3, days=2)


def settings_for(tmp_path: Path, pywb, ignore: list[dict[str, str]] | None = None) -> Settings:
    return Settings(
        check=make_settings().check,
        database={"url": f"sqlite:///{tmp_path / 'm.sqlite'}"},
        archive={"endpoints": [pywb.endpoint(rate_per_minute=6000)]},
        ignore=ignore or [],
    )


def days(start: dt.datetime, n: int) -> list[dt.datetime]:
    return [start + dt.timedelta(days=k) for k in range(n)]


def test_a_week_of_checks_then_every_decision_honoured(
    world: World, pywb, tmp_path: Path
) -> None:
    w = world.pages  # paths of this test's own; /gone (404, captured in 2010) is shared
    w["/monday/kept"] = (200, "<title>Kazak women's shelter opens in Almaty</title>", {})
    w["/monday/old"] = (301, "", {"Location": "/monday/new-home"})
    w["/monday/new-home"] = (200, "<title>Almaty report on labour migration</title>", {})
    w["/monday/bots"] = (403, "<title>Access denied</title>", {})
    w["/monday/retired"] = (404, "<title>Not here</title>", {})
    w["/monday/noise"] = (200, "<title>Counter</title>", {})
    cites = [
        ("/monday/kept", "Kazak women's shelter opens in Almaty"),
        ("/gone", KAZAK),
        ("/monday/old", "Almaty report on labour migration"),
        ("/monday/bots", "A site that blocks robots"),
        ("/monday/retired", "A page the maintainer dropped"),
        ("/monday/noise", "A visitor counter"),
    ]
    page = tmp_path / "kazakhstan.html"
    page.write_text(
        "<html><body><h1>Trafficking in Kazakhstan</h1><ul>"
        + "".join(
            f'<li><a href="{world.url(p)}">{t}</a><br>Publisher, 17 Nov 05<br>'
            "[accessed 16 February 2011]</li>"
            for p, t in cites
        )
        + "</ul></body></html>",
        "utf-8",
    )
    # the configuration file ignores the counter: never fetched, listed as ignored
    s = settings_for(tmp_path, pywb, [{"pattern": "*/monday/noise*", "reason": "a counter"}])
    store = api.open_database(s)
    api.ingest(store, [str(page)], s)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    noise_hits = world.hits["/monday/noise"]

    # week one: a check a day, ending yesterday
    for day in days(now - dt.timedelta(days=7), 7):
        api.run(store, s, everything=True, now=day)
    assert world.hits["/monday/noise"] == noise_hits  # the [[ignore]] of the config
    first = build_report(store, RULE, now=now)
    # the trend counts links: 5 checked links (the counter is ignored), not 35 checks
    assert sum(first.trend[-1][1].values()) == 5, first.trend
    todo = {a.url: a for a in first.actions}
    gone, old, bots = (world.url(p) for p in ("/gone", "/monday/old", "/monday/bots"))
    assert todo[gone].action == "use the snapshot"
    assert todo[gone].suggestion == f"{pywb.base}/20100601100000/{gone}"
    assert todo[gone].command == f"monitor accept {gone}"
    assert todo[old].action == "update the link"
    assert todo[old].command == f"monitor accept {old} --replace {world.url('/monday/new-home')}"
    assert todo[world.url("/monday/kept")].action == "refresh the access date"
    assert world.url("/monday/noise") not in {i.url for _, rows in first.pages() for i in rows}
    assert first.statuses["ignored"] == 1 and first.totals["ignored"] == 1

    # Monday: the maintainer decides, once
    api.accept(store, gone, None, None, "the 2010 copy is the article", "maintainer")
    api.accept(store, old, None, world.url("/monday/new-home"), None, "maintainer")
    api.override(store, bots, "alive", "the site blocks bots; fine in a browser", None, "maintainer")
    _, mine, ignored = api.ignore(store, "*/monday/retired", "dropped from the page", "maintainer")
    assert (mine, ignored) == (1, 2)  # the retired page, and the config's counter too
    retired_hits = world.hits["/monday/retired"]

    # week two: the bot-blocking site lets us in (the machine agrees), then the page goes
    for k, day in enumerate(days(now + dt.timedelta(hours=1), 7)):
        w["/monday/bots"] = (
            (200, "<title>A site that blocks robots</title>", {}) if k < 3 else (404, "", {})
        )
        api.run(store, s, everything=True, now=day)
    assert world.hits["/monday/retired"] == retired_hits  # ignored: never fetched again
    second = build_report(store, RULE, since=now, now=now + dt.timedelta(days=7, hours=2))
    acts = {a.url: a for a in second.actions}
    assert gone not in acts and old not in acts  # accepted: no longer asked
    assert acts[bots].action == "look again"  # the machine agreed, and disagrees again
    assert "agreed (alive) after your decision and now says dead" in acts[bots].suggestion
    assert acts[bots].command.startswith("monitor decisions --undo ")
    listed = {i.url: i for _, rows in second.pages() for i in rows}
    assert world.url("/monday/retired") not in listed
    assert listed[bots].override is not None and listed[bots].verdict == "dead"
    assert [v for _, v, _ in listed[bots].history][-5:] == ["alive", *["dead"] * 4]
    assert sum(second.trend[-1][1].values()) == 4  # the retired page left the chart too
    md = render(second, "md")
    assert "you said **alive** (the site blocks bots; fine in a browser; maintainer" in md
    assert md.index("## To do") < md.index("## Dead links") and "Verdict: what the last" in md
    assert f"Changes since the previous report, {now:%Y-%m-%d}." in md
    same_day = build_report(store, RULE, since=now, now=now + dt.timedelta(minutes=5))
    if same_day.generated_at.date() == now.date():
        assert f"report, {now:%Y-%m-%d %H:%M} UTC." in render(same_day, "md")
    assert "- ignore `*/monday/noise*` (configuration file): a counter" in md
    assert f"you accepted the new address <{world.url('/monday/new-home')}> (maintainer" in md
    data = json.loads(render(second, "json"))
    assert {d["kind"] for d in data["decisions"]} == {"accept", "override", "ignore"}
    assert {"url", "page", "action", "suggestion", "command"} <= set(data["actions"][0])
    html = render(second, "html")
    assert html.count('<section class="page"') == 1 and 'id="f-host"' in html
    assert 'class="strip"' in html and "you: alive" in html and "aria-sort" in html
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "monday-report.html").write_text(html, "utf-8")

    # patch writes what was accepted, and the fresh access date
    out = tmp_path / "patched.html"
    api.patch_page(store, str(page), Policy(), out=str(out))
    patched = out.read_text("utf-8")
    assert f'href="{world.url("/monday/new-home")}"' in patched and f'href="{old}"' not in patched
    assert f"{pywb.base}/20100601100000/{gone}" in patched
    assert re.search(r"\[accessed 16 February 2011\]\s*\[accessed \d+ \w+ 20\d\d\]", patched)

    # the decisions travel with an export
    buf = io.StringIO()
    api.export_to(store, "-", buf)
    (tmp_path / "all.jsonl").write_text(buf.getvalue(), "utf-8")
    (tmp_path / "other").mkdir()
    other = api.open_database(settings_for(tmp_path / "other", pywb))
    api.import_from(other, str(tmp_path / "all.jsonl"), io.StringIO())
    assert [d.as_json() for d in other.decisions.all()] == [
        d.as_json() for d in store.decisions.all()
    ]


def test_an_outage_is_one_banner_not_a_reason_per_link(world: World, tmp_path: Path) -> None:
    w = world.pages
    w["/monday/outage-a"] = (200, "<title>An article</title>", {})
    page = tmp_path / "p.md"
    page.write_text(f"- [An article]({world.url('/monday/outage-a')})\n", "utf-8")
    s = Settings(
        check={**make_settings().check.model_dump(), "canary_url": "http://127.0.0.1:9/"},
        database={"url": f"sqlite:///{tmp_path / 'm.sqlite'}"},
        archive={"endpoints": []},
    )
    store = api.open_database(s)
    api.ingest(store, [str(page)], s)
    summary = api.run(store, s)
    assert summary.outage and "canary" in summary.outage
    report = build_report(store)
    assert report.latest_outage and len(report.outages) == 1
    md = render(report, "md")
    assert "> **Network outage.** The latest run found the monitor's own network down" in md
    assert 'role="alert"' in render(report, "html")


def test_when_a_human_verdict_needs_a_second_look() -> None:
    assert override_note("alive", "blocked", ["blocked", "blocked"]) is None  # as decided
    assert override_note("alive", "blocked", ["blocked", "alive"]) is None  # agrees now
    assert override_note("alive", "blocked", []) is None  # not checked since
    assert "now says dead; when you decided, it said blocked" in (
        override_note("alive", "blocked", ["blocked", "dead"]) or ""
    )
    assert "agreed (alive) after your decision and now says blocked again" in (
        override_note("alive", "blocked", ["alive", "blocked"]) or ""
    )
    assert "it had not checked it" in (override_note("alive", None, ["dead"]) or "")
