"""Week after week (issue 30): the documented routine, repeated as a maintainer lives it,
with a fake clock moving one week at a time, on a test world where links die, move and
come back, against a real Wayback-compatible archive (pywb):

    monitor run (three times a week) -> monitor report -> monitor patch PAGE
    -> publish the patched page in place of the page -> monitor ingest PAGE

What must hold every week: the page keeps its number of citations (the monitor's own notes
and stamps are not citations), each citation carries at most one archive note and at most
one stamp of the monitor's, no note before the confirmation rule says a link is dead, every
href is the one the maintainer wrote (or the one they accepted). And a routine with nothing
new leaves the page byte-identical.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import api
from monitor.config import Settings
from monitor.core.due import Confirmation
from monitor.pages.patch import Policy
from monitor.report.build import PRIORITY, build_report
from monitor.report.formats import render
from tests.archive_world import Pywb
from tests.conftest import make_settings
from tests.world import World

N = 40
ALIVE = range(0, 24)
DIE_W1 = range(24, 29)  # 404 from week 1 on (captured in 2015)
MOVE_W1 = range(29, 32)  # 301 to a new address from week 1
FLAKY = range(32, 33)  # 404 on one day a week: never dead long enough to confirm
COMEBACK = range(33, 34)  # 404 in weeks 1 and 2 (confirmed), back in week 3
SOFT_W2 = range(34, 37)  # 200 "Page not found" from week 2 (captured in 2015)
BLOCKED = range(37, 40)  # 403 always
RULE = Confirmation(checks=3, days=6)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
STAMP = re.compile(r"\[accessed [^\]]+\]")
NOTE = "An archived copy of this article"


def title(i: int) -> str:
    return f"Weekly report number {i} on labour migration in Central Asia"


def article(i: int) -> str:
    return (
        f"<html><head><title>{title(i)} | Example News</title></head><body><h1>{title(i)}"
        f"</h1><p>Article {i} tells of workers who crossed the border in spring.</p></body></html>"
    )


@pytest.fixture(scope="module")
def archive(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    captures = [
        ("2015-03-01T10:00:00Z", world.url(f"/weeks/{i}"), "200 OK", article(i), [])
        for i in [*DIE_W1, *SOFT_W2, *FLAKY, *COMEBACK]
    ]
    pywb = Pywb(tmp_path_factory.mktemp("weeks-pywb"), captures)
    pywb.start()
    yield pywb
    pywb.stop()


def serve_week(world: World, week: int, day: int = 0) -> None:
    """What the world answers on `day` (0, 1, 2) of `week` (0: every link as cited)."""
    for i in range(N):
        path = f"/weeks/{i}"
        answer: tuple[int, str, dict[str, str]] = (200, article(i), {})
        if i in DIE_W1 and week >= 1:
            answer = (404, "<title>404 Not Found</title>", {})
        elif i in MOVE_W1 and week >= 1:
            answer = (301, "", {"Location": f"/weeks/new/{i}"})
            world.pages[f"/weeks/new/{i}"] = (200, article(i), {})
        elif (i in FLAKY and week >= 1 and day == 2) or (i in COMEBACK and week in (1, 2)):
            answer = (404, "<title>404 Not Found</title>", {})
        elif i in SOFT_W2 and week >= 2:
            answer = (200, "<title>Page not found</title><h1>Page not found</h1>", {})
        elif i in BLOCKED:
            answer = (403, "<title>Access denied</title>", {})
        world.pages[path] = answer


def page_text(world: World, fmt: str) -> str:
    if fmt == "markdown":
        lines = "".join(
            f"- [{title(i)}]({world.url(f'/weeks/{i}')}), Example News, 17 Nov 05 "
            "[accessed 16 February 2011]\n"
            for i in range(N)
        )
        return f"# Labour migration: sources\n\n{lines}\nLast edited by hand.\n"
    items = "".join(
        f'<li><a href="{world.url(f"/weeks/{i}")}">{title(i)}</a><br>\n'
        f"Example News, 17 Nov 05<br>\n[accessed 16 February 2011]</li>\n"
        for i in range(N)
    )
    return f"<html><body><h1>Labour migration: sources</h1>\n<ul>\n{items}</ul>\n</body></html>\n"


def items(page: str, fmt: str) -> list[str]:
    if fmt == "markdown":
        return re.findall(r"^- .*?(?=^- |^\n)", page, re.S | re.M)
    return re.findall(r"<li>.*?</li>", page, re.S)


def hrefs_of(page: str, fmt: str) -> list[str]:
    if fmt == "markdown":
        return re.findall(r"^- \[Weekly[^\]]*\]\(([^)]+)\)", page, re.M)
    return re.findall(r'<a href="([^"]+)">Weekly', page)


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_four_weeks_of_the_routine_then_a_quiet_one(
    world: World, archive: Pywb, tmp_path: Path, fmt: str
) -> None:
    s = Settings(
        check={**make_settings().check.model_dump(), "sibling_probe": False},
        database={"url": f"sqlite:///{tmp_path / 'm.sqlite'}"},
        archive={"endpoints": [archive.endpoint(rate_per_minute=6000)]},
    )
    page = tmp_path / ("sources.md" if fmt == "markdown" else "sources.html")
    serve_week(world, 0)
    page.write_text(page_text(world, fmt), "utf-8")
    hrefs = hrefs_of(page.read_text("utf-8"), fmt)
    assert len(hrefs) == N
    store = api.open_database(s)
    api.ingest(store, [str(page)], s)
    start = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
    previous = ""
    for week in range(6):  # weeks 0-4, then week 4's routine once more, nothing new
        monday = start + dt.timedelta(weeks=min(week, 4))
        for k in range(3):  # Monday, Wednesday, Friday (the rerun: Friday, two hours on)
            serve_week(world, min(week, 4), k)
            again = dt.timedelta(hours=2) if week == 5 else dt.timedelta(0)
            if week < 5 or k == 2:
                api.run(store, s, everything=True, now=monday + dt.timedelta(days=2 * k) + again)
        report = build_report(store, RULE, now=monday + dt.timedelta(days=4, hours=1))
        out = tmp_path / f"week{week}{page.suffix}"
        api.patch_page(
            store, str(page), Policy(today=(monday + dt.timedelta(days=4)).date()), str(out)
        )
        shutil.copyfile(out, page)  # published
        api.ingest(store, [str(page)], s)
        text = page.read_text("utf-8")
        doc = store.pages.document_by_source(str(page.resolve()))
        assert doc is not None
        cited = store.pages.citation_rows(doc.id)
        assert len(cited) == N, f"week {week}: {len(cited)} citations after re-ingest"
        lis = items(text, fmt)
        assert len(lis) == N
        for i, li in enumerate(lis):
            assert li.count(NOTE) <= 1, (week, i, li)
            assert len(STAMP.findall(li)) <= 2, (week, i, li)  # the page's own, and one more
            assert "[accessed 16 February 2011]" in li
            if i in ALIVE:
                assert NOTE not in li, (week, i, li)
                assert len(STAMP.findall(li)) == 2, (week, i, li)
            if i in FLAKY:
                assert NOTE not in li, (week, i, li)  # never dead long enough to confirm
        assert hrefs_of(text, fmt) == hrefs
        # the default rule: three failing checks in a row over six days make a link dead
        for i in DIE_W1:  # failing all week 1 (four days): not yet; dead in week 2
            assert (NOTE in lis[i]) == (week >= 2), (week, i, lis[i])
        for i in SOFT_W2:
            assert (NOTE in lis[i]) == (week >= 3), (week, i, lis[i])
        for i in COMEBACK:  # noted while dead, the note taken back when it works again
            assert (NOTE in lis[i]) == (week == 2), (week, i, lis[i])
        if week == 5:
            assert text == previous, "the routine with nothing new changed the page"
        previous = text
        # the To do fits a Monday: one line a kind of action, gone sources first, the
        # routine one line with one command; never a bare "override alive" first
        groups = report.todo
        assert len(groups) <= 5 and [g.action for g in groups] == sorted(
            (g.action for g in groups), key=list(PRIORITY).index
        )
        for g in groups:
            if g.action == "refresh the access date":
                assert g.command == f"monitor patch {page.resolve()}" and len(g.items) >= 20
            for a in g.items:
                assert not a.command.startswith("monitor override")
        md = render(report, "md")
        routine = [g for g in groups if g.command]
        assert md.count("refresh the access date") == 0
        assert ("access dates on" in md) == bool(routine) and (week < 5 or not routine)
        if week == 4:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"weeks-report-{fmt}.html").write_text(render(report, "html"), "utf-8")
