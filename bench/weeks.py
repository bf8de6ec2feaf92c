"""Four weeks of the documented routine on a page of 300 citations (issue 30), as a new
maintainer lives it, with a fake clock moving a week at a time:

    monitor run (Monday, Wednesday, Friday) -> report -> patch -> publish -> ingest

    .venv/bin/python bench/weeks.py [--citations 300] [--weeks 4]

The world (tests/world.py, loopback) and a real Wayback-compatible archive (pywb,
tests/archive_world.py) are the tests'; links die, move, fail one day a week, turn into
soft-404s and come back. Prints, week by week: citations after re-ingest, archive notes
(in all, most on one citation), citations with more than one stamp of the monitor's, most
stamps on one citation, To do rows and the lines the report shows for them, and how many
To do table rows stand above the trend chart in the HTML report (its first screen).
Runs against whichever `monitor` is importable (PYTHONPATH), so an older commit's code
can be measured with this same script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from monitor import api
from monitor.config import Settings
from monitor.core.due import Confirmation
from monitor.pages.patch import Policy
from monitor.report.build import build_report
from monitor.report.formats import render
from tests.archive_world import Pywb
from tests.world import World

NOTE = "An archived copy of this article"
STAMP = re.compile(r"\[accessed [^\]]+\]")


def kind_of(i: int, n: int) -> str:
    share = i / n
    for upto, kind in (
        (0.66, "alive"), (0.76, "dies"), (0.83, "moves"), (0.86, "flaky"),
        (0.93, "soft"), (0.96, "blocked"), (1.0, "comeback"),
    ):  # fmt: skip
        if share < upto:
            return kind
    return "alive"


def title(i: int) -> str:
    return f"Report number {i} on labour migration and trafficking in Central Asia"


def article(i: int) -> str:
    return (
        f"<html><head><title>{title(i)} | Example News</title></head><body><h1>{title(i)}"
        f"</h1><p>Article {i} tells of workers who crossed the border in spring.</p></body></html>"
    )


def serve(world: World, n: int, week: int, day: int) -> None:
    for i in range(n):
        k, answer = kind_of(i, n), (200, article(i), {})
        if k == "dies" and week >= 1:
            answer = (404, "<title>404 Not Found</title>", {})
        elif k == "moves" and week >= 1:
            answer = (301, "", {"Location": f"/bench-weeks/new/{i}"})
            world.pages[f"/bench-weeks/new/{i}"] = (200, article(i), {})
        elif (k == "flaky" and week >= 1 and day == 2) or (k == "comeback" and week in (1, 2)):
            answer = (404, "<title>404 Not Found</title>", {})
        elif k == "soft" and week >= 2:
            answer = (200, "<title>Page not found</title><h1>Page not found</h1>", {})
        elif k == "blocked":
            answer = (403, "<title>Access denied</title>", {})
        world.pages[f"/bench-weeks/{i}"] = answer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--citations", type=int, default=300)
    ap.add_argument("--weeks", type=int, default=4)
    a = ap.parse_args()
    n = a.citations
    world = World()
    world.start("127.0.0.1")
    tmp = Path(tempfile.mkdtemp(prefix="bench-weeks-"))
    captures = [
        ("2015-03-01T10:00:00Z", world.url(f"/bench-weeks/{i}"), "200 OK", article(i), [])
        for i in range(n)
        if kind_of(i, n) in ("dies", "soft", "flaky", "comeback")
    ]
    pywb = Pywb(tmp / "pywb", captures)
    (tmp / "pywb").mkdir()
    pywb.start()
    try:
        s = Settings(
            check={"per_host_rate": 1000.0, "per_host_concurrency": 8, "read_timeout": 2.0,
                   "allow_networks": ["127.0.0.0/8"],
                   "contact": "mailto:bench@example.org", "retry_wait": 0.05},
            database={"url": f"sqlite:///{tmp / 'm.sqlite'}"},
            archive={"endpoints": [pywb.endpoint(rate_per_minute=60000)]},
        )  # fmt: skip
        page = tmp / "sources.html"
        serve(world, n, 0, 0)
        page.write_text(
            "<html><body><h1>Sources</h1>\n<ul>\n"
            + "".join(
                f'<li><a href="{world.url(f"/bench-weeks/{i}")}">{title(i)}</a><br>\n'
                "Example News, 17 Nov 05<br>\n[accessed 16 February 2011]</li>\n"
                for i in range(n)
            )
            + "</ul>\n</body></html>\n",
            "utf-8",
        )
        store = api.open_database(s)
        api.ingest(store, [str(page)], s)
        start = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
        print("week  citations  notes (most on one)  >1 monitor stamp (most stamps)  "
              "To do rows (lines)  To do rows above the trend")  # fmt: skip
        for week in range(a.weeks + 1):
            monday = start + dt.timedelta(weeks=week)
            for k in range(3):
                serve(world, n, week, k)
                api.run(store, s, everything=True, now=monday + dt.timedelta(days=2 * k))
            friday = monday + dt.timedelta(days=4, hours=1)
            report = build_report(store, Confirmation(3, 6.0), now=friday)
            lines = len(report.todo) if hasattr(report, "todo") else len(report.actions)
            html = render(report, "html")
            head = html[: html.find("Link health")]
            above = head.count("<tr") - head.count("<tr><th")
            out = tmp / f"week{week}.html"
            api.patch_page(store, str(page), Policy(today=friday.date()), str(out))
            shutil.copyfile(out, page)
            api.ingest(store, [str(page)], s)
            doc = store.pages.document_by_source(str(page.resolve()))
            cited = len(store.pages.citation_rows(doc.id)) if doc else 0
            items = re.findall(r"<li>.*?</li>", page.read_text("utf-8"), re.S)
            notes = [li.count(NOTE) for li in items]
            stamps = [len(STAMP.findall(li)) for li in items]
            print(f"{week:>4}  {cited:>9}  {sum(notes):>5} ({max(notes)})"
                  f"{sum(x > 2 for x in stamps):>22} ({max(stamps)})"
                  f"{len(report.actions):>24} ({lines}){above:>22}", flush=True)  # fmt: skip
    finally:
        pywb.stop()
        world.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
