"""A real Wayback-compatible archive for the tests: pywb serving WARC files we write.

Captures of one cited article at several dates, as an archive really holds them: good
copies, a copy whose page no longer carries the cited title, an archived 404, an archived
redirect, an archived "Page not found" served with 200. pywb is started as a subprocess on
127.0.0.1 and stopped at the end of the session.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

KAZAK_URL = "http://iwpr.example/global-voices/kazak-women-sold-sex-slaves"
KAZAK = "Kazak Women Sold as Sex Slaves"
STOPVAW_URL = "http://stopvaw.example/kazakhstan"  # captured only as https://www.

ARTICLE = f"<html><head><title>{KAZAK} | IWPR</title></head><body><h1>{KAZAK}</h1><p>When teenagers Lyuda and Sveta were offered work in Turkey...</p></body></html>"
OTHER = "<html><head><title>IWPR | Site redesign</title></head><body><h1>Our new website</h1><p>We moved our archive.</p></body></html>"
NOT_FOUND = "<html><head><title>Page not found</title></head><body><h1>Page not found</h1><p>The page you requested could not be found.</p></body></html>"

# (timestamp, url, status line, body, extra headers)
CAPTURES = [
    ("2009-03-01T10:00:00Z", KAZAK_URL, "200 OK", ARTICLE, []),
    ("2011-01-10T10:00:00Z", KAZAK_URL, "200 OK", ARTICLE, []),
    ("2011-02-01T10:00:00Z", KAZAK_URL, "200 OK", OTHER, []),  # drifted copy
    ("2012-06-01T10:00:00Z", KAZAK_URL, "404 Not Found", "<title>404</title>", []),
    (
        "2013-01-01T10:00:00Z",
        KAZAK_URL,
        "301 Moved Permanently",
        "",
        [("Location", "http://iwpr.example/")],
    ),
    ("2016-05-01T10:00:00Z", KAZAK_URL, "200 OK", NOT_FOUND, []),  # archived soft-404
    ("2018-01-01T10:00:00Z", KAZAK_URL, "200 OK", ARTICLE, []),
    (
        "2015-07-01T10:00:00Z",
        "https://www.stopvaw.example/kazakhstan",
        "200 OK",
        "<html><head><title>Stop Violence Against Women - Kazakhstan</title></head><body>Country page</body></html>",
        [],
    ),
]


def write_warc(path: Path, extra_captures: list[tuple] = ()) -> None:  # type: ignore[assignment]
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for when, url, status, body, extra in [*CAPTURES, *extra_captures]:
            headers = StatusAndHeaders(
                status, [("Content-Type", "text/html; charset=utf-8"), *extra], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body.encode()),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": when},
            )
            writer.write_record(record)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Pywb:
    def __init__(self, root: Path, extra_captures: list[tuple] | None = None) -> None:
        self.root = root
        self.extra_captures = extra_captures or []
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/kz"

    def endpoint(self, **extra: object) -> dict[str, object]:
        return {
            "name": "test-pywb",
            "cdx": f"{self.base}/cdx",
            "replay": f"{self.base}/{{timestamp}}/{{url}}",
            **extra,
        }

    def start(self) -> None:
        bindir = Path(sys.executable).parent
        warc = self.root / "captures.warc.gz"
        write_warc(warc, self.extra_captures)
        run = {"cwd": self.root, "check": True, "capture_output": True, "timeout": 60}
        subprocess.run([bindir / "wb-manager", "init", "kz"], **run)
        subprocess.run([bindir / "wb-manager", "add", "kz", str(warc)], **run)
        self.proc = subprocess.Popen(
            [bindir / "wayback", "-p", str(self.port), "-b", "127.0.0.1"],
            cwd=self.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("pywb exited at start") from None
                time.sleep(0.2)
        raise RuntimeError("pywb did not start within 30 s")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
