"""Issue 28, item 2: the URL checked is the URL written. A plain TCP server on 127.0.0.1
records each request line as it arrived; a check through either transport, a redirect's
Location and an ingested page's links must reach it byte for byte as the page wrote them
(only what cannot go on the wire, spaces and non-ASCII, percent-encoded as UTF-8)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import api, check
from monitor.core.verdict import Verdict
from monitor.store import open_store
from tests.conftest import make_settings

# (as the page writes it after the host, the request target the server must see)
WRITTEN = [
    (  # Springer's Google Scholar links: %2F, %3A, %2C, %20 inside values; an empty first pair
        "/scholar_lookup?&title=A%20Study%2Fof%20Things&journal=J%3A%20X&author=Vahid%2CB",
        "/scholar_lookup?&title=A%20Study%2Fof%20Things&journal=J%3A%20X&author=Vahid%2CB",
    ),
    ("/s?q=a=b&r=a%3Db&t=a=b=c", "/s?q=a=b&r=a%3Db&t=a=b=c"),  # `=` in values, either way
    ("/s?x=1;y=2&empty=&&flag&plus=a+b%2Bc", "/s?x=1;y=2&empty=&&flag&plus=a+b%2Bc"),
    ("/a%2Fb//c;v=1/%7euser/", "/a%2Fb//c;v=1/%7euser/"),  # %2F, // and ; in the path
    ("/docs/A%20Study%20of%20Things.pdf?dl=%3a", "/docs/A%20Study%20of%20Things.pdf?dl=%3a"),
    ("/über/日本 Ort?q=café ü", "/%C3%BCber/%E6%97%A5%E6%9C%AC%20Ort?q=caf%C3%A9%20%C3%BC"),
]
# /moved answers 302 with this Location, which is followed as written; /moved-raw with one
# in raw UTF-8 with a space, which is followed as a browser follows it
LOCATION = "/landing/J%3A%20X?token=NB%3D&m=a%2Fb%3Ac&q=a=b&&"
RAW_LOCATION = ("/ziel/über uns?q=J%3A X", "/ziel/%C3%BCber%20uns?q=J%3A%20X")
PAGE = (
    b"<html><head><title>A Study of Things</title></head><body><h1>A Study of Things</h1>"
    b"<p>The things were studied at length, and this page says what was found.</p>"
    b"</body></html>"
)


class _Recorder(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lines: list[bytes] = []
        self.pages: dict[bytes, bytes] = {}

    def url(self, target: str = "") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{target}"

    def targets(self) -> list[str]:
        """Request targets as sent (bytes read as latin-1, so nothing is decoded), less
        robots.txt and the checker's random-sibling probes."""
        out = []
        for line in self.lines:
            method, target, version = line.decode("latin-1").split(" ")
            assert (method, version) == ("GET", "HTTP/1.1"), line
            if target != "/robots.txt" and "monitor-probe-" not in target:
                out.append(target)
        return out


class _Handler(socketserver.StreamRequestHandler):
    """One request per connection: the request line recorded, at most 100 header lines
    read, a small page (or a redirect) sent, the connection closed."""

    timeout = 10

    def handle(self) -> None:
        server: _Recorder = self.server  # type: ignore[assignment]
        line = self.rfile.readline(65537).rstrip(b"\r\n")
        if not line:
            return
        server.lines.append(line)
        for _ in range(100):
            if self.rfile.readline(65537) in (b"\r\n", b"\n", b""):
                break
        target = line.split(b" ")[1] if line.count(b" ") == 2 else b""
        if target == b"/robots.txt":
            head, body = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain", b"none"
        elif target == b"/moved":
            head, body = b"HTTP/1.1 302 Found\r\nLocation: " + LOCATION.encode(), b""
        elif target == b"/moved-raw":
            head, body = b"HTTP/1.1 301 Moved\r\nLocation: " + RAW_LOCATION[0].encode(), b""
        elif target in server.pages:
            head, body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html", server.pages[target]
        elif target.startswith(b"/") and b"monitor-probe-" not in target:
            head, body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8", PAGE
        else:
            head, body = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html", b"<p>no</p>"
        length = f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        self.wfile.write(head + length + body)


@pytest.fixture
def recorder() -> Iterator[_Recorder]:
    server = _Recorder()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=30)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_check_requests_each_url_exactly_as_written(recorder: _Recorder, transport: str) -> None:
    settings = make_settings(transport=transport)
    results = check([recorder.url(written) for written, _ in WRITTEN], settings)
    assert {r.url for r in results} == {recorder.url(sent) for _, sent in WRITTEN}
    assert all(r.verdict is Verdict.ALIVE for r in results), [(r.url, r.reason) for r in results]
    assert sorted(recorder.targets()) == sorted(sent for _, sent in WRITTEN)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_redirect_is_followed_to_its_location_as_written(
    recorder: _Recorder, transport: str
) -> None:
    moved, raw = check(
        [recorder.url("/moved"), recorder.url("/moved-raw")], make_settings(transport=transport)
    )
    assert sorted(recorder.targets()) == sorted(["/moved", LOCATION, "/moved-raw", RAW_LOCATION[1]])
    assert moved.final_url == recorder.url(LOCATION)
    assert raw.final_url == recorder.url(RAW_LOCATION[1])


def test_an_ingested_page_stores_its_links_as_written(recorder: _Recorder, tmp_path: Path) -> None:
    """A saved page (absolute links) and a page fetched from its URL (relative links,
    resolved against it): the store holds each link as the page wrote it."""
    settings = make_settings()
    entry = '<p><a href="{}"><b>Study {}</b></a><br>Publisher, 2005<br>Retrieved 1 May 2020</p>'
    saved = tmp_path / "page.html"
    links = "".join(
        entry.format(recorder.url(written).replace("&", "&amp;"), i)
        for i, (written, _) in enumerate(WRITTEN)
    )
    saved.write_text(f"<html><head><title>Sources</title></head><body>{links}</body></html>")
    relative = "".join(
        entry.format(("../.." + written).replace("&", "&amp;"), i)
        for i, (written, _) in enumerate(WRITTEN)
    )
    recorder.pages[b"/citing/pages/sources.html"] = (
        f"<html><head><title>Sources</title></head><body>{relative}</body></html>".encode()
    )
    store = open_store(f"sqlite:///{tmp_path / 'monitor.sqlite'}")
    try:
        results = api.ingest(store, [str(saved)], settings)
        results += api.ingest(store, [recorder.url("/citing/pages/sources.html")], settings)
        assert all(r.error is None for r in results), results
        rows = store.pages.citation_rows()
    finally:
        store.close()
    expected = {recorder.url(sent) for _, sent in WRITTEN}
    by_page: dict[str, set[str]] = {}
    for _citation, url, doc in rows:
        by_page.setdefault(doc.source, set()).add(url.url if url else "")
    assert list(by_page.values()) == [expected, expected], by_page
