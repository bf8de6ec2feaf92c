"""Patched pages: only the intended spans change, every other byte stays."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from monitor import api
from monitor.config import Settings
from monitor.pages.patch import Policy, plan
from monitor.store import Store
from tests.archive_world import KAZAK, KAZAK_URL
from tests.conftest import make_settings
from tests.world import World

TODAY = dt.datetime.now(dt.UTC).date()
NEW = f"[accessed {TODAY.day} {TODAY:%B} {TODAY.year}]"


def edited(text: str, *edits: tuple[int, int, str]) -> str:
    """`text` with (start, end, new) edits made by hand: what the patch must produce."""
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def after_(text: str, needle: str, start: int = 0) -> int:
    return text.index(needle, start) + len(needle)


def run_and_patch(store: Store, settings: Settings, page: Path, **policy):
    api.ingest(store, [str(page)], settings)
    api.run(store, settings)
    doc = store.pages.document_by_source(str(page.resolve()))
    rows = [(c, u) for c, u, _ in store.pages.citation_rows(doc.id)]
    urls = [u.url for _, u in rows if u]
    return plan(
        page.resolve(),
        doc.format,
        rows,
        store.pages.verified_dates(),
        store.archives.fallbacks(urls),
        store.archives.page_archive_links(doc.id),
        Policy(**policy),
    )


def test_html_page_gets_stamps_fallbacks_and_link_states(
    store: Store, world: World, pywb, tmp_path: Path
) -> None:
    # one failing check confirms a death here, so one run writes a note (the default rule
    # waits for three over six days: tests/test_weeks.py)
    s = make_settings(confirm_checks=1, confirm_days=0)
    settings = Settings(
        check=s.check,
        database={"url": "sqlite://"},
        archive={"endpoints": [pywb.endpoint(rate_per_minute=6000)]},
    )
    page = tmp_path / "kz.html"
    original = (
        "<html><head><title>Kazakhstan</title></head><body>\n"
        f'<p class="cite"><a href="{world.url("/article/alive")}" target="_blank"><b>{KAZAK}</b></a><br>\n'
        '<i>IWPR, 17 Nov 05</i><br>\n<font color="#808080" size="2">[accessed 16 February 2011]</font><br>\n'
        '<font color="#808080" size="2">[accessed 7 June 2017]</font></p>\n'
        "<p>When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary was high.</p>\n"
        f'<p class="cite"><a href="{world.url("/gone")}"><b>{KAZAK}</b></a><br>\n'
        "<i>IWPR mirror, 2005</i><br>\n"
        "At one time this article had been archived and may possibly still be accessible "
        f'<a href="{pywb.base}/20110110100000/{KAZAK_URL}">[here]</a><br>\n'
        '<font size="2">[accessed 16 February 2011]</font></p>\n'
        "<p>The same article, mirrored elsewhere, and cited here for comparison only.</p>\n"
        f'<p><a href="{world.url("/old")}"><b>{KAZAK}, moved</b></a><br>\nIWPR<br>\n[accessed 1 March 2012]</p>\n'
        "<p>Voice of Democracy</p>\n<p>Kazakhstan 21st Century Foundation, 2003</p>\n"
        "<p>[Last access date unavailable]</p>\n"
        "</body></html>\n"
    )
    page.write_text(original)
    patch = run_and_patch(store, settings, page, update_moved=True)
    gone_copy = f"{pywb.base}/20100601100000/{world.url('/gone')}"
    gone_at = original.index(world.url("/gone"))
    old_at = original.index(world.url("/old"))
    expected = edited(
        original,
        # alive and verified today: a new stamp right after the newest one
        (p := after_(original, "[accessed 7 June 2017]"), p, f"  {NEW}"),
        # the page's "[here]" link was verified: its state follows it
        (
            p := after_(original, f'{KAZAK_URL}">[here]</a>'),
            p,
            f" (archive copy verified {TODAY.day} {TODAY:%B} {TODAY.year})",
        ),
        # dead, with a verified archive copy: a note in the page's wording after its stamp
        (
            p := after_(original, "[accessed 16 February 2011]", gone_at),
            p,
            f' <br>An archived copy of this article (captured 1 June 2010) is accessible <a href="{gone_copy}">[here]</a>',
        ),
        # --update-moved: the moved link's address, nothing else of the tag
        (old_at, old_at + len(world.url("/old")), world.url("/article/new-home")),
    )
    assert patch.apply() == expected
    assert sorted(e.why for e in patch.edits) == sorted(
        ["access date", "[here] link state", "fallback", "moved link updated"]
    )
    # --diff output is a unified diff of exactly those lines
    d = patch.diff("kz.html")
    assert d.startswith("--- a/kz.html\n+++ b/kz.html\n")
    added = [ln for ln in d.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    removed = [ln for ln in d.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    assert len(added) == len(removed) == 4  # four lines changed, each in place


def test_text_page_bytes_survive_encoding_and_crlf(
    store: Store, world: World, tmp_path: Path
) -> None:
    settings = make_settings()
    body = (
        "Торговля людьми: доклады\r\n\r\n"
        f"Kazak Women Sold as Sex Slaves\r\nIWPR, 17 Nov 05\r\n{world.url('/article/cp1251')}\r\n"
        "[accessed 16 February 2011]\r\n\r\n"
        "When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary of "
        "400-450 US dollars per month was beyond their wildest dreams.\r\n"  # as the page says
    )
    page = tmp_path / "kz.txt"
    page.write_bytes(body.encode("cp1251"))
    patch = run_and_patch(store, settings, page)
    assert patch.encoding == "windows-1251"
    out = tmp_path / "out.txt"
    subprocess_free = patch.apply().encode(patch.encoding)
    out.write_bytes(subprocess_free)
    raw_before, raw_after = page.read_bytes(), out.read_bytes()
    i = raw_before.index(b"[accessed 16 February 2011]") + len(b"[accessed 16 February 2011]")
    assert raw_after == raw_before[:i] + f"  {NEW}".encode() + raw_before[i:]


def test_policy_older_than_and_replace(store: Store, world: World, tmp_path: Path) -> None:
    settings = make_settings()
    page = tmp_path / "p.md"
    page.write_text(
        f"- [{KAZAK}]({world.url('/article/md')}), IWPR, 2005 (accessed {TODAY.isoformat()})\n"
        f"- [{KAZAK}, second copy]({world.url('/article/md2')}), ILO (accessed 2011-02-16)\n"
    )
    text = page.read_text()
    older = run_and_patch(store, settings, page, mode="older", older_than_days=365)
    # the first stamp is today's (nothing to refresh); the second is years old: refreshed
    p = after_(text, "accessed 2011-02-16")
    assert older.apply() == edited(text, (p, p, f"  accessed {TODAY.isoformat()}"))
    replace = run_and_patch(store, settings, page, mode="replace")
    q = text.index("accessed 2011-02-16")
    assert replace.apply() == edited(text, (q, p, f"accessed {TODAY.isoformat()}"))


def test_patch_command(world: World, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        f'<p><a href="{world.url("/article/cli-patch")}"><b>{KAZAK}</b></a><br>IWPR<br>[accessed 16 February 2011]</p>\n'
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MONITOR_") or k == "MONITOR_ALLOW_NETWORKS"
    }
    env["MONITOR_DATABASE__URL"] = f"sqlite:///{tmp_path / 'm.sqlite'}"
    env["MONITOR_ARCHIVE__ENDPOINTS"] = "[]"

    def monitor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert monitor("ingest", str(page)).returncode == 0
    assert monitor("run").returncode == 0
    d = monitor("patch", str(page), "--diff")
    assert d.returncode == 0 and "+<p>" in d.stdout and NEW in d.stdout
    assert not (tmp_path / "page.patched.html").exists()  # --diff alone writes nothing
    w = monitor("patch", str(page))
    assert w.returncode == 0 and "1 change(s)" in w.stderr
    assert (tmp_path / "page.patched.html").read_text().count("[accessed") == 2
    page.write_text(page.read_text() + "<p>edited by hand</p>\n")
    changed = monitor("patch", str(page))
    assert changed.returncode == 2 and "changed since it was ingested" in changed.stderr
    missing = monitor("patch", str(tmp_path / "other.html"))
    assert missing.returncode == 2 and "has not been ingested" in missing.stderr
