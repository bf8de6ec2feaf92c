"""The world `bench/throughput.py` checks: N cited URLs over H loopback hosts, a citation
page that cites them all, and a server (nginx, or a Python server with delays).

URL i lives on host i % H (127.0.0.2, 127.0.0.3, ...). 85% of the URLs are article pages,
12% are missing (404) and 3% are old addresses that redirect permanently to their page.
Only K distinct article files exist (`--distinct`, report/0.html .. report/{K-1}.html): the
article URL i is /report/{i}-{i % K}.html and serves file i % K, so a world of a million URLs
needs no million files. Every URL of a host stays in one directory (/report/), as before
distinct files, so monitor's random-sibling probe (one per directory and host) costs what it
did. The citation page is an <ol> under <h2>Sources</h2>, one <li> a URL as users write them:
`<a href="URL">Title</a>, Publisher, 17 Nov 05 [accessed 16 February 2011]`, the title that
of the page the URL serves. It is written to a file (for `monitor check` / `ingest` and
lychee) and served as /index.html on 127.0.0.1 (for the crawlers): the same URLs for all.
"""

from __future__ import annotations

import asyncio
import functools
import html
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pagegen import article, size_of, title_of

PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Report {n}</title></head><body>"
    "<h1>Report {n}</h1><p>{text}</p></body></html>"
)
TEXT = "Findings of the annual survey of the region, with tables, maps and a summary. " * 20
PUBLISHERS = [
    "Institute for Reporting", "The Daily Ledger", "Regional Survey Office",
    "Human Rights Monitor", "Eurasia Review", "National Statistics Agency",
    "The Morning Post", "Centre for Policy Studies", "Radio Free Steppe",
]  # fmt: skip
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip


def kind_of(i: int) -> str:
    """85% pages, 12% missing, 3% moved, spread over the hosts."""
    k = (i * 37) % 100
    return "missing" if k < 12 else "old" if k < 15 else "page"


def page_html(j: int, size: str) -> str:
    """Article file j: the old 1.6 KB page (size `tiny`), realistic, or `size` bytes."""
    if size == "tiny":
        return PAGE.format(n=j, text=TEXT)
    return article(j, size_of(j) if size == "realistic" else int(size))


def link_title(j: int, size: str) -> str:
    return f"Report {j}" if size == "tiny" else title_of(j)


def path_of(i: int, distinct: int) -> str:
    j = i % distinct
    return {"missing": f"/missing/{i}.html", "old": f"/old/{i}-{j}",
            "page": f"/report/{i}-{j}.html"}[kind_of(i)]  # fmt: skip


def addr(h: int) -> str:
    """Loopback address of host h (127.0.0.2 up; past 250 hosts, 127.0.1.2 and on)."""
    return f"127.0.{h // 250}.{h % 250 + 2}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"the test server did not open port {port}")


def citation(i: int, url: str, title: str) -> str:
    """One <li> as users write a source: link, publisher, date, access date."""
    rnd = random.Random(i * 31 + 5)
    year = rnd.randint(2001, 2010)
    published = f"{rnd.randint(1, 28)} {MONTHS[rnd.randrange(12)][:3]} {year % 100:02d}"
    accessed = f"{rnd.randint(1, 28)} {rnd.choice(MONTHS)} {rnd.randint(year + 1, 2012)}"
    publisher = PUBLISHERS[i % len(PUBLISHERS)]
    return (f'<li><a href="{html.escape(url)}">{html.escape(title)}</a>, {publisher}, '
            f"{published} [accessed {accessed}]</li>\n")  # fmt: skip


def page_lines(urls: list[str], distinct: int, size: str, first: int = 0) -> Iterator[str]:
    """A citation page of `urls`, which are citations `first`, `first` + 1, ... of the world."""
    yield ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
           "<title>Trafficking in the region: a review</title></head><body>"
           "<h1>Trafficking in the region: a review</h1>"
           "<p>What the surveys, court records and press of the decade say.</p>"
           "<h2>Sources</h2>\n<ol>\n")  # fmt: skip
    for i, u in enumerate(urls, first):
        yield citation(i, u, link_title(i % distinct, size))
    yield "</ol>\n</body></html>\n"


@dataclass
class World:
    urls: list[str]
    truth: dict[str, bool]  # url -> fine (missing = broken; pages and moved ones fine)
    index: str  # the citation page, served: http://127.0.0.1:PORT/index.html
    pages: list[Path]  # the citation page as files: `--pages P` spreads the citations over P
    hosts: int
    distinct: int
    server: str
    stop: object  # the server: a Popen (nginx) or a multiprocessing.Process

    @property
    def page(self) -> Path:
        """The citation page, a file (the first, when the citations fill several)."""
        return self.pages[0]

    @property
    def per_host(self) -> int:
        return -(-len(self.urls) // self.hosts)

    def close(self) -> None:
        if isinstance(self.stop, subprocess.Popen):
            self.stop.send_signal(signal.SIGQUIT)
            self.stop.wait(10)
        else:
            self.stop.terminate()  # type: ignore[attr-defined]


def make_urls(n: int, hosts: int, distinct: int, port: int) -> list[str]:
    return [f"http://{addr(i % hosts)}:{port}{path_of(i, distinct)}" for i in range(n)]


def write_pages(tmp: Path, urls: list[str], distinct: int, size: str, pages: int = 1) -> list[Path]:
    """The citations as `pages` pages of consecutive ones (one page: page.html). A million
    citations are a site's many pages, not one page of 190 MB (over ingest's page limit)."""
    per = -(-len(urls) // pages)
    out = []
    for k in range(pages):
        part = urls[k * per : (k + 1) * per]
        if part:
            path = tmp / ("page.html" if pages == 1 else f"page-{k + 1}.html")
            with path.open("w") as fh:
                fh.writelines(page_lines(part, distinct, size, k * per))
            out.append(path)
    return out


def nginx_world(
    tmp: Path, n: int, hosts: int, distinct: int = 2000, size: str = "realistic", pages: int = 1
) -> World:
    if shutil.which("nginx") is None:
        if os.geteuid() != 0:
            sys.exit("nginx is not installed: apt-get install nginx (or use --latency)")
        print("installing nginx from Debian ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    distinct = min(distinct, n)
    port = free_port()
    tmp.chmod(0o755)  # nginx's workers run as nobody
    www = tmp / "www"
    (www / "report").mkdir(parents=True)
    for j in range(distinct):
        (www / "report" / f"{j}.html").write_text(page_html(j, size))
    urls = make_urls(n, hosts, distinct, port)
    files = write_pages(tmp, urls, distinct, size, pages)
    shutil.copyfile(files[0], www / "index.html")
    listens = "\n".join(f"listen {addr(h)}:{port};" for h in range(hosts))
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off; keepalive_requests 100000; default_type text/html;
  client_body_temp_path {tmp}/cb; proxy_temp_path {tmp}/px; fastcgi_temp_path {tmp}/fc;
  uwsgi_temp_path {tmp}/uw; scgi_temp_path {tmp}/sc;
  server {{
    listen 127.0.0.1:{port}; {listens}
    root {www};
    location /report/ {{ rewrite ^/report/\\d+-(\\d+)\\.html$ /report/$1.html break; return 404; }}
    location /old/ {{ rewrite ^/old/(\\d+-\\d+)$ /report/$1.html permanent; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)])
    wait_port(port)
    truth = {u: kind_of(i) != "missing" for i, u in enumerate(urls)}
    return World(urls, truth, f"http://127.0.0.1:{port}/index.html", files, hosts,
                 distinct, "nginx", proc)  # fmt: skip


Answer = tuple[bytes, bytes, bytes]  # status ("200 OK"), extra header lines, body


async def answer_requests(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    answer: Callable[[str], Awaitable[Answer]],
    content_type: bytes = b"text/html",
) -> None:
    """Serve one keep-alive connection: each request's path to `answer`, its answer sent
    back, until the client goes. The benchmarks' Python servers differ only in `answer`."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            status, extra, body = await answer(head.split(b" ", 2)[1].decode())
            length = f"Content-Length: {len(body)}\r\n\r\n".encode()
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type + b"\r\n"
                         + extra + length + body)  # fmt: skip
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


def _serve(port: int, hosts: int, distinct: int, size: str, lo: float, hi: float,
           index: Path) -> None:  # fmt: skip
    rnd = random.Random(1)
    index_body = index.read_bytes()
    body_of = functools.lru_cache(maxsize=4096)(lambda j: page_html(j, size).encode())
    missing = b"<title>404 Not Found</title>"

    async def answer(path: str) -> Answer:
        """The nginx world's answers, after the server's delay."""
        await asyncio.sleep(rnd.uniform(lo, hi))
        name = path.rsplit("/", 1)[-1].removesuffix(".html")
        i, _, j = name.partition("-")
        if path == "/index.html":
            return b"200 OK", b"", index_body
        if not (i.isdigit() and j.isdigit() and int(j) < distinct):
            return b"404 Not Found", b"", missing
        if path == f"/old/{name}":
            return b"301 Moved Permanently", f"Location: /report/{name}.html\r\n".encode(), b""
        if path == f"/report/{name}.html":
            return b"200 OK", b"", body_of(int(j))
        return b"404 Not Found", b"", missing

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer_requests(reader, writer, answer)

    async def main() -> None:
        for a in ["127.0.0.1", *(addr(h) for h in range(hosts))]:
            await asyncio.start_server(handle, a, port, backlog=4096)
        await asyncio.Event().wait()

    asyncio.run(main())


def python_world(
    tmp: Path, n: int, hosts: int, distinct: int, size: str, latency: str, pages: int = 1
) -> World:
    lo, hi = (float(x) / 1000 for x in latency.split("-"))
    distinct = min(distinct, n)
    port = free_port()
    urls = make_urls(n, hosts, distinct, port)
    files = write_pages(tmp, urls, distinct, size, pages)
    proc = mp.Process(target=_serve, args=(port, hosts, distinct, size, lo, hi, files[0]),
                      daemon=True)  # fmt: skip
    proc.start()
    wait_port(port)
    truth = {u: kind_of(i) != "missing" for i, u in enumerate(urls)}
    return World(urls, truth, f"http://127.0.0.1:{port}/index.html", files, hosts,
                 distinct, f"python, {latency} ms", proc)  # fmt: skip
