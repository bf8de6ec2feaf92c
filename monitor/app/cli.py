"""The `monitor` command line: a thin layer over monitor.api.

Exit codes (documented in the README):
    0  every checked link is alive (or the command had nothing to judge)
    1  some links are not alive
    2  usage, configuration or input error (bad option, unreadable file, bad config)
    3  network outage suspected: nothing was judged (`monitor run`, `monitor check`)
    4  internal error (a bug: please report it with the output of --verbose)
    5  another monitor (`serve`, a `run`) holds the database: try again later
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor import api
from monitor.app import check_options, output
from monitor.core import safe
from monitor.core.errors import (
    EXIT_BUSY,
    EXIT_INTERNAL,
    EXIT_NOT_ALIVE,
    EXIT_OK,
    EXIT_OUTAGE,
    EXIT_USAGE,
    MonitorError,
    UsageError,
)
from monitor.report.formats import NAMES as REPORT_FORMATS  # plain data: no report code
from monitor.version import __version__

log = logging.getLogger("monitor")


class App:
    """Per-invocation state: options, lazily loaded settings and store."""

    def __init__(self, config: str | None, verbose: int, quiet: bool) -> None:
        self.config_path = config
        self.verbose = verbose
        self.quiet = quiet
        self._settings: api.Settings | None = None
        self._store: api.Store | None = None
        # NO_COLOR (no-color.org): no styles at all, not even dim or bold
        plain = {"color_system": None} if os.environ.get("NO_COLOR") else {}
        self.out = Console(highlight=False, soft_wrap=True, **plain)  # type: ignore[arg-type]
        self.err = Console(stderr=True, highlight=False, soft_wrap=True, **plain)  # type: ignore[arg-type]

    @property
    def settings(self) -> api.Settings:
        if self._settings is None:
            self._settings = api.load_settings(self.config_path)
            log.info("configuration from %s", self._settings.source)
        return self._settings

    def _open(self, opener: Callable[[api.Settings], api.Store]) -> api.Store:
        if self._store is None:
            self._store = opener(self.settings)
            # closed with the command, not left to the interpreter's exit (which the
            # `monitor` command skips: `launch.exit_now`): SQLite folds its WAL back in
            ctx = click.get_current_context(silent=True)
            if ctx is not None:
                ctx.find_root().call_on_close(self._store.close)
        return self._store

    @property
    def store(self) -> api.Store:
        """The store for commands that write: created (and migrated) when missing."""
        return self._open(api.open_database)

    @property
    def existing_store(self) -> api.Store:
        """The store for commands that read what is there: a missing SQLite file is an
        error (exit 2), never created."""
        return self._open(api.open_existing)

    def note(self, message: str) -> None:
        """A human message on stderr, silenced by --quiet."""
        if not self.quiet:
            if output.JSON_LOG:
                output.say_err(message)
            else:
                self.err.print(message)

    @contextmanager
    def progress(self) -> Iterator[api.Phase]:
        """Progress bars on stderr, one per phase of the work, only when stderr is a
        terminal and not --quiet."""
        if self.quiet or not self.err.is_terminal:
            yield lambda label, total: lambda *_: None
            return
        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        with bar:

            def phase(label: str, total: int | None) -> Callable[..., None]:
                for earlier in bar.task_ids:
                    bar.update(earlier, visible=False)
                task = bar.add_task(label, total=total)
                return lambda *_: bar.advance(task)

            yield phase


# the commands in the order a maintainer meets them: a one-off check, then the routine
# (ingest, run, status, report, patch), the decisions, the daemon, upkeep
WORKFLOW = (
    "check", "ingest", "run", "status", "history", "report", "patch", "archive", "accept",
    "override", "ignore", "decisions", "serve", "config", "backup", "export", "import",
    "dispatch", "worker",
)  # fmt: skip


class _Workflow(click.Group):
    """`monitor --help` lists the commands in WORKFLOW order, not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        order = {name: n for n, name in enumerate(WORKFLOW)}
        return sorted(super().list_commands(ctx), key=lambda n: (order.get(n, len(order)), n))


@click.group(cls=_Workflow, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    help="Config file (default: $MONITOR_CONFIG, else ./config.toml if present).",
)
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="More logging on stderr: -v info, -vv debug, -vvv the libraries' debug too.",
)
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        output.JsonFormatter() if log_format == "json" else output.text_formatter()
    )
    output.JSON_LOG = log_format == "json"
    # the libraries (alembic, httpx, apscheduler...) stay at WARNING unless -vvv
    logging.basicConfig(
        level=logging.DEBUG if verbose >= 3 else logging.WARNING, handlers=[handler], force=True
    )
    log.setLevel(logging.WARNING - 10 * min(verbose, 2))
    ctx.obj = App(config, verbose, quiet)


def _problems(problems: list[api.SourceResult]) -> None:
    for p in problems:
        output.say_err(f"monitor: {p.source}: {p.error}", "ERROR")


def _summary(app: App, counts: Counter[str]) -> None:
    if line := output.verdict_summary(counts):
        app.note(line)


# ---------------------------------------------------------------- check


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(output.CHECK_FORMATS),
    default="table",
    show_default=True,
    help="Output format (json: one array; jsonl: one object per line; junit: a test suite "
    "per input; markdown: lychee's summary and tables).",
)
@click.option(
    "--input-format",
    type=click.Choice(api.INPUT_FORMATS),
    help="Read FILE arguments as this format instead of detecting it.",
)
@click.option(
    "--archive",
    is_flag=True,
    help="Find verified archive copies of dead, soft-404 and drifted links too.",
)
@check_options.options
@click.pass_obj
def check(
    app: App,
    targets: tuple[str, ...],
    fmt: str,
    input_format: str | None,
    archive: bool,
    **lychee: Any,
) -> None:
    """Check URLs, or the cited URLs of page FILEs, now; no database.

    TARGETS are URLs, page files or directories; `-` reads URLs/page text from stdin.
    Options named as lychee names them (--exclude, --accept, --dump...) mean what they
    mean there.
    """
    opts = check_options.parse(app.settings, targets, Path.cwd(), **lychee)
    with app.progress() as phase:
        done = api.check_command(
            targets, opts.settings, input_format, sys.stdin.buffer, archive, phase, opts.dump
        )
    _problems(done.targets.problems)
    for reason, n in sorted(done.targets.skipped.items()):
        app.note(f"skipped {n} link(s): {reason}")
    if done.excluded:
        app.note(f"excluded {len(done.excluded)} link(s): not checked")
    if opts.dump:
        for url in done.targets.urls:
            click.echo(url)
        sys.exit(EXIT_USAGE if done.targets.problems else EXIT_OK)
    if not done.results:
        if not done.targets.problems:
            app.note("no checkable URLs found")
        sys.exit(EXIT_USAGE if done.targets.problems else EXIT_OK)
    _check_output(app, done, fmt, opts.output)
    _summary(app, done.counts)
    if done.targets.problems:
        sys.exit(EXIT_USAGE)
    if done.outage:
        app.note(f"monitor: {done.outage.split('; not judged')[0]}: no link was judged")
        sys.exit(EXIT_OUTAGE)
    sys.exit(EXIT_OK if done.all_alive else EXIT_NOT_ALIVE)


def _check_output(app: App, done: api.CheckOutcome, fmt: str, path: str | None) -> None:
    """The results in `fmt`, on stdout or into the file of --output."""
    if path is None:
        output.check_rows(app.out, done.rows, fmt, done.excluded)
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            console = Console(file=fh, color_system=None, highlight=False, soft_wrap=True)
            output.check_rows(console, done.rows, fmt, done.excluded)
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write ({exc.strerror or exc})") from None
    app.note(f"results written to {path}")


# ---------------------------------------------------------------- ingest / run


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(api.INPUT_FORMATS),
    help="Read every source as this format.",
)
@click.pass_obj
def ingest(app: App, sources: tuple[str, ...], fmt: str | None) -> None:
    """Store the citations of pages: files, directories of pages, or page URLs."""
    results = api.ingest(app.store, sources, app.settings, fmt)
    failed = [r for r in results if not r.ok]
    _problems(failed)
    for line, notes in output.ingest_lines(results):
        click.echo(line)
        for note in notes:
            app.note(note)
    sys.exit(EXIT_USAGE if failed else EXIT_OK)


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check every cited URL, due or not.")
@click.option(
    "--once",
    is_flag=True,
    help="Cron mode: check what is due, then write the weekly report when its time has come.",
)
@click.option("--init", is_flag=True, help="Create the database when there is none (else: exit 2).")
@click.pass_obj
def run(app: App, everything: bool, once: bool, init: bool) -> None:
    """Check every cited URL that is due now and store the results.

    Refuses to start while another monitor (`serve`, or another `run`) uses the database,
    and, unless --init, when there is no database (a cron job in the wrong directory must
    not report success on an empty one).
    """
    store, settings = (app.store if init else app.existing_store), app.settings
    with app.progress() as phase:
        try:
            summary, written = api.run_command(store, settings, everything, once, phase)
        except KeyboardInterrupt:
            app.note("interrupted: results checked so far are stored")
            sys.exit(130)
    if written:
        app.note(f"report written to {written}")
    if summary.due == 0:
        app.note("nothing due; `monitor run --all` checks everything now")
    else:
        _summary(app, summary.counts)
        if summary.unchanged:
            app.note(f"{summary.unchanged} unchanged since their last good check (HTTP 304)")
    if summary.archives and (summary.archives.lookups or summary.archives.page_links):
        for note in output.archive_notes(summary.archives):
            app.note(note)
    if summary.outage:
        output.say_err(
            f"monitor: network outage suspected ({summary.outage}): no link was counted as "
            "failing; they will be checked again next run",
            "WARNING",
        )
        sys.exit(EXIT_OUTAGE)
    sys.exit(EXIT_OK if summary.all_alive else EXIT_NOT_ALIVE)


@cli.command()
@click.option("--init", is_flag=True, help="Create the database when there is none (else: exit 2).")
@click.pass_obj
def serve(app: App, init: bool) -> None:
    """Run as a daemon: check what is due every few minutes, re-read page URLs daily,
    write the weekly report, prune old checks. Stops cleanly on SIGTERM/SIGINT. Without
    --init, a missing database is an error (exit 2), not a new empty one."""
    if app.verbose == 0:
        logging.getLogger("monitor").setLevel(logging.INFO)  # a daemon says what it does
    if app.settings.distributed.enabled:
        _modes().distributed_mode(app.settings)  # fail now, clearly, not at the first dispatch
    _modes().serve(app.store if init else app.existing_store, app.settings)
    sys.exit(EXIT_OK)


@cli.command()
@click.option("--concurrency", type=int, help="Host batches at once ([distributed] default).")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty instead of waiting.")
@click.pass_obj
def worker(app: App, concurrency: int | None, burst: bool) -> None:
    """Check host batches queued by `monitor dispatch` (distributed mode, PostgreSQL).

    Run as many as you like, on any machines that reach the database; one host is never
    checked by two workers at once. Stops cleanly on SIGTERM/SIGINT.
    """
    _modes().distributed_mode(app.settings)  # before the database: a missing extra says so
    if app.verbose == 0:
        logging.getLogger("monitor").setLevel(logging.INFO)
    _modes().worker(app.store, app.settings, concurrency, burst)
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
    _modes().distributed_mode(app.settings)

    def said(s: Any) -> None:
        if s.jobs or s.retried or s.closed_runs or not (every or until_done):
            app.note(output.dispatch_line(s))

    try:
        _modes().dispatch(app.store, app.settings, every, until_done, said)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(EXIT_OK)


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
    if not app.settings.archive.endpoints and not save:
        raise UsageError("no archive endpoints configured ([[archive.endpoints]])")
    try:
        with app.progress() as phase:
            phase("archives", None)
            summary = api.archive(app.existing_store, app.settings, list(urls) or None)
    except api.UrlError as exc:
        raise UsageError(f"invalid URL: {exc}") from None
    for line in output.archive_lines(summary):
        click.echo(line)
    if save:
        if not app.settings.archive.save.enabled:
            raise UsageError("Save Page Now is off: set [archive.save] enabled = true")
        for line in output.save_lines(api.save(app.existing_store, app.settings)):
            click.echo(line)
    sys.exit(EXIT_OK)


# ---------------------------------------------------------------- status / history / report


@cli.command()
@click.option("--brief", is_flag=True, help="Only the counts, not every citation.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--health", is_flag=True, help="One line; exit 0 healthy, else 1.")
@click.pass_obj
def status(app: App, brief: bool, fmt: str, health: bool) -> None:
    """Counts by verdict per page, and every citation with its stamps and verdict.
    `--brief --format json` is the summary a monitoring system reads (last run, a run in
    progress, due now, reports, counts); `--health` its verdict as an exit code."""
    store, settings = app.existing_store, app.settings
    if health or (brief and fmt == "json"):
        summary = api.status_summary(store, settings)
        if fmt == "json":
            click.echo(safe.json_dumps(summary, indent=2))
        elif health:
            problems = "; ".join(summary["problems"])
            click.echo(f"monitor: {'healthy' if summary['healthy'] else 'unhealthy: ' + problems}")
        sys.exit(EXIT_OK if summary["healthy"] or not health else EXIT_NOT_ALIVE)
    if fmt == "json":
        output.status_json(
            click.get_text_stream("stdout"),
            api.status_summary(store, settings),
            api.status_rows(store, settings),
        )
        return
    view = api.status(store, settings, brief)
    if not view.pages:
        app.note("no pages yet: `monitor ingest PAGE...` adds some")
        return
    output.status_text(app.out, view)


@cli.command("config")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def config_cmd(app: App, fmt: str) -> None:
    """Every effective setting and where it came from: the built-in default, FILE:LINE, or
    the environment variable that overrides the file. Secrets are masked."""
    rows = api.config_origins(app.settings)
    if fmt == "json":
        data = [{"key": o.key, "value": o.value, "source": o.source} for o in rows]
        click.echo(safe.json_dumps(data, indent=2, default=str))
    else:
        output.config_text(app.out, rows)
    sys.exit(EXIT_OK)


@cli.command()
@click.argument("url")
@click.option(
    "--limit",
    type=click.IntRange(1, 1_000_000),
    default=50,
    show_default=True,
    help="Most recent checks to show.",
)
@click.pass_obj
def history(app: App, url: str, limit: int) -> None:
    """Every stored check of URL, newest first."""
    try:
        api.normalise(url)  # a bad URL is said before a missing database
        found = api.history(app.existing_store, app.settings, url, limit)
    except api.UrlError as exc:
        raise UsageError(f"{url}: {exc}") from None
    output.history_text(app.out, found)


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*REPORT_FORMATS, "all"]),
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
@click.option("--force", is_flag=True, help="Replace --out when it is a symbolic link (the link).")
@click.pass_obj
def report(
    app: App, fmt: str, out: str | None, since: dt.datetime | None, email: bool, force: bool
) -> None:
    """The report: what to do first (with the commands), then newly dead, recovered,
    moved, failing (k of N), archive copies, "[here]" links that do not work, access dates
    to refresh, the trend per week and the decisions in force.

    Written to --out, the report counts as "the previous report" for the next one.
    """
    if fmt == "all" and not out:
        raise UsageError("--format all writes one file per format: give --out DIRECTORY")
    start = since.replace(tzinfo=dt.UTC) if since else None
    try:
        done = api.report(app.existing_store, app.settings, fmt, out, start, email, force=force)
    except OSError as exc:
        raise UsageError(f"cannot write or send the report: {exc.strerror or exc}") from None
    if done.text is not None:
        click.echo(done.text, nl=False)
    if done.written is not None:
        app.note(f"report written to {done.written}")
    if done.mailed_to:
        app.note(f"report mailed to {', '.join(done.mailed_to)}")


@cli.command()
@click.argument("page", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Where to write (default: beside the page, page.html -> page.patched.html).",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the changes.")
@click.option(
    "--stamps",
    type=click.Choice(["own", "older", "append", "replace"]),
    default="own",
    show_default=True,
    help="own: keep the page's stamps and one of the monitor's, the latest verified date, "
    "updated in place; older: add a stamp only when the newest is older than --older-than "
    "days; append: add one at every verified date; replace: replace the newest stamp.",
)
@click.option("--older-than", default=365, show_default=True, help="Days, for --stamps older.")
@click.option("--update-moved", is_flag=True, help="Replace moved links by their new address.")
@click.option("--force", is_flag=True, help="Replace --out when it is a symbolic link (the link).")
@click.pass_obj
def patch(
    app: App,
    page: str,
    out: str | None,
    show_diff: bool,
    stamps: str,
    older_than: int,
    update_moved: bool,
    force: bool,
) -> None:
    """Write a copy of an ingested PAGE with refreshed access stamps and archive notes.

    Alive citations verified since their last stamp get a new stamp in the page's own
    style; dead/soft-404/drifted ones with a verified archive copy get a note with its
    link; "[here]" archive links get their verified state. Every other byte is unchanged.
    """
    policy = api.Policy(stamps, older_than, update_moved)
    store = app.existing_store
    done = api.patch_page(
        store, page, policy, out, write_file=bool(out) or not show_diff, force=force
    )
    if show_diff:
        click.echo(done.patch.diff(Path(page).name), nl=False)
    if done.written is not None:
        kinds = done.changes
        app.note(f"{done.written}: {sum(kinds.values())} change(s): {dict(kinds) or 'none'}")
    sys.exit(EXIT_OK)


def _modes() -> Any:
    """The daemon, worker and dispatcher programs, imported by the commands that run them:
    a one-off `check` loads no scheduler and no database layer (its start-up)."""
    from monitor.app import modes

    return modes


def database_trouble(exc: Any) -> str:
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


def _first(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of `kinds` inside (nested) exception groups, else None."""
    if not isinstance(exc, BaseExceptionGroup):
        return None
    found = exc.subgroup(kinds)
    while isinstance(found, BaseExceptionGroup):
        found = found.exceptions[0]
    return found


def _register_decisions() -> None:
    from monitor.app.cli_admin import COMMANDS as ADMIN
    from monitor.app.cli_decisions import COMMANDS

    for command in [*COMMANDS, *ADMIN]:
        cli.add_command(command)


_register_decisions()


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: turns every failure into a message and an exit code, never a traceback.
    Every error a user can cause is a `MonitorError` carrying its exit code; one raised
    inside a task group arrives wrapped in exception groups and is still one."""
    try:
        cli.main(args=argv, prog_name="monitor", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:  # click's own: a bad option, a missing argument
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        output.say_err("monitor: aborted", "ERROR")
        sys.exit(130)
    except KeyboardInterrupt:
        output.say_err("monitor: interrupted", "ERROR")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(EXIT_OK)
    except Exception as exc:
        ours = exc if isinstance(exc, MonitorError) else _first(exc, (MonitorError,))
        if isinstance(ours, MonitorError):
            output.say_err(f"monitor: error: {safe.redact_text(ours)}", "ERROR")
            sys.exit(ours.exit_code)
        from sqlalchemy.exc import OperationalError

        db = exc if isinstance(exc, OperationalError) else _first(exc, (OperationalError,))
        if db is not None:  # the database failed under a command (disk full, gone away)
            trouble = safe.redact_text(database_trouble(db))  # type: ignore[arg-type]
            output.say_err(f"monitor: error: {trouble}", "ERROR")
            # another program holding the database is "try later" (5), like another monitor
            sys.exit(EXIT_BUSY if "locked" in trouble.lower() else EXIT_USAGE)
        if logging.getLogger().isEnabledFor(logging.INFO):
            raise
        output.say_err(
            f"monitor: internal error: {type(exc).__name__}: {safe.redact_text(exc)} "
            "(run with --verbose for details, and please report it)",
            "CRITICAL",
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(EXIT_OK)
