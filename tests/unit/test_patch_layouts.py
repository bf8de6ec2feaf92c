"""Patching pages whose layout the first patcher never met: the stamp before the link, a
list of citations sharing one access date, a Markdown link. Pure: plan() on stored rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from monitor.core.stamps import find_stamps
from monitor.pages.patch import Policy, plan
from monitor.store.models import ArchiveLink, Citation, Url

TODAY = dt.date(2026, 12, 2)
OLD = "[accessed 30 August 2018]"
NEW = "[accessed 2 December 2026]"


def rows(page: str, urls: list[tuple[str, str]]) -> list[tuple[Citation, Url]]:
    out = []
    for n, (url, verdict) in enumerate(urls, start=1):
        stamps = [s.as_dict() for s in find_stamps(OLD)]
        out.append(
            (
                Citation(id=n, document_id=1, key=url, position=n, raw_url=url, stamps=stamps),
                Url(url=url, host="x", last_verdict=verdict, status=verdict),
            )
        )
    return out


def fallback(url: str) -> ArchiveLink:
    return ArchiveLink(
        url_id=1,
        archive_url=f"https://web.archive.org/web/2019/{url}",
        captured_at=dt.datetime(2019, 1, 5, tzinfo=dt.UTC),
        verified=True,
    )


def test_stamp_before_the_link_in_a_list_sharing_one_date(tmp_path: Path) -> None:
    a, b, c = "https://a.example/report", "https://b.example/study", "https://c.example/gone"
    html = (
        "<ul>\n"
        f'<li>Alpha report. Agency A. {OLD}. <a href="{a}">{a}</a></li>\n'
        f'<li>Beta study. Agency B. {OLD}. <a href="{b}">{b}</a></li>\n'
        f'<li>Gamma page. Agency C. {OLD}. <a href="{c}">{c}</a></li>\n'
        "</ul>\n"
    )
    page = tmp_path / "list.html"
    page.write_text(html)
    got = plan(
        page,
        "html",
        rows(html, [(a, "alive"), (b, "alive"), (c, "dead")]),
        {1: TODAY, 2: TODAY, 3: TODAY},
        {c: fallback(c)},
        {},
        Policy(today=TODAY),
    ).apply()
    items = LexborHTMLParser(got).css("li")
    assert len(items) == 3  # still three items: nothing landed between them or in a tag
    for li in items[:2]:  # each alive citation: its own new stamp, right after its old one
        assert f"{OLD}  {NEW}" in li.text()
    gamma = items[2]
    assert NEW not in gamma.text()  # dead: no access stamp
    assert [x.attributes["href"] for x in gamma.css("a")] == [c, fallback(c).archive_url]
    assert gamma.html.index("</a>") < gamma.html.index("An archived copy")  # after the link
    # every original byte is still there, in order: only insertions
    it = iter(got)
    assert all(ch in it for ch in html)


def test_markdown_note_goes_after_the_line_not_into_the_link(tmp_path: Path) -> None:
    c = "https://c.example/gone"
    md = f"- [Gamma page]({c}), Agency C\n- next line\n"
    page = tmp_path / "list.md"
    page.write_text(md)
    citation = Citation(id=1, document_id=1, key=c, position=1, raw_url=c, stamps=[])
    got = plan(
        page,
        "markdown",
        [(citation, Url(url=c, host="c.example", last_verdict="dead", status="dead"))],
        {},
        {c: fallback(c)},
        {},
        Policy(today=TODAY),
    ).apply()
    first = got.splitlines()[0]
    assert first.startswith(f"- [Gamma page]({c}), Agency C")  # the link is intact
    assert "[here](https://web.archive.org/web/2019/https://c.example/gone)" in got
    assert got.endswith("- next line\n")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_page_stays_utf16(tmp_path: Path, codec: str) -> None:
    a = "https://a.example/report"
    html = f'<ul>\r\n<li>Отчёт. {OLD}. <a href="{a}">{a}</a></li>\r\n</ul>\r\n'
    page = tmp_path / "u16.html"
    page.write_bytes(("\ufeff" + html).encode(codec))  # with its byte-order mark
    patch = plan(page, "html", rows(html, [(a, "alive")]), {1: TODAY}, {}, {}, Policy(today=TODAY))
    out = patch.encode()
    assert out[:2] == page.read_bytes()[:2]  # the same mark, the same byte order
    assert out == ("\ufeff" + html.replace(OLD, f"{OLD}  {NEW}")).encode(codec)
