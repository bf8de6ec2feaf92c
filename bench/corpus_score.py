"""Score ingest on every real page with hand-checked truth, in one command:

    .venv/bin/python bench/corpus_score.py                # every page: its figures, then totals
    .venv/bin/python bench/corpus_score.py -v --only NAME # what was missed, junk, wrong
    .venv/bin/python bench/corpus_score.py --check        # exit 1 if a page is below its best
    .venv/bin/python bench/corpus_score.py --record       # raise the recorded bests

The pages: `tests/corpus/pages/` (truth in `tests/corpus/truth/`, provenance in
`tests/corpus/PROVENANCE-*.md`) and, when the steering repository sits beside this one,
`../shared/realpages/`. Each page is ingested into a fresh SQLite database through the API
(as `monitor ingest PAGE` does), the database exported (as `monitor export` does) and the
export compared with the truth, with the same rules as `../shared/realpages/score.py`:

  recall     truth citations whose URL (or a listed alternative) is among the stored URLs
  precision  stored URLs that belong to a truth citation (its URL, the other links of the
             same reference, its archive copy)
  dates      for each truth URL found, the set of access dates stored equals the truth's
  archive    truth archive links stored as archive links of the right original URL
  titles     token-set ratio of the stored title and the truth's >= 85

URLs are compared after light normalisation (scheme and host case, default port, trailing
slash, empty query, fragment, canonical percent-escapes). `tests/corpus/best.json` holds each
page's best figures: a change that lowers any page is a regression, whatever the totals do.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from rapidfuzz import fuzz, utils

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPORA = [ROOT / "tests" / "corpus", ROOT.parent / "shared" / "realpages"]
BEST = ROOT / "tests" / "corpus" / "best.json"
FIGURES = ("recall", "precision", "dates", "archive", "titles")

_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SAFE_DECODE = _UNRESERVED | set(":@!$'()*,;")
_MUST_ENCODE = set(' "<>[\\]^`{|}')
_WAYBACK = re.compile(
    r"^https?://(?:web\.|wayback\.)?archive\.org/web/(\d{1,14})[a-z_]*/+(.+)$", re.I
)


def _escapes(s: str) -> str:
    out = []
    for ch in s:
        if ord(ch) > 126 or ord(ch) < 33 or ch in _MUST_ENCODE:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)

    def fix(m: re.Match[str]) -> str:
        c = chr(int(m.group(1), 16))
        return c if c in _SAFE_DECODE else "%" + m.group(1).upper()

    return re.sub(r"%([0-9A-Fa-f]{2})", fix, "".join(out))


def norm(url: str | None) -> str | None:
    """The comparison key of a URL (the shared scorer's)."""
    if not url:
        return None
    u = url.strip()
    if u.startswith("//"):
        u = "https:" + u
    try:
        p = urlsplit(u)
        host = (p.hostname or "").rstrip(".")
        port = p.port
    except ValueError:
        return u.lower()
    scheme = p.scheme.lower()
    try:
        host = host.encode("idna").decode("ascii") if host else host
    except UnicodeError:
        host = host.lower()
    netloc = host.lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc += f":{port}"
    path = _escapes(p.path).rstrip("/") if p.path.endswith("/") else _escapes(p.path)
    return urlunsplit((scheme, netloc, path, _escapes(p.query), ""))


def archive_key(url: str | None) -> tuple[str, ...]:
    m = _WAYBACK.match((url or "").strip())
    if m:
        orig = m.group(2)
        if not re.match(r"^[a-z]+:", orig, re.I):
            orig = "http://" + orig.lstrip("/")
        return ("wayback", m.group(1), (norm(orig) or "").split("://", 1)[-1])
    return ("url", norm(url) or "")


@dataclass
class Stored:
    """What ingest stored of a page: its live citations and archive links."""

    citations: list[dict[str, object]] = field(default_factory=list)
    archives: set[tuple[str | None, tuple[str, ...]]] = field(default_factory=set)


def ingest_page(page: Path) -> Stored:
    """Ingest `page` into a fresh SQLite database and read back what was stored."""
    from monitor import api
    from monitor.config import Settings
    from monitor.store.transfer import export

    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        settings = Settings(database={"url": f"sqlite:///{tmp}/x.sqlite"})
        store = api.open_database(settings)
        try:
            results = api.ingest(store, [str(page)], settings)
            errors = [r.error for r in results if r.error]
            if errors:
                raise RuntimeError(f"{page.name}: {errors[0]}")
            buf = io.StringIO()
            export(store, buf)
        finally:
            store.close()
    tables: dict[str, list[dict[str, object]]] = {}
    for line in buf.getvalue().splitlines():
        row = json.loads(line)
        if isinstance(row, dict) and "table" in row and "row" in row:
            tables.setdefault(row["table"], []).append(row["row"])
    urls = {u["id"]: u["url"] for u in tables.get("url", [])}
    out = Stored()
    for c in tables.get("citation", []):
        if c.get("removed_at"):
            continue
        u = urls.get(c.get("url_id"))
        dates = {
            str(s["date"])[:10]
            for s in c.get("stamps") or []
            if isinstance(s, dict) and s.get("date")
        }
        out.citations.append({"n": norm(u) if u else None, "title": c.get("title"), "dates": dates})
    for a in tables.get("archive_link", []):
        out.archives.add((norm(urls.get(a.get("url_id"))), archive_key(a.get("archive_url"))))
    return out


@dataclass
class PageScore:
    page: str
    counts: dict[str, list[int]]  # figure -> [right, of]
    misses: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    error: str | None = None

    def figure(self, name: str) -> float:
        right, of = self.counts[name]
        return right / of if of else 1.0


def score(truth: dict, stored: Stored) -> PageScore:
    by_url: dict[str, list[dict[str, object]]] = {}
    for c in stored.citations:
        if c["n"]:
            by_url.setdefault(c["n"], []).append(c)  # type: ignore[arg-type]
    ok: set[str | None] = set()
    keys = []
    for c in truth["citations"]:
        names = [norm(c["url"]), *(norm(u) for u in c.get("url_alternatives", []))]
        keys.append(names)
        ok.update(names)
        ok.update(norm(u) for u in c.get("other_urls", []))
        if c.get("archive_url"):
            ok.add(norm(c["archive_url"]))
    s = PageScore(truth["page"], {f: [0, 0] for f in FIGURES})
    found = set(by_url)
    s.counts["precision"] = [len(found & ok), len(found)]
    s.junk = sorted(found - ok)
    hits = []
    for c, names in zip(truth["citations"], keys, strict=True):
        hit = next((n for n in names if n in by_url), None)
        hits.append(hit)
        s.counts["recall"][1] += 1
        if hit:
            s.counts["recall"][0] += 1
        else:
            s.misses.append(c["url"])
    wanted: dict[str, set[str]] = {}
    for c, hit in zip(truth["citations"], hits, strict=True):
        if hit:
            wanted.setdefault(hit, set()).update(c["accessed"])
    for n, want in wanted.items():
        got = set().union(*(x["dates"] for x in by_url[n]))  # type: ignore[arg-type]
        s.counts["dates"][1] += 1
        if got == want:
            s.counts["dates"][0] += 1
        else:
            s.wrong.append(f"dates   {n} want {sorted(want)} got {sorted(got)}")
    for c, names in zip(truth["citations"], keys, strict=True):
        if c.get("archive_url"):
            s.counts["archive"][1] += 1
            k = archive_key(c["archive_url"])
            if any((n, k) in stored.archives for n in names):
                s.counts["archive"][0] += 1
            else:
                s.wrong.append(f"archive {c['url']} <- {c['archive_url']}")
    for c, hit in zip(truth["citations"], hits, strict=True):
        if not hit or not c.get("title"):
            continue
        s.counts["titles"][1] += 1
        titles = [str(x["title"]) for x in by_url[hit] if x["title"]]
        best = max((fuzz.token_set_ratio(t, c["title"], processor=utils.default_process)
                    for t in titles), default=0)  # fmt: skip
        if best >= 85:
            s.counts["titles"][0] += 1
        else:
            s.wrong.append(f"title   {c['title']!r:.60} | {titles[:1]!r:.60}")
    return s


def pages(only: list[str] | None = None) -> Iterator[tuple[Path, dict]]:
    """(page file, truth) of every corpus that is here."""
    for corpus in CORPORA:
        truth_dir = corpus / "truth"
        if not truth_dir.is_dir():
            continue
        for f in sorted(truth_dir.glob("*.json")):
            truth = json.loads(f.read_text("utf-8"))
            if only and truth["page"] not in only:
                continue
            yield corpus / "pages" / truth["page"], truth


def score_all(only: list[str] | None = None) -> list[PageScore]:
    out = []
    for page, truth in pages(only):
        try:
            out.append(score(truth, ingest_page(page)))
        except Exception as exc:  # a page that cannot be ingested scores zero, said
            empty = PageScore(truth["page"], {f: [0, 1] for f in FIGURES}, error=str(exc))
            out.append(empty)
    return out


def below_best(scores: list[PageScore], best: dict[str, dict[str, float]]) -> list[str]:
    """Each figure of a page that is lower than its recorded best."""
    return [f"{s.page}: {f} {s.figure(f):.3f} < best {best[s.page][f]:.3f}"
            for s in scores if s.page in best for f in FIGURES
            if s.figure(f) < best[s.page][f] - 5e-5]  # fmt: skip


def table(scores: list[PageScore]) -> str:
    head = f"{'page':44} {'cites':>5} " + " ".join(f"{f:>9}" for f in FIGURES)
    lines = [head]
    total = {f: [0, 0] for f in FIGURES}
    for s in scores:
        cells = []
        for f in FIGURES:
            right, of = s.counts[f]
            total[f][0] += right
            total[f][1] += of
            cells.append(f"{s.figure(f):9.3f}" if of else f"{'-':>9}")
        err = f"  ERROR {s.error}" if s.error else ""
        lines.append(f"{s.page[:44]:44} {s.counts['recall'][1]:5d} " + " ".join(cells) + err)
    cells = [f"{(r / n if n else 1.0):9.3f}" for r, n in total.values()]
    lines.append(
        f"{'ALL (micro, ' + str(len(scores)) + ' pages)':44} {total['recall'][1]:5d} "
        + " ".join(cells)
    )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--only", nargs="*", help="page file names")
    ap.add_argument(
        "-v", "--verbose", action="store_true", help="misses, junk, wrong dates and titles"
    )
    ap.add_argument("--check", action="store_true", help="exit 1 if any page is below its best")
    ap.add_argument("--record", action="store_true", help="raise tests/corpus/best.json")
    ap.add_argument("--json", help="write the per-page figures here")
    a = ap.parse_args()
    scores = score_all(a.only)
    print(table(scores))
    if a.verbose:
        for s in scores:
            for what, items in (("miss", s.misses), ("junk", s.junk), ("", s.wrong)):
                for x in items[:15]:
                    print(f"  {s.page[:30]:30} {what:5} {x}")
    best = json.loads(BEST.read_text("utf-8")) if BEST.exists() else {}
    if a.json:
        Path(a.json).write_text(
            json.dumps({s.page: {f: s.figure(f) for f in FIGURES} for s in scores}, indent=1)
        )
    if a.record:
        for s in scores:
            old = best.get(s.page, {})
            best[s.page] = {f: round(max(s.figure(f), old.get(f, 0.0)), 4) for f in FIGURES}
        BEST.write_text(json.dumps(best, indent=1, sort_keys=True) + "\n", "utf-8")
    low = below_best(scores, best)
    for line in low:
        print("BELOW BEST", line)
    return 1 if a.check and low else 0


if __name__ == "__main__":
    sys.exit(main())
