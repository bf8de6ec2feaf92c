"""The maintainer's decisions on the command line: `ignore`, `accept`, `override`,
`decisions` (registered on the `monitor` group by `monitor.app.cli`)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from monitor import api
from monitor.app import output
from monitor.core import safe
from monitor.core.errors import EXIT_OK


@click.command()
@click.argument("pattern")
@click.option("--reason", help="Why, for the next maintainer.")
@click.option("--by", help="Who decided (default: $USER).")
@click.option("--remove", is_flag=True, help="Undo the ignore of exactly this PATTERN.")
@click.pass_obj
def ignore(app: Any, pattern: str, reason: str | None, by: str | None, remove: bool) -> None:
    """Never check URLs matching PATTERN again: a URL, or a glob like '*.example.org/*'.
    Ignored links are listed as such in the report."""
    if remove:
        undone = api.unignore(app.existing_store, pattern)
        click.echo(f"ignore of {pattern} undone ({len(undone)} decision(s))")
    else:
        d, mine, total = api.ignore(app.existing_store, pattern, reason, by)
        said = f"matches {mine} cited URL(s)" if mine else "matches no cited URL (yet)"
        click.echo(f"decision {d.id}: ignore {pattern}: {said}; {total} ignored in all")
    sys.exit(EXIT_OK)


@click.command()
@click.argument("url")
@click.option("--archive", "archive_url", help="This snapshot (default: the verified one).")
@click.option("--replace", "replace_url", help="A new address for a moved or replaced source.")
@click.option("--reason", help="Why, for the next maintainer.")
@click.option("--by", help="Who decided (default: $USER).")
@click.pass_obj
def accept(
    app: Any,
    url: str,
    archive_url: str | None,
    replace_url: str | None,
    reason: str | None,
    by: str | None,
) -> None:
    """Take the suggested snapshot, another snapshot, or a new address for URL; `monitor
    patch` then writes exactly that."""
    d = api.accept(app.existing_store, url, archive_url, replace_url, reason, by)
    what = f"new address {d.replace_url}" if d.replace_url else f"snapshot {d.archive_url}"
    click.echo(f"decision {d.id}: {d.url} -> {what}")
    sys.exit(EXIT_OK)


@click.command()
@click.argument("url")
@click.argument("verdict")
@click.option("--reason", required=True, help="Why: the machine says otherwise.")
@click.option(
    "--until", type=click.DateTime(["%Y-%m-%d"]), help="Until this day (default: always)."
)
@click.option("--by", help="Who decided (default: $USER).")
@click.pass_obj
def override(
    app: Any, url: str, verdict: str, reason: str, until: dt.datetime | None, by: str | None
) -> None:
    """A human's verdict for URL (a false positive: `alive`, "the site blocks bots"). Checks
    go on; the report shows the human verdict with the machine's beside it."""
    day = until.date() if until else None
    d = api.override(app.existing_store, url, verdict, reason, day, by)
    click.echo(f"decision {d.id}: {d.url} is {d.verdict} ({d.reason})")
    sys.exit(EXIT_OK)


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--undo", "undo_id", type=click.IntRange(1, 2**62), help="Undo decision ID.")
@click.option("--all", "everything", is_flag=True, help="Undone and expired ones too.")
@click.pass_obj
def decisions(app: Any, fmt: str, undo_id: int | None, everything: bool) -> None:
    """The decisions taken: who, when, why; `--undo ID` takes one back."""
    if undo_id is not None:
        d = api.undo(app.existing_store, undo_id)
        click.echo(f"decision {d.id} ({d.kind}) undone")
        sys.exit(EXIT_OK)
    kept = app.existing_store.decisions
    rows = kept.all() if everything else kept.active()
    if fmt == "json":
        click.echo(safe.json_dumps([d.as_json() for d in rows], indent=2))
    else:
        for d in rows:
            app.out.print(output.decision_line(d))
        if not rows:
            click.echo("no decisions yet")
    sys.exit(EXIT_OK)


COMMANDS = (ignore, accept, override, decisions)
