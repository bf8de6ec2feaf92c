"""The report in four formats and the patched seed page, after a run against a local world."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from email import message_from_bytes
from pathlib import Path

import pytest

from monitor import api
from monitor.config import EmailSettings, Settings
from monitor.report.build import build_report
from monitor.report.email import send_email
from monitor.report.formats import render
from monitor.store import Store
from tests.conftest import make_settings
from tests.world import World

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"


def page(title: str, passage: str = "") -> str:
    body = f"<p>{'Text. ' * 40}</p><p>{passage}</p>"
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


@pytest.fixture
def seed_world(world: World, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """seeds/kazakhstan.html with every link pointed at the local world, which answers
    each the way the test decides: most alive (with their titles), some dead, one moved,
    one a parked domain."""
    html = (ROOT / "seeds" / "kazakhstan.html").read_text("utf-8")
    links = re.findall(r'href="(https?://[^"]+)"', html)
    plan = {}
    for n, link in enumerate(links):
        local = "/seed/" + re.sub(r"[^A-Za-z0-9]+", "-", link.split("://", 1)[1])[:80]
        html = html.replace(f'href="{link}"', f'href="{world.url(local)}"')
        if n % 5 == 1:
            world.pages[local] = (404, "<title>Not Found</title>", {})
            plan[local] = "dead"
        elif n == 3:
            world.pages[local] = (301, "", {"Location": local + "-new"})
            plan[local] = "moved"
        elif n == 4:
            world.pages[local] = (200, page("kazinform-news.kz - this domain is for sale"), {})
            plan[local] = "drifted"
        else:
            plan[local] = "alive"
        if plan[local] in ("alive", "moved"):
            # the live page carries the cited title (the text before the link's </a>)
            m = re.search(re.escape(world.url(local)) + r'"[^>]*>(?:<b>)?([^<]+)', html)
            title = m.group(1) if m else "Report"
            world.pages[local + ("-new" if plan[local] == "moved" else "")] = (200, page(title), {})
    # the live pages carry the passages the scholar quoted under each citation
    from monitor.pages.extract import extract

    for c in extract(html, name="kazakhstan.html").citations:
        local = (c.url or "").removeprefix(world.base)
        if local in world.pages and world.pages[local][0] == 200 and plan.get(local) == "alive":
            status, body, headers = world.pages[local]
            world.pages[local] = (
                status,
                body.replace("<p></p>", f"<p>{c.excerpt or ''}</p>"),
                headers,
            )
    out = tmp_path / "kazakhstan.html"
    out.write_text(html, "utf-8")
    return out, plan


def test_report_formats_and_patched_seed_page(
    store: Store, world: World, seed_world, tmp_path: Path
) -> None:
    page_file, plan = seed_world
    s = make_settings()
    settings = Settings(
        check=s.check,
        database={"url": "sqlite://"},
        archive={"endpoints": []},
        report={"dir": str(tmp_path / "reports")},
    )
    api.ingest(store, [str(page_file)], settings)
    summary = api.run(store, settings)
    expected = {
        "alive": list(plan.values()).count("alive"),
        "dead": list(plan.values()).count("dead"),
        "moved": 1,
        "drifted": 1,
    }
    assert dict(summary.counts) == expected
    report = build_report(store)
    # JSON
    data = json.loads(render(report, "json"))
    assert data["totals"] == expected and data["unlinked"] == 8
    assert len(data["sections"]["failing"]) == expected["dead"] + 1  # dead + drifted, 1 of 3
    assert data["sections"]["moved"][0]["final_url"].endswith("-new")
    assert {i["status"] for i in data["sections"]["failing"]} == {"failing (1 of 3)"}
    assert data["trend"][-1]["counts"]["alive"] == expected["alive"]
    # the one JSON time style (monitor/core/times.py), as in `monitor check --format json`
    assert data["generated_at"].endswith("Z") and "+00:00" not in json.dumps(data)
    assert all(i["checked_at"].endswith("Z") for i in data["sections"]["failing"])
    # CSV: the same items, a row each
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert sum(r["section"] == "failing" for r in rows) == len(data["sections"]["failing"])
    assert {"section", "url", "verdict", "status", "archive_url"} <= set(rows[0])
    # Markdown
    md = render(report, "md")
    assert f"## Failing, not yet confirmed ({expected['dead'] + 1})" in md and "## Moved (1)" in md
    # each item says where on the page it is: the line its link is written on
    lines = page_file.read_text("utf-8").splitlines()
    for item in data["sections"]["failing"]:
        assert item["line"] and item["url"] in lines[item["line"] - 1]
        assert f"({item['document']}, line {item['line']})" in md
    assert all(r["line"] for r in rows if r["section"] == "failing")
    # HTML: self-contained, with the chart
    html = render(report, "html")
    assert "<svg" in html and 'class="trend"' in html and 'class="bar"' in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)  # no external requests
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.html").write_text(html, "utf-8")
    # the patched page: fresh stamps for alive citations, the rest of the page unchanged
    from monitor.pages.patch import Policy
    from monitor.pages.patch import plan as patch_plan

    doc = store.pages.document_by_source(str(page_file.resolve()))
    crows = [(c, u) for c, u, _ in store.pages.citation_rows(doc.id)]
    patch = patch_plan(
        page_file.resolve(),
        doc.format,
        crows,
        store.pages.verified_dates(),
        store.archives.fallbacks([u.url for _, u in crows if u]),
        store.archives.page_archive_links(doc.id),
        Policy(),
    )
    stamped_alive = sum(1 for c, u in crows if u and u.last_verdict == "alive" and c.stamps)
    assert len(patch.edits) == stamped_alive
    patched = patch.apply()
    assert len(patched) == len(page_file.read_text()) + sum(len(e.text) for e in patch.edits)
    (ARTIFACTS / "kazakhstan.patched.html").write_text(patched, "utf-8")


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.geteuid() == 0 and shutil.which("apt-get"):  # the tests' own set-up installs it
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            env=env,
            capture_output=True,
            timeout=900,
        )
        exe = shutil.which("chromium")
    if not exe:
        pytest.skip("chromium not installed and cannot be installed here (not root / no apt)")
    return exe


def test_html_report_renders_in_headless_chromium(
    store: Store, world: World, seed_world, tmp_path: Path
) -> None:
    page_file, _ = seed_world
    settings = make_settings()
    api.ingest(store, [str(page_file)], settings)
    api.run(store, settings)
    html_file = tmp_path / "report.html"
    html_file.write_text(render(build_report(store), "html"), "utf-8")
    exe = _chromium()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    r = subprocess.run(
        [exe, *flags, "--window-size=1200,1600", f"--screenshot={shot}", html_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 20_000, r.stderr[-2000:]
    dom = subprocess.run(
        [exe, *flags, "--dump-dom", html_file.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert re.search(r'<svg class="trend".*?<rect', dom.stdout, re.S)  # the chart rendered
    # the script ran: the filter bar counts the rows it shows
    assert re.search(r'id="f-count">\d+ of \d+ links shown<', dom.stdout), dom.stdout[-3000:]
    assert 'class="bar"' in dom.stdout
    console = [ln for ln in (r.stderr + dom.stderr).splitlines() if "CONSOLE" in ln]
    assert not [ln for ln in console if "Uncaught" in ln or "Error" in ln], console
    # narrow screen (a phone): it still renders
    phone = ARTIFACTS / "report-phone.png"
    subprocess.run(
        [exe, *flags, "--window-size=390,1400", f"--screenshot={phone}", html_file.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert phone.exists() and phone.stat().st_size > 10_000


def test_report_by_email_to_a_local_smtp_server(store: Store, world: World, seed_world) -> None:
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self) -> None:
            self.messages: list[bytes] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope.content)
            return "250 OK"

    page_file, _ = seed_world
    settings = make_settings()
    api.ingest(store, [str(page_file)], settings)
    api.run(store, settings)
    from tests.archive_world import free_port

    keep = Keep()
    port = free_port()
    ctl = Controller(keep, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        cfg = EmailSettings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            starttls=False,
            from_addr="monitor@example.org",
            to=["maintainer@example.org"],
        )
        send_email(build_report(store), cfg)
    finally:
        ctl.stop()
    (raw,) = keep.messages
    msg = message_from_bytes(raw)
    assert msg["To"] == "maintainer@example.org" and msg["Subject"].startswith("Link report")
    parts = {p.get_content_type(): p for p in msg.walk()}
    assert "text/plain" in parts and "text/html" in parts
    assert "# Link report" in parts["text/plain"].get_payload(decode=True).decode()
    assert "<svg" in parts["text/html"].get_payload(decode=True).decode()
