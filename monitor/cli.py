"""The `monitor` command line: a thin layer over monitor.api.

Exit codes (documented in the README):
    0  every checked link is alive (or the command had nothing to judge)
    1  some links are not alive
    2  usage, configuration or input error (bad option, unreadable file, bad config)
    3  network outage suspected: nothing was judged (`monitor run`)
    4  internal error (a bug: please report it with the output of --verbose)
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import OperationalError

from monitor import __version__, api
from monitor.check import CheckResult
from monitor.config import ConfigError, Settings, load_settings
from monitor.due import Status, describe, rule_of
from monitor.extract import FORMATS
from monitor.ingest import SourceResult
from monitor.stamps import AccessStamp
from monitor.store import Store, StoreError, open_store
from monitor.verdict import Verdict

EXIT_OK, EXIT_NOT_ALIVE, EXIT_USAGE, EXIT_OUTAGE, EXIT_INTERNAL = 0, 1, 2, 3, 4
log = logging.getLogger("monitor")


class UserError(click.ClickException):
    """An error the user can fix; printed as one line, exit code 2."""

    exit_code = EXIT_USAGE

    def show(self, file: Any = None) -> None:
        click.echo(f"monitor: error: {self.format_message()}", err=True)


class App:
    """Per-invocation state: options, lazily loaded settings and store."""

    def __init__(self, config: str | None, verbose: int, quiet: bool) -> None:
        self.config_path = config
        self.verbose = verbose
        self.quiet = quiet
        self._settings: Settings | None = None
        self._store: Store | None = None
        self.out = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except ConfigError as exc:
                raise UserError(str(exc)) from None
            log.info("configuration from %s", self._settings.source)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                self._store = open_store(self.settings.database.url)
            except StoreError as exc:
                raise UserError(str(exc)) from None
        return self._store

    def note(self, message: str) -> None:
        """A human message on stderr, silenced by --quiet."""
        if not self.quiet:
            self.err.print(message)

    @contextmanager
    def progress(self, label: str) -> Iterator[Callable[[int | None], Callable[..., None]]]:
        """A progress bar on stderr, only when stderr is a terminal and not --quiet."""
        if self.quiet or not self.err.is_terminal:
            yield lambda total: lambda *_: None
            return
        bar = Progress(
            TextColumn(label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        with bar:
            task = bar.add_task(label, total=None)

            def start(total: int | None) -> Callable[..., None]:
                bar.update(task, total=total)
                return lambda *_: bar.advance(task)

            yield start


def _problems(app: App, problems: list[SourceResult]) -> None:
    for p in problems:
        click.echo(f"monitor: {p.source}: {p.error}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    help="Config file (default: $MONITOR_CONFIG, else ./config.toml if present).",
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only results and errors.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: one JSON object per log line (for journald/ELK).",
)
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config: str | None, verbose: int, quiet: bool, log_format: str) -> None:
    """Link-rot and access-date monitor for citation pages."""
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler(sys.stderr)
    text = logging.Formatter("%(levelname)s %(name)s: %(message)s")
    handler.setFormatter(JsonFormatter() if log_format == "json" else text)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    ctx.obj = App(config, verbose, quiet)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


# ---------------------------------------------------------------- check

_CSV_FIELDS = [
    "url", "verdict", "http_status", "final_url", "reason", "checked_at", "elapsed_ms",
    "error_class", "status", "failures", "title_score", "changed", "attempts", "archive_url",
    "archive_captured_at", "archive_verified", "archive_reason", "citations",
]  # fmt: skip


def _emit_results(app: App, rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=_CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            flat = dict(row)
            flat["citations"] = " | ".join(c["title"] or "" for c in row["citations"])
            w.writerow(flat)
        click.echo(buf.getvalue(), nl=False)
    else:
        colours = {"alive": "green", "moved": "cyan", "transient": "yellow", "blocked": "yellow"}
        for row in rows:
            v = row["verdict"]
            status = row["http_status"] if row["http_status"] is not None else "-"
            app.out.print(
                f"[{colours.get(v, 'red')}]{v:9}[/] {status!s:>3}  {escape(row['url'])}  "
                f"[dim]{escape(row['reason'])}[/]"
            )


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
    help="Output format (json: one array; jsonl: one object per line).",
)
@click.option(
    "--input-format",
    type=click.Choice(FORMATS),
    help="Read FILE arguments as this format instead of detecting it.",
)
@click.option(
    "--archive",
    is_flag=True,
    help="Find verified archive copies of dead, soft-404 and drifted links too.",
)
@click.pass_obj
def check(
    app: App, targets: tuple[str, ...], fmt: str, input_format: str | None, archive: bool
) -> None:
    """Check URLs, or the cited URLs of page FILEs, now; no database.

    TARGETS are URLs, page files or directories; `-` reads URLs/page text from stdin.
    """
    items = list(targets)
    tmp: Path | None = None
    if "-" in items:
        data = sys.stdin.buffer.read()
        import tempfile

        with tempfile.NamedTemporaryFile("wb", suffix=".txt", delete=False) as fh:
            fh.write(data)
            tmp = Path(fh.name)
        items = [str(tmp) if i == "-" else i for i in items]
    try:
        found = api.collect_targets(items, app.settings, input_format)
    finally:
        if tmp:
            tmp.unlink(missing_ok=True)
    _problems(app, found.problems)
    for reason, n in sorted(found.skipped.items()):
        app.note(f"skipped {n} link(s): {reason}")
    if not found.urls:
        if found.problems:
            sys.exit(EXIT_USAGE)
        app.note("no checkable URLs found")
        sys.exit(EXIT_OK)
    with app.progress("checking") as start:
        advance = start(len(found.urls))
        results = api.check(found.urls, app.settings, on_result=advance, titles=found.titles)
    fallbacks = {}
    if archive and app.settings.archive.endpoints:
        with app.progress("archives") as start:
            start(None)
            fallbacks = asyncio.run(api.check_archives(results, found, app.settings))
    rows = []
    for r in results:
        fb = fallbacks.get(r.url)
        if fb is not None and fb.chosen is not None:
            extra = (fb.chosen.archive_url, fb.chosen.capture.captured_at, True, fb.reason)
        elif fb is not None:
            extra = (found.archive_urls.get(r.url), None, False, fb.reason)
        else:
            extra = (found.archive_urls.get(r.url), None, None, None)
        rows.append(r.as_json(found.citations.get(r.url), *extra))
    _emit_results(app, rows, fmt)
    _summary(app, Counter(r.verdict.value for r in results))
    sys.exit(_exit_code(results, found.problems))


def _exit_code(results: list[CheckResult], problems: list[SourceResult]) -> int:
    if problems:
        return EXIT_USAGE
    return EXIT_OK if all(r.verdict is Verdict.ALIVE for r in results) else EXIT_NOT_ALIVE


def _summary(app: App, counts: Counter[str]) -> None:
    """Most frequent first; ties in the verdicts' own order, not in the order results
    happened to arrive (which concurrency makes random)."""
    if counts:
        rank = {v.value: i for i, v in enumerate(Verdict)}
        ordered = sorted(counts.items(), key=lambda vn: (-vn[1], rank.get(vn[0], len(rank))))
        parts = ", ".join(f"{v} {n}" for v, n in ordered)
        app.note(f"{sum(counts.values())} checked: {parts}")


# ---------------------------------------------------------------- ingest / run


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="Read every source as this format."
)
@click.pass_obj
def ingest(app: App, sources: tuple[str, ...], fmt: str | None) -> None:
    """Store the citations of pages: files, directories of pages, or page URLs."""
    results = api.ingest(app.store, sources, app.settings, fmt)
    failed = [r for r in results if not r.ok]
    _problems(app, failed)
    for r in results:
        if r.stats is None:
            continue
        st = r.stats
        click.echo(
            f"{r.source}: {r.format}, {st.citations} citations "
            f"({st.linked} linked, {st.unlinked} unlinked); "
            f"{st.added} new, {st.updated} updated, {st.unchanged} unchanged, "
            f"{st.removed} removed; {st.archive_links} new archive links"
        )
        for reason, n in sorted(st.skipped.items()):
            app.note(f"  skipped {n} link(s): {reason}")
        if st.citations == 0:
            app.note(f"  no citations recognised in {r.source}")
    sys.exit(EXIT_USAGE if failed else EXIT_OK)


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check every cited URL, due or not.")
@click.option(
    "--once",
    is_flag=True,
    help="Cron mode: check what is due, then write the weekly report when its time has come.",
)
@click.pass_obj
def run(app: App, everything: bool, once: bool) -> None:
    """Check every cited URL that is due now and store the results.

    Refuses to start while another monitor (`serve`, or another `run`) uses the database.
    """
    from monitor.lock import InstanceLock, LockError
    from monitor.service import report_if_due

    store, settings = app.store, app.settings
    try:
        lock = InstanceLock(store).acquire()
    except LockError as exc:
        raise UserError(str(exc)) from None
    try:
        with app.progress("checking") as start:
            holder: dict[str, Callable[..., None]] = {}

            def on_start(n: int) -> None:
                holder["advance"] = start(n)

            try:
                summary = api.run(
                    store,
                    settings,
                    everything=everything,
                    on_start=on_start,
                    on_result=lambda r: holder["advance"](),
                )
            except KeyboardInterrupt:
                app.note("interrupted: results checked so far are stored")
                sys.exit(130)
        log.info("run %d: %d due, %s", summary.run_id, summary.due, dict(summary.counts))
        if once and (written := report_if_due(store, settings, dt.datetime.now(dt.UTC))):
            app.note(f"report written to {written}")
    finally:
        lock.release()
    if summary.due == 0:
        app.note("nothing due; `monitor run --all` checks everything now")
    else:
        _summary(app, summary.counts)
    if summary.archives and (summary.archives.lookups or summary.archives.page_links):
        _archive_summary(app, summary.archives)
    if summary.outage:
        click.echo(
            f"monitor: network outage suspected ({summary.outage}): no link was counted as "
            "failing; they will be checked again next run",
            err=True,
        )
        sys.exit(EXIT_OUTAGE)
    sys.exit(EXIT_OK if summary.all_alive else EXIT_NOT_ALIVE)


@cli.command()
@click.pass_obj
def serve(app: App) -> None:
    """Run as a daemon: check what is due every few minutes, re-read page URLs daily,
    write the weekly report, prune old checks. Stops cleanly on SIGTERM/SIGINT."""
    from monitor.lock import LockError
    from monitor.service import serve_forever

    if app.settings.distributed.enabled:
        _distributed(app)  # fail now, clearly, not at the first dispatch
    if app.verbose == 0:
        logging.getLogger("monitor").setLevel(logging.INFO)  # a daemon says what it does
    try:
        serve_forever(app.store, app.settings)
    except LockError as exc:
        raise UserError(str(exc)) from None
    sys.exit(EXIT_OK)


def _distributed(app: App) -> Any:
    """The distributed module, or a clear message when its extra or PostgreSQL is missing."""
    try:
        from monitor import distributed
    except ImportError as exc:
        raise UserError(str(exc)) from None
    try:
        distributed.conninfo(app.settings.database.url)
    except distributed.DistributedError as exc:
        raise UserError(str(exc)) from None
    return distributed


@cli.command()
@click.option("--concurrency", type=int, help="Host batches at once ([distributed] default).")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty instead of waiting.")
@click.pass_obj
def worker(app: App, concurrency: int | None, burst: bool) -> None:
    """Check host batches queued by `monitor dispatch` (distributed mode, PostgreSQL).

    Run as many as you like, on any machines that reach the database; one host is never
    checked by two workers at once. Stops cleanly on SIGTERM/SIGINT.
    """
    dist = _distributed(app)
    if app.verbose == 0:
        logging.getLogger("monitor").setLevel(logging.INFO)
    try:
        asyncio.run(dist.run_worker(app.settings, app.store, concurrency, wait=not burst))
    except dist.DistributedError as exc:
        raise UserError(str(exc)) from None
    sys.exit(EXIT_OK)


@cli.command()
@click.option("--every", type=float, help="Dispatch again every this many seconds (a daemon).")
@click.option(
    "--until-done",
    is_flag=True,
    help="Keep dispatching until nothing is due and every queued batch is finished.",
)
@click.pass_obj
def dispatch(app: App, every: float | None, until_done: bool) -> None:
    """Queue one batch per host of the URLs due now, for `monitor worker`s to check.

    Also hands back the batches of workers that died (no heartbeat) and closes finished runs.
    """
    dist = _distributed(app)

    def said(s: Any) -> None:
        if s.jobs or s.retried or s.closed_runs or not (every or until_done):
            app.note(
                f"queued {s.urls} URLs in {s.jobs} host batches"
                + (f" (run {s.run_id})" if s.run_id else "")
                + f"; {s.active} batches queued or running"
                + (f"; {s.hosts_waiting} hosts still waiting" if s.hosts_waiting else "")
                + (f"; {s.retried} batches of dead workers handed back" if s.retried else "")
                + (f"; run {', '.join(map(str, s.closed_runs))} finished" if s.closed_runs else "")
            )

    try:
        asyncio.run(dist.dispatch(app.settings, app.store, every, until_done, said))
    except dist.DistributedError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(EXIT_OK)


def _archive_summary(app: App, summary: api.ArchiveSummary) -> None:
    for fb in summary.lookups:
        where = fb.chosen.archive_url if fb.chosen else "no verified copy"
        app.note(f"archive: {fb.url} -> {where} ({fb.reason})")
    for link, v in summary.page_links:
        app.note(f"archive link on the page {'works' if v.ok else 'fails'}: {link} ({v.reason})")
    app.note(
        f"archive lookups: {len(summary.lookups)}, verified copies found: {summary.found}; "
        f"page archive links verified: {sum(v.ok for _, v in summary.page_links)} of "
        f"{len(summary.page_links)}"
    )


@cli.command(name="archive")
@click.argument("urls", nargs=-1)
@click.option(
    "--save",
    is_flag=True,
    help="Also request Save Page Now captures of alive links ([archive.save] must be enabled).",
)
@click.pass_obj
def archive_cmd(app: App, urls: tuple[str, ...], save: bool) -> None:
    """Find verified archive copies now: of URLs, or of every dead/soft-404/drifted link.

    Without URLs, links looked up within `archive.lookup_days` are skipped. Archive links
    cited on the pages ("accessible [here]") are verified too.
    """
    from monitor.urls import UrlError

    if not app.settings.archive.endpoints and not save:
        raise UserError("no archive endpoints configured ([[archive.endpoints]])")
    try:
        with app.progress("archives") as start:
            start(None)
            summary = api.archive(app.store, app.settings, list(urls) or None)
    except UrlError as exc:
        raise UserError(f"invalid URL: {exc}") from None
    for fb in summary.lookups:
        if fb.chosen:
            click.echo(
                f"{fb.url}\t{fb.chosen.archive_url}\t{fb.chosen.capture.captured_at:%Y-%m-%d}"
                f"\tverified\t{fb.reason}"
            )
        else:
            click.echo(f"{fb.url}\t-\t-\t{fb.outcome}\t{fb.reason}")
    for link, v in summary.page_links:
        click.echo(f"{link}\t(page link)\t-\t{'works' if v.ok else 'fails'}\t{v.reason}")
    if save:
        if not app.settings.archive.save.enabled:
            raise UserError("Save Page Now is off: set [archive.save] enabled = true")
        for r in asyncio.run(api.save_async(app.store, app.settings)):
            click.echo(
                f"{r.url}\t{r.archive_url or '-'}\tsave\t{'ok' if r.ok else 'failed'}\t{r.reason}"
            )
    sys.exit(EXIT_OK)


# ---------------------------------------------------------------- status / history / report


def _stamps_text(stamps: list[dict[str, Any]]) -> str:
    return ", ".join(AccessStamp.from_dict(s).display() for s in stamps) or "none"


@cli.command()
@click.option("--brief", is_flag=True, help="Only the counts, not every citation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def status(app: App, brief: bool, fmt: str) -> None:
    """Counts by verdict per page, and every citation with its stamps and verdict."""
    store = app.store
    rule = rule_of(app.settings.check)
    if fmt == "json":  # streamed: a million citations never sit in memory at once
        out = click.get_text_stream("stdout")
        out.write("[")
        for n, (c, u, d) in enumerate(store.iter_citation_rows()):
            row = {
                "document": d.source,
                "position": c.position,
                "title": c.title,
                "publisher": c.publisher,
                "stamps": c.stamps,
                "url": u.url if u else None,
                "status": u.status if u else None,
                "failures": u.consecutive_failures if u else None,
                "verdict": u.last_verdict if u else None,
                "reason": u.last_reason if u else None,
                "verified_access": c.verified_on.isoformat() if c.verified_on else None,
            }
            out.write(("\n  " if n == 0 else ",\n  ") + json.dumps(row, ensure_ascii=False))
        out.write("\n]\n")
        return
    counts = store.citation_counts()
    if not counts:
        app.note("no pages yet: `monitor ingest PAGE...` adds some")
        return
    rows = iter(() if brief else store.iter_citation_rows())
    pending = next(rows, None)
    total: Counter[str] = Counter()
    for doc, _, by_status, unlinked in counts:
        here = by_status + Counter({"unlinked": unlinked} if unlinked else {})
        total.update(here)
        parts = ", ".join(f"{k} {n}" for k, n in sorted(here.items())) or "none found"
        app.out.print(
            f"[bold]{escape(doc.source)}[/]  ({doc.format}, {sum(here.values())} citations: "
            f"{parts})"
        )
        while pending is not None and pending[2].id == doc.id:
            c, u, _ = pending
            app.out.print(f"  {c.position:3}. {escape(c.title or '(untitled)')}")
            if c.publisher:
                app.out.print(f"       [dim]{escape(c.publisher)}[/]")
            ver = f"; verified {c.verified_on.isoformat()}" if c.verified_on else ""
            app.out.print(f"       stamps: {_stamps_text(c.stamps)}{ver}")
            if u is not None:
                state = describe(Status(u.status), u.consecutive_failures, rule)
                last = f"; last check {u.last_verdict}: {u.last_reason}" if u.last_verdict else ""
                app.out.print(f"       {escape(u.url)}  {escape(f'[{state}]')}{escape(last)}")
            else:
                app.out.print("       (unlinked citation)")
            pending = next(rows, None)
    parts = ", ".join(f"{k} {n}" for k, n in sorted(total.items()))
    app.out.print(f"total: {sum(total.values())} citations on {len(counts)} page(s): {parts}")
    from monitor.service import scheduler_status

    sched = scheduler_status(store, app.settings)
    jobs = ", ".join(f"{k} {v or '-'}" for k, v in sched["jobs"].items()) or "no daemon yet"  # type: ignore[union-attr]
    app.out.print(
        f"scheduler: last run {sched['last_run'] or 'never'} "
        f"({sched['last_run_checked']} checked); "
        f"due now {sched['due_now']}; last report {sched['last_report'] or 'never'}; "
        f"next: {escape(jobs)}"
    )


@cli.command()
@click.argument("url")
@click.option("--limit", default=50, show_default=True, help="Most recent checks to show.")
@click.pass_obj
def history(app: App, url: str, limit: int) -> None:
    """Every stored check of URL, newest first."""
    from monitor.urls import UrlError, normalise

    try:
        norm = normalise(url)
    except UrlError as exc:
        raise UserError(f"{url}: {exc}") from None
    rec = app.store.url(norm)
    if rec is None:
        raise UserError(f"{norm} is not cited by any ingested page")
    rule = rule_of(app.settings.check)
    state = describe(Status(rec.status), rec.consecutive_failures, rule)
    app.out.print(
        f"[bold]{escape(norm)}[/]: {escape(state)}; next check "
        f"{rec.next_due_at.isoformat(timespec='minutes') if rec.next_due_at else 'now'}"
    )
    for chk in app.store.history(norm, limit):
        code = chk.http_status if chk.http_status is not None else "-"
        app.out.print(
            f"  {chk.checked_at.isoformat(timespec='seconds')}  {chk.verdict:9} {code!s:>3}  "
            f"{chk.elapsed_ms:>6} ms  {escape(chk.status or '-'):10} {escape(chk.reason)}"
        )
        for hop in chk.redirect_chain:
            app.out.print(f"      via {hop['status']} {escape(hop['url'])}")


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "json", "csv", "all"]),
    default="md",
    show_default=True,
    help="all: every format (with --out).",
)
@click.option("--out", "out", type=click.Path(), help="A directory (report-DATE.EXT) or a file.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Period start (default: the previous report).",
)
@click.option("--email", is_flag=True, help="Also send it by e-mail ([report.email]).")
@click.pass_obj
def report(app: App, fmt: str, out: str | None, since: dt.datetime | None, email: bool) -> None:
    """The report: newly dead, recovered, moved, failing (k of N), archive copies, "[here]"
    links that do not work, access dates to refresh, trend per week.

    Written to --out, the report counts as "the previous report" for the next one.
    """
    from monitor.report import build_report, render, send_email
    from monitor.service import REPORT_JOB, write_report

    store, settings = app.store, app.settings
    start = since.replace(tzinfo=dt.UTC) if since else store.job_last(REPORT_JOB)
    now = dt.datetime.now(dt.UTC)
    formats = ["md", "html", "json", "csv"] if fmt == "all" else [fmt]
    try:
        if out and (Path(out).is_dir() or out.endswith("/") or fmt == "all"):
            settings.report.dir = out
            first = write_report(store, settings, now, formats, start)
            app.note(f"report written to {first.parent}")
        else:
            r = build_report(store, rule_of(settings.check), start, settings.report.max_items, now)
            text = render(r, formats[0])
            if out:
                Path(out).parent.mkdir(parents=True, exist_ok=True)
                Path(out).write_text(text, "utf-8")
                store.job_done(REPORT_JOB, now)
                app.note(f"report written to {out}")
            else:
                click.echo(text, nl=False)
            if email:
                send_email(r, settings.report.email)
                app.note(f"report mailed to {', '.join(settings.report.email.to)}")
    except OSError as exc:
        raise UserError(f"cannot write or send the report: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise UserError(str(exc)) from None


@cli.command()
@click.argument("page", type=click.Path(dir_okay=False))
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Where to write (default: PAGE.patched)."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes.")
@click.option(
    "--stamps",
    type=click.Choice(["append", "replace", "older"]),
    default="append",
    show_default=True,
    help="append a new access stamp; replace the newest; or append only when the newest "
    "is older than --older-than days.",
)
@click.option("--older-than", default=365, show_default=True, help="Days, for --stamps older.")
@click.option("--update-moved", is_flag=True, help="Replace moved links by their new address.")
@click.pass_obj
def patch(
    app: App,
    page: str,
    out: str | None,
    show_diff: bool,
    stamps: str,
    older_than: int,
    update_moved: bool,
) -> None:
    """Write a copy of an ingested PAGE with refreshed access stamps and archive notes.

    Alive citations verified since their last stamp get a new stamp in the page's own
    style; dead/soft-404/drifted ones with a verified archive copy get a note with its
    link; "[here]" archive links get their verified state. Every other byte is unchanged.
    """
    from monitor.patch import PatchError, Policy, plan, write

    path = Path(page).expanduser().resolve()
    store = app.store
    doc = store.document_by_source(str(path))
    if doc is None:
        raise UserError(f"{page} has not been ingested (monitor ingest {page})")
    import hashlib

    try:
        current = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise UserError(f"cannot read {page}: {exc.strerror or exc}") from None
    if current != doc.content_hash:
        raise UserError(f"{page} changed since it was ingested; run `monitor ingest {page}` first")
    rows = [(c, u) for c, u, _ in store.citation_rows(doc.id)]
    urls = [u.url for _, u in rows if u is not None]
    policy = Policy(stamps, older_than, update_moved)
    try:
        result = plan(
            path,
            rows,
            store.verified_dates(),
            store.fallbacks(urls),
            store.page_archive_links(doc.id),
            policy,  # type: ignore[arg-type]
        )
    except PatchError as exc:
        raise UserError(str(exc)) from None
    if show_diff:
        click.echo(result.diff(path.name), nl=False)
    if out or not show_diff:
        target = Path(out) if out else path.with_name(path.stem + ".patched" + path.suffix)
        try:
            write(result, target)
        except OSError as exc:
            raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
        kinds = Counter(e.why for e in result.edits)
        app.note(f"{target}: {sum(kinds.values())} change(s): {dict(kinds) or 'none'}")
    sys.exit(EXIT_OK)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_obj
def backup(app: App, path: str, force: bool) -> None:
    """Copy the SQLite database to PATH, consistently, even while `serve` is writing."""
    target = Path(path)
    if target.exists() and not force:
        raise UserError(f"{path} exists; use --force to replace it")
    app.store.backup(target)
    app.note(f"backup written to {path} ({target.stat().st_size:,} bytes)")
    sys.exit(EXIT_OK)


@cli.command(name="export")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@click.pass_obj
def export_cmd(app: App, path: str, force: bool) -> None:
    """Write the whole history as JSON lines (PATH, or - for stdout): pages, citations,
    URLs, every check, verified dates, archive copies. `monitor import` reads it back into
    a new database, SQLite or PostgreSQL."""
    from monitor.transfer import export

    store = app.store
    said = lambda table, n: app.note(f"  {table}: {n:,} rows")  # noqa: E731
    if path == "-":
        n = export(store, click.get_text_stream("stdout"), said)
    else:
        target = Path(path)
        if target.exists() and not force:
            raise UserError(f"{path} exists; use --force to replace it")
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8") as out:
                n = export(store, out, said)
            partial.replace(target)  # never a half-written export under the real name
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    app.note(f"exported {n:,} rows" + ("" if path == "-" else f" to {path}"))
    sys.exit(EXIT_OK)


@cli.command(name="import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_obj
def import_cmd(app: App, path: str) -> None:
    """Load a `monitor export` file into this (new, empty) database, all or nothing."""
    from monitor.transfer import TransferError, import_

    store = app.store
    said = lambda table, n: app.note(f"  {table}: {n:,} rows")  # noqa: E731
    try:
        if path == "-":
            n = import_(store, click.get_text_stream("stdin"), said)
        else:
            with open(path, encoding="utf-8") as src:
                n = import_(store, src, said)
    except TransferError as exc:
        raise UserError(f"{path}: {exc}; nothing was imported") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a UTF-8 text file; nothing was imported") from None
    app.note(f"imported {n:,} rows")
    sys.exit(EXIT_OK)


def database_trouble(exc: OperationalError) -> str:
    """What a database failure means for the user, and that nothing half-written remains:
    every batch is one transaction, so the failed one was rolled back whole."""
    why = str(exc.orig if exc.orig is not None else exc).splitlines()[0]
    low = why.lower()
    if "locked" in low or "busy" in low:
        what = "the database is locked by another program (a long write, a backup tool?)"
    elif "full" in low or "no space" in low or "quota" in low:
        what = "the disk holding the database is full; free some space"
    elif "readonly" in low or "read-only" in low or "permission" in low:
        what = "the database cannot be written (read-only file or directory)"
    elif "unable to open" in low or "connection" in low or "could not connect" in low:
        what = "the database cannot be reached"
    else:
        what = "the database failed"
    return (
        f"{what} ({why}). Nothing half-written was kept: the batch in progress was rolled "
        "back and its URLs stay due; run the command again when this is fixed."
    )


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: turns every failure into a message and an exit code, never a traceback."""
    try:
        cli.main(args=argv, prog_name="monitor", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except (ConfigError, StoreError) as exc:
        click.echo(f"monitor: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except OperationalError as exc:
        click.echo(f"monitor: error: {database_trouble(exc)}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("monitor: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("monitor: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:
        # a database failure inside a run's task group arrives wrapped in an ExceptionGroup
        db = exc.subgroup(OperationalError) if isinstance(exc, BaseExceptionGroup) else None
        if db is not None:
            first: BaseException = db
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            click.echo(f"monitor: error: {database_trouble(first)}", err=True)  # type: ignore[arg-type]
            sys.exit(EXIT_USAGE)
        if logging.getLogger().isEnabledFor(logging.INFO):
            raise
        click.echo(
            f"monitor: internal error: {type(exc).__name__}: {exc} "
            "(run with --verbose for details, and please report it)",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
