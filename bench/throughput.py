"""Benchmark: monitor (embedded and distributed) against LinkChecker and linkinator on the
same URL list, the same local servers, in the same run.

    .venv/bin/python bench/throughput.py                       # 10,000 URLs, 200 hosts, nginx
    .venv/bin/python bench/throughput.py --page-size 10000     # every page 10 KB (a bucket)
    .venv/bin/python bench/throughput.py --page-size tiny      # the old 1.6 KB pages
    .venv/bin/python bench/throughput.py --urls 100000 --hosts 1000
    .venv/bin/python bench/throughput.py --latency 20-150      # Python server with delays
    .venv/bin/python bench/throughput.py --polite --urls 2000 --hosts 100   # default politeness
    .venv/bin/python bench/throughput.py --only monitor,linkinator

The world: N URLs over H loopback addresses (127.0.0.2...), served by nginx from Debian
(installed with apt-get when missing and we are root) or, with --latency, by a Python
asyncio server that answers each request after a random delay. 85% of the URLs are
article pages, 12% are missing (404) and 3% are old addresses that redirect permanently.
Pages are realistic (bench/pagegen.py: head, navigation, article, footer; log-normal sizes
with a median near 30 KB and a tail to 256 KiB), or all of one size (--page-size), or the
1.6 KB pages of earlier figures (--page-size tiny). An index page on 127.0.0.1 links to
them all, each link titled as its page: every tool starts from that page.

Each tool runs as a child of a small probe process, which reports its wall time, CPU
seconds (user + system, all its processes) and peak memory twice: the largest single
process (getrusage) and the sum over all its processes at the worst moment (sampled from
/proc every 50 ms), so a tool that fans out over processes does not look smaller. The
verdicts of each tool are compared with the truth (missing = broken, others = fine).
Peers are installed on first use into bench/.tools (LinkChecker from PyPI into its own
venv, linkinator from npm).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from pagegen import article, size_of, title_of  # noqa: E402

TOOLS = ROOT / "bench" / ".tools"
PG = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Report {n}</title></head><body>"
    "<h1>Report {n}</h1><p>{text}</p></body></html>"
)
TEXT = "Findings of the annual survey of the region, with tables, maps and a summary. " * 20


def kind_of(i: int) -> str:
    """85% pages, 12% missing, 3% moved, spread over the hosts."""
    k = (i * 37) % 100
    return "missing" if k < 12 else "old" if k < 15 else "page"


SIZE = "realistic"  # set by --page-size


def page_html(i: int) -> str:
    if SIZE == "tiny":
        return PAGE.format(n=i, text=TEXT)
    size = size_of(i) if SIZE == "realistic" else int(SIZE)
    return article(i, size)


def link_title(i: int) -> str:
    return f"Report {i}" if SIZE == "tiny" else title_of(i)


def path_of(i: int) -> str:
    return {"missing": f"/missing/{i}.html", "old": f"/old/{i}", "page": f"/report/{i}.html"}[
        kind_of(i)
    ]


@dataclass
class World:
    urls: list[str]
    truth: dict[str, bool]  # url -> fine
    index: str
    per_host: int
    stop: object


def addr(h: int) -> str:
    """Loopback address of host h (127.0.0.2 up; past 250 hosts, 127.0.1.2 and on)."""
    return f"127.0.{h // 250}.{h % 250 + 2}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_files(www: Path, n: int) -> None:
    (www / "report").mkdir(parents=True)
    for i in range(n):
        if kind_of(i) != "missing":
            (www / "report" / f"{i}.html").write_text(page_html(i))


def index_html(urls: list[str]) -> str:
    links = "\n".join(f'<p><a href="{u}">{link_title(i)}</a></p>' for i, u in enumerate(urls))
    return f"<!DOCTYPE html><html><head><title>Sources</title></head><body>{links}</body></html>"


def nginx_world(tmp: Path, n: int, hosts: int) -> World:
    if shutil.which("nginx") is None:
        if os.geteuid() != 0:
            sys.exit("nginx is not installed: apt-get install nginx (or use --latency)")
        print("installing nginx from Debian ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "nginx"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
    port = free_port()
    tmp.chmod(0o755)  # nginx's workers run as nobody
    www = tmp / "www"
    build_files(www, n)
    urls = [f"http://{addr(i % hosts)}:{port}{path_of(i)}" for i in range(n)]
    (www / "index.html").write_text(index_html(urls))
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
    location /old/ {{ rewrite ^/old/(\\d+)$ /report/$1.html permanent; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)])
    wait_port(port)
    return World(urls, {u: kind_of(i) != "missing" for i, u in enumerate(urls)},
                 f"http://127.0.0.1:{port}/index.html", -(-n // hosts), proc)  # fmt: skip


def wait_port(port: int) -> None:
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"the test server did not open port {port}")


def _serve(port: int, hosts: int, n: int, lo: float, hi: float, index: bytes) -> None:
    rnd = random.Random(1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(rnd.uniform(lo, hi))
                extra = b""
                if path == "/index.html":
                    status, body = b"200 OK", index
                elif path.startswith("/old/"):
                    status, body = b"301 Moved Permanently", b""
                    extra = f"Location: /report/{path[5:]}.html\r\n".encode()
                elif path.startswith("/report/"):
                    i = path[8:].removesuffix(".html")
                    status, body = b"200 OK", page_html(int(i)).encode()
                else:
                    status, body = b"404 Not Found", b"<title>404 Not Found</title>"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html\r\n" + extra
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)  # fmt: skip
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        for a in ["127.0.0.1", *(addr(h) for h in range(hosts))]:
            await asyncio.start_server(handle, a, port, backlog=4096)
        await asyncio.Event().wait()

    asyncio.run(main())


def python_world(n: int, hosts: int, latency: str) -> World:
    lo, hi = (float(x) / 1000 for x in latency.split("-"))
    port = free_port()
    urls = [f"http://{addr(i % hosts)}:{port}{path_of(i)}" for i in range(n)]
    proc = mp.Process(
        target=_serve, args=(port, hosts, n, lo, hi, index_html(urls).encode()), daemon=True
    )
    proc.start()
    wait_port(port)
    return World(urls, {u: kind_of(i) != "missing" for i, u in enumerate(urls)},
                 f"http://127.0.0.1:{port}/index.html", -(-n // hosts), proc)  # fmt: skip


# ------------------------------------------------------------------------- measuring

PROBE = """
import json, resource, subprocess, sys, time, os, signal, threading
spec = json.loads(sys.argv[1])
peak = [0]
stop = threading.Event()


def tree_rss():
    kids = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(pid))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, list(kids.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def sample():
    while not stop.wait(0.05):
        peak[0] = max(peak[0], tree_rss())


threading.Thread(target=sample, daemon=True).start()
t0 = time.perf_counter()
bg = [subprocess.Popen(c, env=spec["env"], cwd=spec["cwd"], stdout=subprocess.DEVNULL,
      stderr=subprocess.DEVNULL, start_new_session=True) for c in spec["background"]]
r = subprocess.run(spec["main"], env=spec["env"], cwd=spec["cwd"], capture_output=True)
wall = time.perf_counter() - t0
for p in bg:  # SIGINT: py-spy (when profiling) writes its stacks, a worker stops cleanly
    os.killpg(p.pid, signal.SIGINT)
for p in bg:
    p.wait()
stop.set()
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": u.ru_utime + u.ru_stime,
                  "rss": u.ru_maxrss / 1024, "tree": peak[0] / 1024, "code": r.returncode,
                  "out": r.stdout.decode("utf-8", "replace"),
                  "err": r.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def measure(main: list[str], env: dict[str, str], cwd: Path, before: list[list[str]] = (),
            background: list[list[str]] = ()) -> dict:  # fmt: skip
    """`main`'s wall time, and CPU and peak memory of it and `background` (every process
    of theirs). The `before` steps (an ingest) run first, outside the probe: their CPU and
    memory are not the run's."""
    for step in before:
        b = subprocess.run(step, capture_output=True, text=True, env=env, cwd=cwd)
        if b.returncode:
            sys.exit(f"{' '.join(step[-2:])} failed (exit {b.returncode}): {b.stderr[-1500:]}")
    spec = {"main": main, "env": env, "cwd": str(cwd), "background": list(background)}
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(spec)], capture_output=True,
                         text=True)  # fmt: skip
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout)


def monitor_env(db: str, polite: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {
        "MONITOR_ALLOW_NETWORKS": "127.0.0.0/8",
        "MONITOR_DATABASE__URL": db,
        "MONITOR_CHECK__CONTACT": "mailto:bench@example.org",
        "MONITOR_ARCHIVE__ENDPOINTS": "[]",
        "MONITOR_CHECK__RETRIES": "0",
    }
    if not polite:  # the per-host rate must not bind: the tool's own speed is measured
        env |= {
            "MONITOR_CHECK__PER_HOST_RATE": "0",
            "MONITOR_CHECK__PER_HOST_CONCURRENCY": "8",
            "MONITOR_CHECK__CONCURRENCY": "128",
        }
    return env


def monitor_verdicts(env: dict[str, str], cwd: Path) -> dict[str, bool]:
    out = subprocess.run([sys.executable, "-m", "monitor", "--config", os.devnull, "status",
                          "--format", "json"], env=env, cwd=cwd, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    return {r["url"]: r["verdict"] in ("alive", "moved") for r in json.loads(out) if r["url"]}


def profiled(cmd: list[str], profile: Path | None, name: str) -> list[str]:
    """cmd under py-spy (sampling, so the timing stays close), writing collapsed stacks
    (one line per stack: `bench/profile_top.py`, speedscope or flamegraph.pl read them)."""
    if profile is None:
        return cmd
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        sys.exit("--profile needs py-spy: .venv/bin/pip install -e '.[bench]'")
    profile.mkdir(parents=True, exist_ok=True)
    return [spy, "record", "--subprocesses", "--rate", "250", "--format", "raw", "--output",
            str(profile / f"{name}.txt"), "--", *cmd]  # fmt: skip


def run_monitor(
    world: World, tmp: Path, polite: bool, profile: Path | None = None, recheck: bool = False
) -> tuple[dict, dict[str, bool]]:
    db = f"sqlite:///{tmp / 'embedded.sqlite'}"
    env = monitor_env(db, polite)
    m = [sys.executable, "-m", "monitor", "--config", os.devnull, "-q"]
    res = measure(profiled([*m, "run", "--all"], profile, "monitor"), env, tmp,
                  before=[[*m, "ingest", world.index]])  # fmt: skip
    if recheck:  # the same world again: what a weekly re-check costs when pages stand still
        again = measure(profiled([*m, "run", "--all"], profile, "monitor-recheck"), env, tmp)
        import sqlite3

        with sqlite3.connect(tmp / "embedded.sqlite") as conn:
            (run,) = conn.execute("SELECT max(run_id) FROM url_check").fetchone()
            # pages still there: alive, or moved (a 304 after the same redirects counts)
            n304, alive = conn.execute(
                "SELECT sum(http_status = 304), sum(verdict IN ('alive', 'moved')) FROM url_check"
                " WHERE run_id = ?", (run,),
            ).fetchone()  # fmt: skip
        res["recheck"] = {**again, "n304": n304, "alive": alive}
    return res, monitor_verdicts(env, tmp)


def run_distributed(
    world: World, tmp: Path, polite: bool, workers: int, profile: Path | None = None
) -> tuple[dict, dict]:
    from sqlalchemy import create_engine, text

    schema = "bench_fleet"
    admin = create_engine(PG)
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        c.execute(text(f"CREATE SCHEMA {schema}"))
    db = f"{PG}?options=-csearch_path%3D{schema}"
    env = monitor_env(db, polite) | {
        "MONITOR_DISTRIBUTED__POLL_SECONDS": "0.5",
        "MONITOR_DISTRIBUTED__MAX_BATCH": "500",
    }
    m = [sys.executable, "-m", "monitor", "--config", os.devnull, "-q"]
    res = measure(profiled([*m, "dispatch", "--every", "0.5", "--until-done"], profile,
                           "dispatcher"), env, tmp,
                  before=[[*m, "ingest", world.index]],
                  background=[profiled([*m, "worker"], profile, f"worker{w}")
                              for w in range(workers)])  # fmt: skip
    verdicts = monitor_verdicts(env, tmp)
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    return res, verdicts


def ensure_linkinator() -> Path:
    exe = TOOLS / "node" / "node_modules" / ".bin" / "linkinator"
    if not exe.exists():
        (TOOLS / "node").mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "linkinator@7"], cwd=TOOLS / "node",
                       check=True)  # fmt: skip
    return exe


def ensure_linkchecker() -> Path:
    exe = TOOLS / "linkchecker" / "bin" / "linkchecker"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS / "linkchecker")], check=True)
        subprocess.run([str(TOOLS / "linkchecker" / "bin" / "pip"), "install", "-q",
                        "linkchecker==10.6.0"], check=True)  # fmt: skip
    return exe


def run_linkinator(world: World, tmp: Path) -> tuple[dict, dict[str, bool]]:
    exe = ensure_linkinator()
    res = measure([str(exe), world.index, "--concurrency", "100", "--format", "csv"],
                  dict(os.environ), tmp)  # fmt: skip
    verdicts = {row["url"]: row["state"] == "OK" for row in csv.DictReader(io.StringIO(res["out"]))}
    return res, verdicts


def run_linkchecker(world: World, tmp: Path) -> tuple[dict, dict[str, bool]]:
    exe = ensure_linkchecker()
    res = measure([str(exe), "--check-extern", "-r", "1", "--no-robots", "-t", "100", "-v", "-o",
                   "csv", "--no-status", world.index], dict(os.environ), tmp)  # fmt: skip
    lines = [ln for ln in res["out"].splitlines() if not ln.startswith("#")]
    verdicts = {
        row["urlname"]: row["valid"] == "True"
        for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";")
    }
    return res, verdicts


def accuracy(world: World, verdicts: dict[str, bool]) -> tuple[float, int]:
    seen = [u for u in world.urls if u in verdicts]
    right = sum(verdicts[u] == world.truth[u] for u in seen)
    return right / len(world.urls), len(seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument(
        "--page-size", default="realistic",
        help="realistic (log-normal, median 30 KB), tiny (1.6 KB), or bytes",
    )  # fmt: skip
    ap.add_argument("--latency", help="ms range, e.g. 20-150: the Python server, not nginx")
    ap.add_argument("--polite", action="store_true", help="monitor's default per-host limits")
    ap.add_argument("--workers", type=int, default=2, help="distributed mode workers")
    ap.add_argument(
        "--recheck", action="store_true",
        help="run monitor twice over the same world (the second: conditional requests)",
    )  # fmt: skip
    ap.add_argument("--only", default="monitor,distributed,linkinator,linkchecker")
    ap.add_argument("--profile", type=Path, metavar="DIR",
                    help="run monitor and the workers under py-spy; stacks into DIR")  # fmt: skip
    args = ap.parse_args()
    global SIZE
    SIZE = args.page_size
    tools = args.only.split(",")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        world = (
            python_world(args.urls, args.hosts, args.latency)
            if args.latency
            else nginx_world(tmp, args.urls, args.hosts)
        )
        try:
            results = {}
            for tool in tools:
                work = tmp / tool
                work.mkdir()
                print(f"{tool} ...", flush=True)
                if tool == "monitor":
                    results[tool] = run_monitor(
                        world, work, args.polite, args.profile, args.recheck
                    )
                elif tool == "distributed":
                    results[tool] = run_distributed(
                        world, work, args.polite, args.workers, args.profile
                    )
                elif tool == "linkinator":
                    results[tool] = run_linkinator(world, work)
                elif tool == "linkchecker":
                    results[tool] = run_linkchecker(world, work)
        finally:
            if isinstance(world.stop, subprocess.Popen):
                world.stop.send_signal(signal.SIGQUIT)
                world.stop.wait(10)
            else:
                world.stop.terminate()  # type: ignore[attr-defined]
    server = f"python, {args.latency} ms" if args.latency else "nginx"
    rate = "default politeness (1/s, 2 per host)" if args.polite else "per-host limits lifted"
    print(f"\n{args.urls:,} URLs over {args.hosts} hosts ({server}); monitor: {rate}")
    bound = world.per_host / 1.0 if args.polite else None
    base = results.get("linkinator", (None,))[0]
    print(f"pages: {SIZE}")
    print(f"{'tool':12} {'seconds':>8} {'URLs/s':>8} {'CPU ms/URL':>10} {'peak MB':>8} "
          f"{'all procs':>9} {'accuracy':>9} {'vs linkinator':>14}"
          + ("  vs bound" if bound else ""))  # fmt: skip
    for tool, (res, verdicts) in results.items():
        acc, seen = accuracy(world, verdicts)
        speed = args.urls / res["wall"]
        ratio = f"{speed / (args.urls / base['wall']):.2f}x speed" if base else "-"
        line = (f"{tool:12} {res['wall']:8.1f} {speed:8.0f} {res['cpu'] / args.urls * 1000:10.2f}"
                f" {res['rss']:8.0f} {res['tree']:9.0f} {acc:9.1%} {ratio:>14}")  # fmt: skip
        if bound:
            line += f"  {res['wall'] / bound:.2f}x"
        if seen < args.urls:
            line += f"  (reported {seen:,} of {args.urls:,} URLs; exit {res['code']})"
        print(line, flush=True)
    if bound:
        print(f"politeness bound: {world.per_host} URLs per host at 1 request/s = {bound:.0f} s")
    if "monitor" in results and "recheck" in results["monitor"][0]:
        first, again = results["monitor"][0], results["monitor"][0]["recheck"]
        print(f"monitor re-check of the same world: {again['wall']:.1f} s "
              f"({first['wall'] / again['wall']:.1f}x faster than the first pass), "
              f"{again['cpu'] / args.urls * 1000:.2f} CPU ms/URL; {again['n304']:,} of "
              f"{again['alive']:,} pages still there (alive or moved) answered 304 "
              f"({again['n304'] / max(1, again['alive']):.0%})")  # fmt: skip


if __name__ == "__main__":
    main()
