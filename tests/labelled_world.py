"""A labelled world of real-looking sites for verdicts (issue 15): every URL has the verdict a
careful reader would give, and the pages look like the web does, not like our fixtures.

Each site has a name that appears in every page's `<title>` ("Title | Site"), header and
footer, pages of 3-30 KB, and its own way of answering for pages it does not have:
- `proper`: a branded 404 page with status 404;
- `soft`: the same branded "nothing here" page with status 200 (its wording avoids every
  not-found cue, as many CMS themes do);
- `catchall`: every path answers the site's portal page, 200.

Kinds of cited URL (path `/{kind}/{n}`), with the verdict expected:
ok, ok-titled (the cited title carries the publisher: "Title. Site"), moved, chain15,
refresh-ok, gone (404, or 200 not-found on soft sites), refresh-gone, script-gone, chain25,
drift (another article of the same site), parked, csv, json, png, pdf, nul (a NUL byte in a
live page), nul-drift, bomb (a gzip bomb of zeros), passage-kept and passage-gone (an
article with or without the passage its citation quotes).

`serve()` starts one threaded server per site on 127.0.3.x; `labelled()` lists
(url, expected verdict, cited titles, quoted passage).
"""

from __future__ import annotations

import gzip
import http.server
import random
import threading
from dataclasses import dataclass, field
from typing import Any

SITES = [
    ("Institute for War & Peace Reporting", "proper"),
    ("The Daily Telegraph", "proper"),
    ("Ministry for Culture and Heritage", "soft"),
    ("Te Ara: The Encyclopedia of New Zealand", "proper"),
    ("Human Rights Watch", "soft"),
    ("Radio Free Europe / Radio Liberty", "proper"),
    ("Eurasianet", "proper"),
    ("United Nations Office on Drugs and Crime", "soft"),
    ("Kazinform International News Agency", "catchall"),
    ("Organization for Security and Co-operation in Europe", "proper"),
    ("The Diplomat", "proper"),
    ("Statistics New Zealand", "soft"),
]

_COMMON = (
    "trafficking labour migration border report government survey women children court "
    "police region village market contract passport agency ministry investigation witness "
    "shelter families program funding education health economy river mountain city winter"
)
COMMON = _COMMON.split()
_SYLLABLES = "ka ra mi to sa ne lu vo de ri an ul ba ze po ti ma ko ser gen dal tur bek"
# a vocabulary of 3,000 words, as a news site has: titles share few words with other pages
WORDS = COMMON + ["".join(random.Random(i).sample(_SYLLABLES.split(), 3)) for i in range(3000)]

KINDS: dict[str, str] = {
    "ok": "alive",
    "ok-titled": "alive",
    "moved": "moved",
    "chain15": "alive",
    "refresh-ok": "alive",
    "gone": "dead",  # soft sites: soft404
    "refresh-gone": "dead",
    "script-gone": "dead",
    "chain25": "dead",
    "drift": "drifted",
    "parked": "drifted",
    "csv": "alive",
    "json": "alive",
    "png": "alive",
    "pdf": "alive",
    "nul": "alive",
    "nul-drift": "drifted",
    "bomb": "drifted",
    "passage-kept": "alive",
    "passage-gone": "alive",
}
REPEAT = {"ok": 3, "ok-titled": 3, "gone": 2, "drift": 2}  # 26 URLs a site, 312 in all


def article_title(n: int) -> str:
    rng = random.Random(n)
    words = rng.sample(WORDS, 5)
    return f"{words[0].capitalize()} {words[1]} and {words[2]} in the {words[3]} {n}"


def passage(n: int) -> str:
    rng = random.Random(1000 + n)
    return (
        f"When {rng.choice(['Lyuda', 'Sveta', 'Aigul', 'Dana'])} was offered work abroad in "
        f"{rng.choice(['Turkey', 'Dubai', 'Moscow'])} she did not suspect that the "
        f"{rng.choice(WORDS)} agency had sold her passport to a stranger for {n} dollars."
    )


def _paragraphs(n: int, size: int) -> str:
    rng = random.Random(n)
    out, total = [], 0
    while total < size:
        p = " ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "."
        out.append(f"<p>{p}</p>")
        total += len(p) + 7
    return "\n".join(out)


def shell(site: str, title: str, body: str, head: str = "") -> str:
    """A page of `site`: its name in the title, header, navigation and footer."""
    nav = "".join(f'<li><a href="/section/{w}">{w.title()}</a></li>' for w in WORDS[:8])
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | {site}</title>"
        f'<meta property="og:site_name" content="{site}">{head}</head><body>'
        f'<header><div class="brand">{site}</div><nav><ul>{nav}</ul></nav></header>'
        f"<main>{body}</main>"
        f"<footer><p>&copy; 2024 {site}. All rights reserved.</p>"
        f'<p><a href="/about">About {site}</a> | <a href="/contact">Contact</a></p></footer>'
        "</body></html>"
    )


def article(site: str, n: int, with_passage: bool = True, size: int = 6000) -> str:
    t = article_title(n)
    quoted = f"<p>{passage(n)}</p>" if with_passage else ""
    body = f"<article><h1>{t}</h1>{_paragraphs(n, size // 2)}{quoted}{_paragraphs(n + 7, size // 2)}</article>"
    return shell(site, t, body, f'<meta property="og:title" content="{t}">')


def not_found(site: str) -> str:
    # no "not found", "404" or "does not exist": the wording of many themes
    body = (
        "<h1>Oops! Nothing here.</h1><p>Try the search box above, or start again from "
        f"the front page of {site}. Our latest stories are listed below.</p>" + _paragraphs(1, 1500)
    )
    return shell(site, "Oops! Nothing here", body)


def portal(site: str) -> str:
    body = f"<h1>Welcome to {site}</h1>" + _paragraphs(2, 4000)
    return shell(site, "Home", body)


@dataclass
class Site:
    name: str
    style: str
    host: str
    port: int = 0
    server: Any = None
    pages: dict[str, tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def _pages(site: Site, base: int) -> None:
    """Every page the site serves, keyed by path."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    p = site.pages
    for k, kind in enumerate(KINDS):
        for j in range(REPEAT.get(kind, 1)):
            n = base + 100 * j + k
            path = f"/{kind}/{n}"
            art = article(site.name, n, kind != "passage-gone", size=3000 + (n * 997) % 27000)
            if kind in ("ok", "ok-titled", "passage-kept", "passage-gone"):
                p[path] = (200, art.encode(), html)
            elif kind == "moved":
                p[path] = (301, b"", {"Location": f"/new/{n}"})
                p[f"/new/{n}"] = (200, art.encode(), html)
            elif kind in ("chain15", "chain25"):
                hops = 15 if kind == "chain15" else 25
                for h in range(hops):
                    nxt = f"/{kind}/{n}/hop{h + 1}" if h + 1 < hops else f"/final/{n}"
                    src = path if h == 0 else f"/{kind}/{n}/hop{h}"
                    p[src] = (302, b"", {"Location": nxt})
                p[f"/final/{n}"] = (200, art.encode(), html)
            elif kind == "refresh-ok":
                p[path] = (200, _refresh(f"/final/{n}").encode(), html)
                p[f"/final/{n}"] = (200, art.encode(), html)
            elif kind == "refresh-gone":
                p[path] = (200, _refresh(f"/removed/{n}").encode(), html)
            elif kind == "script-gone":
                body = f'<html><head><script>window.location.replace("/removed/{n}");</script></head><body></body></html>'
                p[path] = (200, body.encode(), html)
            elif kind == "drift":
                other = article(site.name, n + 5000, False)
                p[path] = (200, other.encode(), html)
            elif kind == "parked":
                body = "<h1>example-domain.kz</h1><p>This domain is for sale! Buy it now.</p>"
                p[path] = (
                    200,
                    f"<html><head><title>example-domain.kz</title></head><body>{body}</body></html>".encode(),
                    html,
                )
            elif kind == "csv":
                rows = "\n".join(f"{i},{i * 3},{WORDS[i % len(WORDS)]}" for i in range(3000))
                p[path] = (
                    200,
                    f"year,count,label\n{rows}\n".encode(),
                    {"Content-Type": "text/csv"},
                )
            elif kind == "json":
                data = (
                    "["
                    + ",".join(f'{{"id": {i}, "v": "{WORDS[i % 30]}"}}' for i in range(2000))
                    + "]"
                )
                p[path] = (200, data.encode(), {"Content-Type": "application/json"})
            elif kind == "png":
                p[path] = (
                    200,
                    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
                    {"Content-Type": "image/png"},
                )
            elif kind == "pdf":
                p[path] = (
                    200,
                    b"%PDF-1.4\n" + bytes(range(256)) * 40,
                    {"Content-Type": "application/pdf"},
                )
            elif kind == "nul":
                p[path] = (200, art.encode().replace(b"<main>", b"<main>\x00", 1), html)
            elif kind == "nul-drift":
                other = article(site.name, n + 6000, False).encode()
                p[path] = (200, other.replace(b"<main>", b"<main>\x00", 1), html)
            elif kind == "bomb":
                zeros = gzip.compress(b"\x00" * (20 * 1024 * 1024))
                p[path] = (200, zeros, {**html, "Content-Encoding": "gzip"})
            # "gone": nothing; the site's own answer for pages it does not have


def _refresh(to: str) -> str:
    return (
        f'<html><head><meta http-equiv="refresh" content="0; url={to}">'
        "<title>Redirecting</title></head><body><p>Redirecting...</p></body></html>"
    )


def expected_verdict(site: Site, kind: str) -> str:
    if site.style == "catchall":
        return "soft404"
    if kind in ("gone", "refresh-gone", "script-gone") and site.style == "soft":
        return "soft404"  # the reader lands on the site's 200 "nothing here" page
    return KINDS[kind]


labelled_rows: list[tuple[str, str, list[str], str | None]] = []  # the last `labelled()`


def labelled(sites: list[Site]) -> list[tuple[str, str, list[str], str | None]]:
    out = []
    for s, site in enumerate(sites):
        base = 1000 * (s + 1)
        for k, kind in enumerate(KINDS):
            for j in range(REPEAT.get(kind, 1)):
                n = base + 100 * j + k
                t = article_title(n)
                if kind == "ok-titled":
                    titles = [f"{t}. {site.name}"]
                elif kind == "csv":
                    titles = [f"Annual survey of {WORDS[n % 30]} {n} (CSV)"]
                elif kind in ("json", "png", "pdf"):
                    titles = [f"Data set {n}: {WORDS[n % 30]} statistics ({kind.upper()})"]
                else:
                    titles = [t]
                quoted = passage(n) if kind.startswith("passage") else None
                out.append((site.url(f"/{kind}/{n}"), expected_verdict(site, kind), titles, quoted))
    return out


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        site = self.server.site  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        html = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            status, body, headers = 404, b"", html
        elif site.style == "catchall":
            status, body, headers = 200, portal(site.name).encode(), html
        elif path in site.pages:
            status, body, headers = site.pages[path]
        elif path == "/":
            status, body, headers = 200, portal(site.name).encode(), html
        else:
            status = 200 if site.style == "soft" else 404
            body, headers = not_found(site.name).encode(), html
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve() -> list[Site]:
    sites = []
    for i, (name, style) in enumerate(SITES):
        site = Site(name, style, f"127.0.3.{i + 1}")
        _pages(site, 1000 * (i + 1))
        server = http.server.ThreadingHTTPServer((site.host, 0), _Handler)
        server.daemon_threads = True
        server.site = site  # type: ignore[attr-defined]
        site.port, site.server = server.server_address[1], server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sites.append(site)
    return sites


def stop(sites: list[Site]) -> None:
    for s in sites:
        s.server.shutdown()
        s.server.server_close()


def score(rows: list[tuple[str, str, list[str], str | None]], got: dict[str, str]) -> dict:
    """Accuracy, recall per expected verdict, the confusion matrix, false failures."""
    from collections import Counter

    confusion = Counter((exp, got[u]) for u, exp, _, _ in rows)
    total = len(rows)
    right = sum(n for (e, g), n in confusion.items() if e == g)
    recall = {}
    for verdict in {e for _, e, _, _ in rows}:
        of = sum(n for (e, _), n in confusion.items() if e == verdict)
        recall[verdict] = sum(n for (e, g), n in confusion.items() if e == g == verdict) / of
    alive = sum(n for (e, _), n in confusion.items() if e == "alive")
    false_fail = sum(
        n for (e, g), n in confusion.items() if e == "alive" and g in ("dead", "soft404", "drifted")
    )
    return {
        "accuracy": right / total,
        "recall": recall,
        "false_failure_rate": false_fail / alive,
        "confusion": confusion,
        "total": total,
    }
