"""What `accept` decided, as `patch` writes it (issue 30): a new address replaces the
visible URL too when the link's text is the URL; an accepted snapshot's note carries its
capture date, whatever archive serves it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.pages.extract import extract
from monitor.pages.patch import Policy, plan
from monitor.store.models import Citation, Url

OLD, NEW = "http://old.example/report", "https://new.example/reports/2011"
SNAP = "http://127.0.0.1:8080/kz/20100601100000/http://old.example/report"


def patched(tmp_path: Path, name: str, body: str, decision: tuple[str | None, str | None]) -> str:
    page = tmp_path / name
    page.write_text(body, "utf-8")
    fmt = "markdown" if name.endswith(".md") else "html"
    found = extract(body, fmt).citations
    rows = [
        (
            Citation(
                id=k + 1,
                document_id=1,
                key=c.url or "",
                position=k,
                title=c.title,
                raw_url=c.raw_url,
                stamps=[s.as_dict() for s in c.stamps],
            ),
            Url(id=k + 1, url=c.url or "", host="old.example", last_verdict="dead", status="dead"),
        )
        for k, c in enumerate(found)
    ]
    today = dt.date(2026, 12, 7)
    return plan(page, fmt, rows, {}, {}, {}, Policy(today=today), {OLD: decision}).apply()


def test_a_new_address_replaces_the_url_written_out_as_the_links_text(tmp_path: Path) -> None:
    html = f'<ul><li><a href="{OLD}">{OLD}</a> Report on migration, 2011</li></ul>'
    out = patched(tmp_path, "p.html", html, (None, NEW))
    assert out == f'<ul><li><a href="{NEW}">{NEW}</a> Report on migration, 2011</li></ul>'
    titled = f'<ul><li><a href="{OLD}">Report on migration</a>, 2011</li></ul>'
    assert patched(tmp_path, "t.html", titled, (None, NEW)) == titled.replace(OLD, NEW)
    md = f"- [{OLD}]({OLD}) Report on migration, 2011\n"
    assert (
        patched(tmp_path, "p.md", md, (None, NEW))
        == f"- [{NEW}]({NEW}) Report on migration, 2011\n"
    )


def test_an_accepted_snapshot_note_carries_its_capture_date(tmp_path: Path) -> None:
    html = f'<ul><li><a href="{OLD}">Report on migration</a>, 2011</li></ul>'
    out = patched(tmp_path, "s.html", html, (SNAP, None))
    assert "(captured 1 June 2010)" in out and SNAP in out


def test_a_utf8_page_with_a_few_invalid_bytes_keeps_every_byte(tmp_path: Path) -> None:
    """Issue 31: such a page was read as cp866 and written as UTF-8: every non-ASCII byte
    changed, inside hrefs too. Now only the inserted note is new."""
    body = (
        '<ul><li><a href="http://old.example/report?q=caf\u00e9">Caf\u00e9 r\u00e9sum\u00e9 '
        "report</a> \u2014 2011 [accessed 16 February 2011]</li></ul>"
    ).encode() + b"\n<!-- broken: \xff\xfe\x80 -->\n"
    page = tmp_path / "broken.html"
    page.write_bytes(body)
    found = extract(body.decode("utf-8", "replace"), "html").citations
    rows = [
        (
            Citation(
                id=1,
                document_id=1,
                key="k",
                position=0,
                title=found[0].title,
                raw_url=found[0].raw_url,
                stamps=[s.as_dict() for s in found[0].stamps],
            ),
            Url(
                id=1, url=found[0].url or "", host="old.example", last_verdict="dead", status="dead"
            ),
        )
    ]
    out = plan(page, "html", rows, {}, {}, {}, Policy(), {found[0].url or "": (SNAP, None)})
    new = out.encode()
    note = out.apply()[out.edits[0].start : out.edits[0].start + len(out.edits[0].text)]
    assert new.replace(note.encode(), b"", 1) == body and b"\xff\xfe\x80" in new
