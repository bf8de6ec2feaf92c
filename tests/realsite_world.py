"""Real websites' own HTML, served the ways real servers answer for pages they no longer have
(issue 29): `../shared/realsites/` (the steering sample) and the project's own
`tests/realsites/` (sites collected from public repositories that commit built sites; where
each came from: `tests/realsites/provenance/`).

Both are in one format: a site's byte-copied pages under `sites/<host>/`, edited copies under
`edits/<host>/`, what the server does per path in a world entry (`world.json`, or one file a
site under `world/`), and what a careful reader concludes of each cited URL in `truth.json`
(or `truth/`). The shared `serve.py` routes by Host name on one port and needs /etc/hosts;
here every site gets its own loopback address (127.0.6.N) and port instead, and the labelled
URLs are rewritten to it, so a test needs no root and no fixed port. A vanished site's URLs
point at a name under `.invalid`, which never resolves.

    world = RealWorld.load("all")        # or "shared", "ours"
    world.serve()
    page = world.page()                  # a reading list citing every labelled URL
    ...                                  # ingest it, run, export (see rows_of_run)
    world.stop()
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
WORLDS = {"shared": ROOT.parent / "shared" / "realsites", "ours": ROOT / "tests" / "realsites"}
VERDICTS = ["alive", "moved", "dead", "soft404", "drifted", "transient", "blocked", "tls_error"]
GONE = {"dead", "soft404", "drifted"}
NGINX = (
    "<html>\r\n<head><title>{0} {1}</title></head>\r\n<body>\r\n<center><h1>{0} {1}</h1></center>"
    "\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
DATES = ["8 June 2019", "15 September 2020", "27 January 2021", "12 March 2021", "19 July 2021"]


@dataclass
class Site:
    """One site of a world: where its files are, what its server does, where it listens."""

    host: str
    entry: dict
    base: Path
    parked: str
    addr: str = ""
    port: int = 0
    server: http.server.ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        if self.entry["mode"] == "vanished":
            return f"http://{self.host.split('.')[0]}.realsite.invalid"
        return f"http://{self.addr}:{self.port}"

    def answer(self, target: str) -> tuple[int, dict[str, str], bytes]:
        """(status, extra headers, body) for one GET, as the shared serve.py answers."""
        e, path = self.entry, urlsplit(target).path or "/"
        mode = e["mode"]
        if mode == "parked" or (mode == "parked_lander" and path == "/lander"):
            return 200, {}, self.parked.replace("{domain}", self.host).encode()
        if mode == "parked_lander":
            return 302, {"Location": f"{self.origin}/lander"}, b""
        if path in e.get("redirects", {}):
            code, to = e["redirects"][path]
            return code, {"Location": f"{self.origin}{to}"}, b""
        if path in e.get("gone410", []):
            return 410, {}, NGINX.format(410, "Gone").encode()
        if path not in e.get("gone", []):
            file = e.get("serve", {}).get(path)
            if file and file.startswith("edits/"):
                return (
                    200,
                    {},
                    (self.base / "edits" / self.host / file[len("edits/") :]).read_bytes(),
                )
            body = self._file(file or self._file_of(path))
            if body is not None:
                return 200, {}, body
            if not path.endswith("/") and (
                self._file(self._file_of(path + "/")) is not None
                or path + "/" in e.get("serve", {})
            ):
                return 301, {"Location": f"{self.origin}{path}/"}, b""
            if path == "/":
                return 200, {}, self._file(e["home"]) or b""
        return self.unknown()

    def unknown(self) -> tuple[int, dict[str, str], bytes]:
        mode = self.entry["mode"]
        if mode == "redirect_home":
            return 302, {"Location": f"{self.origin}/"}, b""
        if mode == "home":
            return 200, {}, self._file(self.entry["home"]) or b""
        nf = self.entry.get("notfound")
        page = (self._file(nf) if nf else None) or NGINX.format(404, "Not Found").encode()
        return (200 if mode == "soft404" else 404), {}, page

    @staticmethod
    def _file_of(path: str) -> str:
        path = unquote(path).lstrip("/")
        return path + "index.html" if path == "" or path.endswith("/") else path

    def _file(self, rel: str | None) -> bytes | None:
        if not rel:
            return None
        root = (self.base / "sites" / self.host).resolve()
        f = (root / rel).resolve()
        if root not in f.parents or not f.is_file():
            return None
        return f.read_bytes()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _reply(self, with_body: bool) -> None:
        site: Site = self.server.site  # type: ignore[attr-defined]
        status, extra, body = site.answer(self.path)
        html = body.lstrip()[:1] in (b"<", b"")
        self.send_response(status)
        self.send_header("Content-Type", f"text/{'html' if html else 'plain'}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Server", "nginx")
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply(True)

    def do_HEAD(self) -> None:
        self._reply(False)


def _json_parts(base: Path, single: str, folder: str) -> dict:
    if (base / single).is_file():
        return json.loads((base / single).read_text(encoding="utf-8"))
    out: dict = {}
    for f in sorted((base / folder).glob("*.json")):
        out.update(json.loads(f.read_text(encoding="utf-8")))
    return out


@dataclass
class RealWorld:
    """The sites and labelled cases of one or more worlds, with their servers."""

    sites: dict[str, Site] = field(default_factory=dict)
    truth: dict[str, dict] = field(default_factory=dict)
    world_of: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, which: str = "all", only: str | None = None) -> RealWorld:
        names = list(WORLDS) if which == "all" else [which]
        w = cls()
        for name in names:
            base = WORLDS[name]
            if not base.is_dir():
                continue
            parked = (
                (base / "parked.html").read_text(encoding="utf-8")
                if (base / "parked.html").is_file()
                else ""
            )
            for host, entry in _json_parts(base, "world.json", "world").items():
                w.sites[host] = Site(host, entry, base, parked)
            for url, t in _json_parts(base, "truth.json", "truth").items():
                if only and t["site"] != only:
                    continue
                w.truth[url] = t
                w.world_of[url] = name
        return w

    def serve(self) -> None:
        for i, site in enumerate(self.sites.values()):
            if site.entry["mode"] == "vanished":
                continue
            site.addr = f"127.0.6.{i + 1}"
            server = http.server.ThreadingHTTPServer((site.addr, 0), _Handler)
            server.daemon_threads = True
            server.site = site  # type: ignore[attr-defined]
            site.port, site.server = server.server_address[1], server
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for site in self.sites.values():
            if site.server:
                site.server.shutdown()
                site.server.server_close()

    def url(self, labelled: str) -> str:
        """Where a labelled URL (`http://<host>:18900/path`) is served here."""
        parts = urlsplit(labelled)
        site = self.sites[parts.hostname or ""]
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        return site.origin + rest

    def page(self) -> str:
        """A reading list citing every labelled URL, as the shared page.html does."""
        items = []
        for i, (url, t) in enumerate(self.truth.items()):
            site = self.sites[urlsplit(url).hostname or ""]
            name, served = site.entry.get("name", t["site"]), self.url(url)
            item = (
                f'<li>{escape(name)}. "{escape(t["title"])}". {escape(name)}. '
                f'<a href="{escape(served)}">{escape(served)}</a> [accessed {DATES[i % len(DATES)]}]'
            )
            if t.get("passage"):
                item += f'\n  <blockquote>"{escape(t["passage"])}"</blockquote>'
            items.append(item + "</li>")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
            "<title>Works cited: real sites</title></head>\n<body>\n<h1>Works cited</h1>\n"
            "<p>Articles and documentation pages from small real websites, as a scholar's "
            "reading list cites them.</p>\n<ol>\n"
            + "\n".join(items)
            + "\n</ol>\n</body>\n</html>\n"
        )


CONFIG = """[database]
url = "sqlite:///realsites.sqlite"
[check]
allow_networks = ["127.0.0.0/8"]
per_host_rate = 0
per_host_concurrency = 4
[archive]
endpoints = []
"""


def rows_of_run(world: RealWorld, monitor: list[str], workdir: Path | None = None) -> list[dict]:
    """The main job as a user runs it, in a fresh directory: `monitor ingest page.html`,
    `monitor run --all`, `monitor export`. One row per labelled URL (by its labelled form):
    verdict, reason, title score, passage found, and whether an access date was recorded."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop("MONITOR_CONFIG", None)
    with tempfile.TemporaryDirectory(prefix="realsites-") as tmp:
        d = workdir or Path(tmp)
        (d / "config.toml").write_text(CONFIG)
        (d / "page.html").write_text(world.page(), encoding="utf-8")

        def call(*args: str, ok: tuple[int, ...] = (0,)) -> None:
            p = subprocess.run(
                [*monitor, *args], cwd=d, env=env, capture_output=True, text=True, timeout=900
            )
            if p.returncode not in ok:
                raise RuntimeError(
                    f"monitor {args[0]} exited {p.returncode}: {p.stderr.strip()[-2000:]}"
                )

        call("ingest", "page.html")
        call("run", "--all", ok=(0, 1))
        call("export", "export.jsonl")
        tables: dict[str, list[dict]] = defaultdict(list)
        for line in (d / "export.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if "table" in rec:
                tables[rec["table"]].append(rec["row"])
    labelled = {world.url(u): u for u in world.truth}
    url_of = {u["id"]: u["url"] for u in tables["url"]}
    cit_url = {c["id"]: url_of[c["url_id"]] for c in tables["citation"]}
    accessed = {cit_url[v["citation_id"]] for v in tables["verified_access"]}
    rows = []
    for c in tables["url_check"]:
        url = url_of[c["url_id"]]
        if url in labelled:
            rows.append(
                dict(
                    url=labelled[url],
                    verdict=c["verdict"],
                    reason=c["reason"],
                    title_score=c["title_score"],
                    passage_found=c["passage_found"],
                    accessed=url in accessed,
                )
            )
    return rows


def rows_of_check(world: RealWorld, monitor: list[str]) -> list[dict]:
    """The one-off check as a person types it: `monitor check page.html --format json`,
    one row per labelled URL (no access dates: a check records nothing)."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop("MONITOR_CONFIG", None)
    with tempfile.TemporaryDirectory(prefix="realsites-") as tmp:
        d = Path(tmp)
        (d / "config.toml").write_text(CONFIG)
        (d / "page.html").write_text(world.page(), encoding="utf-8")
        p = subprocess.run(
            [*monitor, "check", "page.html", "--format", "json"],
            cwd=d, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if p.returncode not in (0, 1):
            raise RuntimeError(f"monitor check exited {p.returncode}: {p.stderr.strip()[-2000:]}")
    labelled = {world.url(u): u for u in world.truth}
    return [
        dict(r, url=labelled[r["url"]], accessed=None)
        for r in json.loads(p.stdout)
        if r["url"] in labelled
    ]


def monitor_command() -> list[str]:
    return [sys.executable, "-m", "monitor"]


@dataclass
class Score:
    """What the shared score.py reports, for any set of labelled cases."""

    n: int
    right: int
    matrix: Counter
    false_alive: list[str]
    false_access: list[str]
    false_broken: list[str]
    passage_agree: int
    passage_total: int
    misses: list[str]
    per_site: dict[str, list[int]]

    @property
    def accuracy(self) -> float:
        return self.right / self.n if self.n else 0.0

    @property
    def passage(self) -> float:
        return self.passage_agree / self.passage_total if self.passage_total else 1.0

    def table(self) -> str:
        cols = [c for c in [*VERDICTS, "missing"] if any(self.matrix[e, c] for e in VERDICTS)]
        rows = [e for e in VERDICTS if any(self.matrix[e, c] for c in cols)]
        out = ["expected \\ got " + "".join(f"{c:>9}" for c in cols) + "   recall"]
        for e in rows:
            total = sum(self.matrix[e, c] for c in cols)
            out.append(
                f"{e:<15}"
                + "".join(f"{self.matrix[e, c]:>9}" for c in cols)
                + f"   {self.matrix[e, e] / total:.2f} ({self.matrix[e, e]}/{total})"
            )
        return "\n".join(out)

    def summary(self) -> str:
        return (
            f"cases {self.n}, sites {len(self.per_site)}, accuracy {self.accuracy:.3f} ({self.right}/{self.n}), "
            f"false alive {len(self.false_alive)}, false access dates {len(self.false_access)}, "
            f"live called broken {len(self.false_broken)}, passage {self.passage_agree}/{self.passage_total}"
        )


def score(world: RealWorld, rows: list[dict]) -> Score:
    got = {r["url"]: r for r in rows}
    matrix: Counter = Counter()
    s = Score(len(world.truth), 0, matrix, [], [], [], 0, 0, [], defaultdict(lambda: [0, 0]))
    for url, t in world.truth.items():
        r = got.get(url)
        v = r["verdict"] if r else "missing"
        matrix[t["verdict"], v] += 1
        ok = v == t["verdict"] or v in t.get("also_ok", [])
        s.right += ok
        s.per_site[t["site"]][0] += ok
        s.per_site[t["site"]][1] += 1
        if t["verdict"] in GONE and v in ("alive", "moved"):
            s.false_alive.append(url)
        if t["verdict"] in ("alive", "moved") and v not in ("alive", "moved"):
            s.false_broken.append(url)
        if r and r.get("accessed") and (t["verdict"] in GONE or t.get("passage_found") is False):
            s.false_access.append(url)
        if "passage_found" in t:
            s.passage_total += 1
            s.passage_agree += (r or {}).get("passage_found") == t["passage_found"]
        if not ok or (
            "passage_found" in t and (r or {}).get("passage_found") != t["passage_found"]
        ):
            r = r or {"reason": "no result"}
            s.misses.append(
                f"  {t['verdict']:>8} -> {v:<8} [{t['kind']}] {url}\n       cited: {t['title']!r}; "
                f"{t.get('note', '')}\n       monitor: {r['reason']} (title_score {r.get('title_score')},"
                f" passage_found {r.get('passage_found')}, expected {t.get('passage_found')})"
            )
    return s


def selftest(world: RealWorld) -> list[str]:
    """Problems: labelled URLs that do not answer as their kind says (HTTP only, no monitor)."""
    import html
    import re
    import urllib.error
    import urllib.request as ur

    class NoRedirect(ur.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = ur.build_opener(NoRedirect, ur.ProxyHandler({}))
    by_mode = {"notfound": 404, "soft404": 200, "home": 200, "redirect_home": 302, "parked": 200}
    want: dict[str, int | tuple[int, ...]] = {
        "alive": 200, "alive_p": 200, "edited": 200, "swapped": 200, "refresh": 200, "gone410": 410,
        "moved": (301, 308), "home301": 301, "noslash": 301, "parked": (200, 302), "temp302": 302,
        "section302": 302, "merged301": 301,
    }  # fmt: skip

    def squash(x: str) -> str:
        return re.sub(r"\s+", "", x).lower()

    problems = []
    for url, t in world.truth.items():
        site = world.sites.get(urlsplit(url).hostname or "")
        if site is None:
            problems.append(f"{url}: its host is in no world file")
            continue
        expect = want.get(t["kind"]) or by_mode.get(site.entry["mode"])
        served = world.url(url)
        try:
            resp = opener.open(served, timeout=10)
            code, body = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            code, body = e.code, e.read()
        except urllib.error.URLError:
            code, body = "no address", b""
        text = squash(html.unescape(re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))))
        problem = None
        if t["kind"] == "vanished" or site.entry["mode"] == "vanished":
            problem = None if code == "no address" else f"answered {code}"
        elif code not in (expect if isinstance(expect, tuple) else (expect,)):
            problem = f"answered {code}, {expect} wanted"
        elif t.get("passage_found") is True and squash(t["passage"].rstrip("…"))[:40] not in text:
            problem = "quoted passage missing"
        elif t.get("passage_found") is False and squash(t["passage"].rstrip("…"))[:40] in text:
            problem = "quoted passage still there"
        if problem:
            problems.append(f"[{t['kind']}] {url}: {problem}")
    return problems
