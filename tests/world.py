"""A small local web: real HTTP(S) servers on 127.0.0.x that behave like the cited web does.

Each path plays one situation a link checker meets (a live article, a 404, a soft-404,
a parked domain, a redirect loop, a 50 MB body, a hung server...). The servers are real
sockets, so the checker's whole stack (httpx, TLS, redirects, streaming) is exercised.
"""

from __future__ import annotations

import functools
import gzip
import io
import socket
import ssl
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ARTICLE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Kazak Women Sold as Sex Slaves | IWPR</title>
<meta property="og:title" content="Kazak Women Sold as Sex Slaves"></head>
<body><h1>Kazak Women Sold as Sex Slaves</h1>
<p>When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary of
400-450 US dollars per month was beyond their wildest dreams.</p></body></html>"""

HOME = """<!DOCTYPE html><html><head><title>Welcome to the Institute</title></head>
<body><h1>Welcome</h1><p>Latest news and reports.</p></body></html>"""

NOT_FOUND_200 = """<html><head><title>Page not found</title></head>
<body><h1>Oops!</h1><p>The page you requested could not be found.</p></body></html>"""

RU_NOT_FOUND = (
    '<html><head><meta charset="windows-1251"><title>Ошибка</title></head>'
    "<body><h1>Страница не найдена</h1><p>Возможно, она была удалена.</p></body></html>"
).encode("cp1251")

PARKED = """<html><head><title>kazinform-news.kz</title></head>
<body><p>This domain may be for sale. Buy this domain today!</p></body></html>"""

CATCHALL = """<html><head><title>Institute for Research</title></head>
<body><h1>Institute for Research</h1><p>Welcome. Our publications, news and events.</p>
<p>Contact us at the address below for any enquiry.</p></body></html>"""

KOI8_PAGE = (
    "<html><head><title>Торговля людьми в Казахстане</title></head>"
    "<body><h1>Торговля людьми в Казахстане</h1><p>Доклад о положении дел.</p></body></html>"
).encode("koi8-r")

OTHER_ARTICLE = """<html><head><title>Quarterly earnings beat expectations | Business</title></head>
<body><h1>Quarterly earnings beat expectations</h1><p>Shares rose 4% in early trading after the
company reported revenue above analyst forecasts.</p></body></html>"""

BOT_WALL = """<html><head><title>Just a moment...</title></head>
<body>Checking your browser before accessing the site.</body></html>"""


CITATION_PAGE = """<html><head><title>Human Trafficking - Kazakhstan</title></head><body>
<p><a href="../article/iwpr"><b>Kazak Women Sold as Sex Slaves</b></a><br>
Institute for War &amp; Peace Reporting, 17 Nov 05<br>
[accessed 16 February 2011]<br>[accessed 7 June 2017]</p>
<p>When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary was beyond
their wildest dreams.</p>
<p><a href="/gone"><b>Atyrau authorities plan to prevent human trafficking</b></a><br>
Kazinform, July 14, 2006<br>[accessed 16 February 2011]</p>
</body></html>"""


@functools.cache
def bomb(encoding: str) -> bytes:
    """200 MB of zeros, compressed with a Content-Encoding (gzip ~200 KB, deflate ~200 KB,
    br ~100 bytes): what a hostile server sends to exhaust a client's memory."""
    block = b"\0" * (1 << 20)
    if encoding == "gzip":
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as gz:
            for _ in range(200):
                gz.write(block)
        return out.getvalue()
    if encoding == "deflate":
        z = zlib.compressobj(9)
        return b"".join(z.compress(block) for _ in range(200)) + z.flush()
    import brotli  # brotlipy, a dependency of pywb (Brotli, the other one, says `process`)

    br = brotli.Compressor(quality=5)
    feed = getattr(br, "process", None) or br.compress
    return b"".join(feed(block) for _ in range(200)) + br.finish()


class World:
    """Servers plus what they saw: user agents, request counts, bytes sent, concurrency."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self.authorizations: list[str] = []  # Authorization headers received (should be none)
        self.request_headers: list[dict[str, str]] = []  # every request's headers, in order
        self.methods: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.bytes_sent: Counter[str] = Counter()
        # requests being served right now / at most, by first path segment ("pause", ...)
        self.active: Counter[str] = Counter()
        self.peak_active: Counter[str] = Counter()
        self.servers: list[ThreadingHTTPServer] = []
        self.robots: str | None = None  # served at /robots.txt when set
        # path -> (status, body, headers): pages a test defines (e.g. the seed page's links)
        self.pages: dict[str, tuple[int, str, dict[str, str]]] = {}
        self.mutable = "First version of the page about trafficking routes through Almaty."
        self.base = ""

    # ---- life cycle
    def start(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> str:
        world = self

        class Handler(_Handler):
            pass

        Handler.world = world
        server = _QuietServer((host, 0), Handler)
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self.servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        scheme = "https" if tls else "http"
        url = f"{scheme}://{host}:{server.server_address[1]}"
        if not self.base:
            self.base = url
        return url

    def stop(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()

    def url(self, path: str) -> str:
        return self.base + path


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up early (timeouts, capped reads) is the point of some cases."""


def closed_port(host: str = "127.0.0.1") -> int:
    """A port on `host` with nothing listening (connection refused)."""
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Handler(BaseHTTPRequestHandler):
    world: World
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(
        self,
        status: int,
        body: bytes | str = b"",
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _redirect(self, status: int, location: str) -> None:
        self._send(status, f"<a href='{location}'>moved</a>", headers={"Location": location})

    def _stream(self, total: int, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(total))
        self.end_headers()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < total:
                n = min(len(chunk), total - sent)
                self.wfile.write(chunk[:n])
                sent += n
                with self.world.lock:
                    self.world.bytes_sent[self.path] += n
        except OSError:
            pass

    def do_HEAD(self) -> None:
        with self.world.lock:
            self.world.methods["HEAD"] += 1
        self._send(405, "")

    def do_GET(self) -> None:
        w = self.world
        path = self.path.split("?", 1)[0]
        with w.lock:
            w.hits[path] += 1
            w.methods["GET"] += 1
            w.user_agents.append(self.headers.get("User-Agent", ""))
            if self.headers.get("Authorization"):
                w.authorizations.append(self.headers["Authorization"])
            w.request_headers.append(dict(self.headers.items()))
            w.in_flight[path] += 1
            w.max_in_flight[path] = max(w.max_in_flight[path], w.in_flight[path])
            group = path.split("/")[1]
            w.active[group] += 1
            w.peak_active[group] = max(w.peak_active[group], w.active[group])
        try:
            self.route(path)
        finally:
            with w.lock:
                w.in_flight[path] -= 1
                w.active[group] -= 1

    def route(self, path: str) -> None:
        if path in self.world.pages:
            status, body, headers = self.world.pages[path]
            etag, modified = headers.get("ETag"), headers.get("Last-Modified")
            if status == 200 and (
                (etag and self.headers.get("If-None-Match") == etag)
                or (modified and not etag and self.headers.get("If-Modified-Since") == modified)
            ):
                self._send(304, "", headers=headers)  # a page with validators, unchanged
            elif 300 <= status < 400:
                self._redirect(status, headers["Location"])
            else:
                self._send(status, body, headers=headers)
        elif path == "/robots.txt":
            if self.world.robots is None:
                self._send(404, "<title>404 Not Found</title>")
            else:
                self._send(200, self.world.robots, "text/plain")
        elif path == "/mutable":
            self._send(200, f"<title>Mutable</title><p>{self.world.mutable}</p>")
        elif path in ("/", "/index.html"):
            self._send(200, HOME)
        elif "probe" in path and not path.startswith("/catchall/"):
            # Paths containing "probe" stand for every path the site never published: like a
            # real CMS, the site answers them 404 (the checker's sibling probe is such a path).
            self._send(404, "<title>404 Not Found</title>")
        elif path.startswith("/article"):
            self._send(200, ARTICLE)
        elif path.startswith("/catchall/"):
            # A server that answers 200 with the same page for any path at all.
            self._send(200, CATCHALL)
        elif path == "/koi8":
            self._send(200, KOI8_PAGE, "text/html; charset=koi8-r")
        elif path == "/drifted-article":
            self._send(200, OTHER_ARTICLE)
        elif path.startswith("/flaky/"):
            with self.world.lock:
                n = self.world.hits[path]
            if n <= int(path.rsplit("/", 1)[1]):
                self._send(503, "<title>Service Unavailable</title>")
            else:
                self._send(200, ARTICLE)
        elif path == "/throttle-briefly":
            with self.world.lock:
                n = self.world.hits[path]
            if n == 1:
                self._send(429, "slow down", headers={"Retry-After": "1"})
            else:
                self._send(200, ARTICLE)
        elif path == "/pages/kazakhstan.htm":
            self._send(200, CITATION_PAGE)
        elif path == "/plain.txt":
            self._send(200, "just text", "text/plain")
        elif path == "/missing":
            self._send(404, "<title>404 Not Found</title>")
        elif path == "/gone":
            self._send(410, "<title>Gone</title>")
        elif path == "/error":
            self._send(500, "<title>Internal Server Error</title>")
        elif path == "/throttle":
            self._send(429, "slow down", headers={"Retry-After": "120"})
        elif path == "/private":
            self._send(401, "<title>Login</title>", headers={"WWW-Authenticate": "Basic"})
        elif path == "/forbidden":
            self._send(403, "<title>Forbidden</title>")
        elif path == "/wall":
            self._send(503, BOT_WALL)
        elif path == "/soft":
            self._send(200, NOT_FOUND_200)
        elif path == "/ru-soft":
            self._send(200, RU_NOT_FOUND, "text/html")
        elif path == "/parked":
            self._send(200, PARKED)
        elif path == "/old":
            self._redirect(301, "/article/new-home")
        elif path == "/old-to-other":
            self._redirect(301, "/drifted-article")
        elif path == "/https-same":
            self._redirect(301, "/https-same/")
        elif path == "/https-same/":
            self._send(200, ARTICLE)
        elif path == "/temp":
            self._redirect(302, "/article/today")
        elif path.startswith("/deep/"):
            self._redirect(301, "/")
        elif path == "/members-only/report":
            self._redirect(302, "/login?next=/members-only/report")
        elif path == "/login":
            self._send(200, "<title>Sign in</title><form></form>")
        elif path == "/loop-a":
            self._redirect(302, "/loop-b")
        elif path == "/loop-b":
            self._redirect(302, "/loop-a")
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            self._redirect(302, f"/chain/{n + 1}")
        elif path == "/to-mailto":
            self._redirect(302, "mailto:editor@example.org")
        elif path == "/to-file":
            self._redirect(302, "file:///etc/passwd")
        elif path == "/to-ftp":
            self._redirect(301, "ftp://ftp.example.org/pub/report.pdf")
        elif path == "/giant-location":
            self._redirect(302, "/article/" + "a" * 200_000)  # past any sane header limit
        elif path.startswith("/raw/"):
            # answers that are not HTTP: a status line without a number, or no status line
            raw = {
                "/raw/bad-status": b"HTTP/1.1 abc Weird\r\nContent-Length: 0\r\n\r\n",
                "/raw/no-status": b"<html>hello</html>\r\n\r\n",
                "/raw/http09": b"HTTP/9.9 200 OK\r\nContent-Length: 2\r\n\r\nok",
            }[path]
            self.wfile.write(raw)
            self.close_connection = True
        elif path == "/invalid-utf8":
            body = ARTICLE.encode().replace(b"<p>When", b"<p>\xff\xfe\xc3(When")
            self._send(200, body, "text/html; charset=utf-8")
        elif path == "/mislabelled":
            self._send(200, RU_NOT_FOUND, "text/html; charset=utf-8")  # really windows-1251
        elif path == "/drip":
            # headers at once, then a byte every 0.3 s: a read timeout alone never fires
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
        elif path == "/endless-headers":
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(60):
                    self.wfile.write(f"X-Filler-{i}: {'y' * 50}\r\n".encode())
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
            self.close_connection = True
        elif path.startswith("/bomb."):  # /bomb.gzip, /bomb.deflate, /bomb.br
            encoding = path.rsplit(".", 1)[1]
            self._send(200, bomb(encoding), "text/html", headers={"Content-Encoding": encoding})
        elif path == "/gzipped.html":
            body = gzip.compress(ARTICLE.encode())
            self._send(200, body, "text/html; charset=utf-8", headers={"Content-Encoding": "gzip"})
        elif path == "/huge.html":
            self._stream(50 * 1024 * 1024, "text/html")
        elif path == "/big.pdf":
            self._stream(50 * 1024 * 1024, "application/pdf")
        elif path.startswith("/slow"):
            time.sleep(3.0)
            self._send(200, ARTICLE)
        elif path.startswith("/pause"):
            time.sleep(0.2)
            self._send(200, ARTICLE)
        elif path == "/reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(404, "<title>404 Not Found</title>")
