"""Benchmark: `monitor status` and the weekly report on a database of a million cited URLs.

    .venv/bin/python bench/scale_db.py                     # 1,000,000 URLs, 5,000,000 checks
    .venv/bin/python bench/scale_db.py --urls 100000 --keep

Generates, inside PostgreSQL with generate_series (a minute or two, not hours of Python),
a realistic database in its own schema (`bench_scale`): 200 pages citing 1M URLs over
10,000 hosts, five weekly checks per URL (90% alive, then dead, failing, recovered, moved,
transient and blocked in the shares a large bibliography shows), a verified access date for
every alive citation's last two checks, and archive fallbacks for the dead. Then times
each command in a fresh process and reports its wall time and peak memory (RSS).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.store import open_store  # noqa: E402

PG = os.environ.get("MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# status by URL id: 90% alive, 4% dead, 2% failing, 1% recovered, 1% moved, 1% transient,
# 1% blocked (the last verdict follows the status)
SHAPE = """
CASE WHEN g % 100 < 90 THEN 'alive' WHEN g % 100 < 94 THEN 'dead' WHEN g % 100 < 96 THEN
'failing' WHEN g % 100 = 96 THEN 'recovered' WHEN g % 100 = 97 THEN 'moved'
WHEN g % 100 = 98 THEN 'transient' ELSE 'blocked' END
"""


def generate(url: str, n: int, checks: int) -> None:
    store = open_store(url)  # creates the schema through the migrations
    store.close()
    eng = create_engine(url)
    with eng.begin() as c:
        t = time.perf_counter()
        c.execute(
            text(
                "INSERT INTO document (source, kind, format, title, first_ingested_at,"
                " last_ingested_at) SELECT 'https://library.example/guide/' || d, 'url', 'html',"
                " 'Guide ' || d, now(), now() FROM generate_series(1, 200) d"
            )
        )
        c.execute(
            text(
                f"""INSERT INTO url (url, host, first_seen_at, next_due_at, last_checked_at,
                last_verdict, last_http_status, last_reason, last_good_at, first_failure_at,
                consecutive_failures, status, status_since)
                SELECT 'https://h' || (g % 10000) || '.example/report/' || g, 'h' || (g % 10000)
                || '.example', now() - interval '60 days', now() + (g % 7) * interval '1 day',
                now() - interval '1 day', s.v, CASE WHEN s.v IN ('dead','failing') THEN 404
                ELSE 200 END, CASE WHEN s.v IN ('dead','failing') THEN 'HTTP 404' ELSE 'ok'
                END, now() - interval '1 day', CASE WHEN s.v IN ('dead','failing') THEN now()
                - interval '20 days' END, CASE WHEN s.v = 'dead' THEN 3 WHEN s.v = 'failing'
                THEN 1 ELSE 0 END, CASE WHEN s.v = 'moved' THEN 'alive' WHEN s.v = 'transient'
                THEN 'alive' WHEN s.v = 'blocked' THEN 'alive' ELSE s.v END,
                now() - (g % 40) * interval '1 day'
                FROM generate_series(1, {n}) g, LATERAL (SELECT {SHAPE} AS v) s"""
            )
        )
        c.execute(
            text(
                "INSERT INTO citation (document_id, url_id, key, position, title, publisher,"
                " raw_url, stamps, stamped_on, first_seen_at, last_seen_at)"
                " SELECT (id % 200) + 1, id, url, id, 'Report ' || id, 'Publisher ' || (id % 997),"
                ' url, \'[{"raw": "[accessed 16 February 2011]", "date": "2011-02-16",'
                " \"precision\": \"day\"}]', '2011-02-16', now() - interval '60 days', now()"
                " FROM url"
            )
        )
        c.execute(
            text(
                "INSERT INTO run (started_at, finished_at, status, checked, counts)"
                f" SELECT now() - k * interval '7 days', now() - k * interval '7 days',"
                f" 'done', {n}, '{{}}' FROM generate_series(0, {checks - 1}) k"
            )
        )
        c.execute(
            text(
                f"""INSERT INTO url_check (url_id, run_id, checked_at, verdict, reason,
                http_status, redirect_chain, elapsed_ms, status, failures, attempts)
                SELECT u.id, k + 1, now() - k * interval '7 days' - interval '1 day',
                CASE WHEN k = 0 THEN u.last_verdict ELSE 'alive' END,
                CASE WHEN k = 0 THEN u.last_reason ELSE 'ok' END,
                CASE WHEN k = 0 THEN u.last_http_status ELSE 200 END, '[]', 120,
                CASE WHEN k = 0 THEN u.status WHEN k = 1 AND u.status = 'dead' THEN 'failing'
                ELSE 'alive' END, CASE WHEN k = 0 THEN u.consecutive_failures ELSE 0 END, 1
                FROM url u, generate_series(0, {checks - 1}) k"""
            )
        )
        c.execute(
            text(
                """INSERT INTO verified_access (citation_id, check_id, accessed_on)
                SELECT c.id, ch.id, (ch.checked_at)::date FROM citation c
                JOIN url_check ch ON ch.url_id = c.url_id
                WHERE ch.verdict = 'alive' AND ch.checked_at > now() - interval '15 days'"""
            )
        )
        c.execute(
            text(
                "UPDATE citation SET verified_on = v.day FROM (SELECT citation_id,"
                " max(accessed_on) AS day FROM verified_access GROUP BY citation_id) v"
                " WHERE v.citation_id = citation.id"
            )
        )
        c.execute(
            text(
                """INSERT INTO archive_link (url_id, archive_url, captured_at, source,
                first_seen_at, endpoint, verified, verify_reason, verified_at)
                SELECT id, 'https://web.archive.org/web/20110216000000/' || url,
                '2011-02-16', 'lookup', now(), 'internet-archive', true, 'ok', now()
                FROM url WHERE status = 'dead'"""
            )
        )
        print(f"generated in {time.perf_counter() - t:.0f} s", flush=True)
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    eng.dispose()


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of one command in a fresh process."""
    probe = (
        "import resource, subprocess, sys, time;"
        "t = time.perf_counter();"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        " r.returncode, repr(r.stderr[-300:]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.split(" ", 3)
    return float(out[0]), int(out[1]) / 1024, f"exit {out[2]} {out[3].strip()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--urls", type=int, default=1_000_000)
    ap.add_argument("--checks", type=int, default=5, help="checks per URL (weekly)")
    ap.add_argument("--schema", default="bench_scale")
    ap.add_argument("--keep", action="store_true", help="reuse the generated schema if present")
    args = ap.parse_args()

    admin = create_engine(PG)
    with admin.begin() as c:
        exists = c.execute(
            text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"),
            {"s": args.schema},
        ).first()
        if exists and not args.keep:
            c.execute(text(f'DROP SCHEMA "{args.schema}" CASCADE'))
        if not exists or not args.keep:
            c.execute(text(f'CREATE SCHEMA "{args.schema}"'))
    url = f"{PG}?options=-csearch_path%3D{args.schema}"
    if not (exists and args.keep):
        generate(url, args.urls, args.checks)
    with admin.connect() as c:
        rows = {
            t: c.execute(text(f'SELECT count(*) FROM "{args.schema}".{t}')).scalar_one()
            for t in ("url", "citation", "url_check", "verified_access")
        }
    print("rows:", ", ".join(f"{t} {n:,}" for t, n in rows.items()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATABASE__URL"] = url
    monitor = [sys.executable, "-m", "monitor", "--config", os.devnull]
    with tempfile.TemporaryDirectory() as out:
        cases = {
            "status --brief": ["status", "--brief"],
            "report (md)": ["report", "--format", "md", "--out", f"{out}/r.md"],
            "report (all four formats)": ["report", "--format", "all", "--out", out],
        }
        print(f"{'command':28} {'seconds':>8} {'peak MB':>8}")
        for name, argv in cases.items():
            secs, mb, how = timed(monitor + argv, env)
            print(f"{name:28} {secs:8.1f} {mb:8.0f}   {how}", flush=True)
        for f in sorted(Path(out).iterdir()):
            print(f"  {f.name}: {f.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
