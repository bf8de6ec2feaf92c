"""Verdicts that hold on real-looking sites (issue 15), on the labelled world of
tests/labelled_world.py: 312 URLs on 12 sites whose names are on every page, branded 404s,
200 "nothing here" pages, a catch-all portal, refresh and script redirects, long chains,
data files, NUL bytes, a gzip bomb and quoted passages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import api
from monitor.checking.hosts import check_hosts
from monitor.core.results import CheckResult, Context
from monitor.report.build import build_report
from monitor.report.formats import render
from monitor.store import Store
from tests import labelled_world as lw
from tests.conftest import make_settings
from tests.world import ARTICLE, World


@pytest.fixture(scope="module")
def checked() -> Iterator[tuple[list, dict[str, CheckResult]]]:
    import asyncio

    sites = lw.serve()
    try:
        rows = lw.labelled(sites)
        cfg = make_settings(per_host_rate=0, per_host_concurrency=8, timeout=15.0)
        ctx = Context(
            titles={u: t for u, _, t, _ in rows}, passages={u: [p] for u, _, _, p in rows if p}
        )
        results = asyncio.run(check_hosts([u for u, *_ in rows], cfg.check, context=ctx))
    finally:
        lw.stop(sites)
    yield rows, {r.url: r for r in results}


def test_the_labelled_world_is_judged_as_a_careful_reader_would(checked) -> None:
    rows, results = checked
    assert len(rows) >= 300
    s = lw.score(rows, {u: r.verdict.value for u, r in results.items()})
    wrong = [(u, e, results[u].verdict.value, results[u].reason) for u, e, _, _ in rows
             if results[u].verdict.value != e]  # fmt: skip
    assert s["accuracy"] >= 0.98, wrong[:5]
    assert s["recall"]["soft404"] >= 0.95 and s["recall"]["drifted"] >= 0.9, wrong[:5]
    assert s["false_failure_rate"] <= 1 / 200, wrong[:5]


def _of(rows: list, results: dict[str, CheckResult], kind: str) -> list[CheckResult]:
    return [results[u] for u, *_ in rows if f"/{kind}/" in u and "127.0.3.9" not in u]


def test_every_verdict_says_why(checked) -> None:
    """The evidence behind a verdict is in its JSON: title score and where it matched, the
    made-up sibling's likeness, where a refresh led, what kind of content it was."""
    rows, results = checked
    for r in _of(rows, results, "ok"):
        assert r.evidence["title_where"] in ("title", "og:title", "heading")
        assert r.evidence["title_score"] >= 95 and "sibling_similarity" not in r.evidence
    refreshed = _of(rows, results, "refresh-ok")[0]
    assert refreshed.evidence["refresh_target"].endswith("/final/" + refreshed.url.split("/")[-1])
    assert refreshed.as_json()["evidence"]["refresh_target"] == refreshed.evidence["refresh_target"]
    csv = _of(rows, results, "csv")[0]
    assert csv.evidence["content_type"] == "text/csv" and "title_score" not in csv.evidence
    portal = next(results[u] for u, *_ in rows if "127.0.3.9" in u)  # the catch-all site
    assert portal.evidence["sibling_similarity"] >= 90
    chain = _of(rows, results, "chain15")[0]
    assert len(chain.redirect_chain) == 15
    assert "too many redirects" in _of(rows, results, "chain25")[0].reason


def test_a_quoted_passage_is_looked_for(checked) -> None:
    rows, results = checked
    assert all(r.passage_found is True for r in _of(rows, results, "passage-kept"))
    gone = _of(rows, results, "passage-gone")
    assert gone and all(r.passage_found is False and r.verdict.value == "alive" for r in gone)
    assert all(len(r.evidence["passages_missing"]) == 1 for r in gone)
    assert all(r.passage_found is None for r in _of(rows, results, "ok"))  # none quoted


def test_a_passage_deep_in_a_long_article_is_still_found(world: World) -> None:
    """A page's text is read to 20,000 characters for judging it, further when a passage
    is quoted from it: one 45,000 characters in is found, and one not there is missed."""
    import asyncio

    from monitor.checking.http import check_fetcher
    from monitor.checking.observe import observe
    from monitor.checking.pageread import HEAD, TEXT_KEPT

    filler = " ".join(f"paragraph {i} of a very long report on the region." for i in range(900))
    deep = "The deep passage names Lyuda and Sveta and the salary they were promised."
    body = f"<html><head><title>A Long Report</title></head><body><p>{filler}</p><p>{deep}</p>"
    world.pages["/long-report"] = (200, body + "</body></html>", {})
    url = world.url("/long-report")
    ctx = Context(titles={url: ["A Long Report"]}, passages={url: [deep]})
    cfg = make_settings(per_host_rate=0).check
    (found,) = asyncio.run(check_hosts([url], cfg, context=ctx))
    assert len(filler) > 45_000 and found.passage_found is True, found.evidence
    ctx.passages[url] = ["A sentence the report never carried, about something else."]
    (missed,) = asyncio.run(check_hosts([url], cfg, context=ctx))
    assert missed.passage_found is False and missed.verdict.value == "alive"

    async def read() -> tuple[str, str]:
        async with check_fetcher(cfg) as client:
            obs = await observe(client, url, cfg)
            assert obs.own_text is not None
            return obs.text, obs.own_text()

    head, own = asyncio.run(read())  # no passage wanted: the own text stops at TEXT_KEPT
    assert 0.9 * TEXT_KEPT < len(own) <= TEXT_KEPT and deep not in own
    # what every check reads is squashed at once, the rest only if a title is looked for
    assert HEAD < len(head) < 0.7 * TEXT_KEPT and own.startswith(head)


def test_an_error_page_is_read_by_its_top_and_not_fingerprinted(world: World) -> None:
    """A 404's long body is not read as an article (2,000 characters of text, no
    fingerprint: only a good page's is ever compared); a 403 bot wall is still told by the
    words at its top; a good page keeps its fingerprint."""
    import asyncio

    from monitor.checking.http import check_fetcher
    from monitor.checking.observe import ERROR_PAGE_TEXT, observe

    long_text = " ".join(f"sentence {i} of the site's long not-found page." for i in range(3000))
    world.pages["/gone-long"] = (404, f"<html><body><p>{long_text}</p></body></html>", {})
    world.pages["/wall-long"] = (
        403,
        "<html><head><title>Just a moment...</title></head><body><p>Checking your browser "
        f"before accessing the site.</p><p>{long_text}</p></body></html>",
        {},
    )
    urls = [world.url(p) for p in ("/gone-long", "/wall-long", "/article/kazak-women")]
    cfg = make_settings(per_host_rate=0).check
    gone, wall, good = asyncio.run(check_hosts(urls, cfg))
    assert gone.verdict.value == "dead" and gone.fingerprint is None
    assert wall.verdict.value == "blocked" and "bot wall" in wall.reason
    assert good.verdict.value == "alive" and good.fingerprint is not None

    async def read() -> str:
        async with check_fetcher(cfg) as client:
            return (await observe(client, urls[0], cfg)).text

    assert 1000 < len(asyncio.run(read())) <= ERROR_PAGE_TEXT < len(long_text)


def test_a_source_without_its_quoted_passage_keeps_its_old_access_date(
    store: Store, world: World, tmp_path: Path
) -> None:
    """On a page like the seed, each citation quotes a passage. The one whose source still
    carries it gets a new verified access date; the one whose passage was taken off keeps
    its old date, and the report lists it."""
    quote = (
        "When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary of "
        "400-450 US dollars per month was beyond their wildest dreams."
    )
    world.pages["/kept"] = (200, ARTICLE, {})
    world.pages["/cut"] = (200, ARTICLE.replace("When teenagers", "Teenagers").split("<p>")[0], {})
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body>"
        + "".join(
            f'<p><a href="{world.url(p)}">Kazak Women Sold as Sex Slaves</a><br>'
            f"Institute for War &amp; Peace Reporting, 17 Nov 05<br>[accessed 16 February 2011]</p>"
            f"<p>{quote}</p>"
            for p in ("/kept", "/cut")
        )
        + "</body></html>",
        "utf-8",
    )
    settings = make_settings()
    api.ingest(store, [str(page)], settings)
    api.run(store, settings)
    rows = {u.url: c for c, u, _ in store.pages.citation_rows()}
    kept, cut = rows[world.url("/kept")], rows[world.url("/cut")]
    today = dt.datetime.now(dt.UTC).date()
    verified = store.pages.verified_dates()
    assert verified.get(kept.id) == today and cut.id not in verified
    assert cut.passage_gone_since == today and kept.passage_gone_since is None
    md = render(build_report(store), "md")
    section = md.split("## The quoted passage is gone (1)")[1].split("##")[0]
    assert world.url("/cut") in section and world.url("/kept") not in section
    # the passage is back: the date is renewed and the citation leaves the list
    world.pages["/cut"] = (200, ARTICLE, {})
    api.run(store, settings, everything=True)
    again = {u.url: c for c, u, _ in store.pages.citation_rows()}[world.url("/cut")]
    assert again.passage_gone_since is None and store.pages.verified_dates()[cut.id] == today
