"""`monitor check`'s lychee options: their click declarations and the parsing of their
values into settings (`api.with_check_options`). Every bad value is a `UsageError`: one line,
exit 2, naming the option.

    --exclude/--include REGEX   lychee's filter (include wins); ignore files add excludes
    --timeout, --max-concurrency, --max-redirects, --header "Name: value", --accept RANGES
    --dump                      the URLs that would be checked, nothing requested
    --output FILE               the formatted results go there instead of stdout
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from monitor import api
from monitor.core.errors import UsageError

# read from the working directory and from beside each page given as input, as lychee reads
# its .lycheeignore: one regular expression a line, `#` comments and blank lines skipped
IGNORE_FILES = (".lycheeignore", ".monitorignore")
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def parse_header(text: str) -> tuple[str, str]:
    """`Name: value` -> (name, value); a header without ':' or with a bad name is a
    UsageError."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep:
        raise UsageError(f"--header {text!r}: expected 'Name: value'")
    if not _HEADER_NAME.fullmatch(name):
        raise UsageError(f"--header {text!r}: {name!r} is not an HTTP header name")
    if "\r" in value or "\n" in value:
        raise UsageError(f"--header {name}: a value may not hold a line break")
    return name, value


def parse_accept(text: str) -> str:
    """lychee's `--accept` ranges, checked (`200..=299,403`); UsageError when malformed."""
    try:
        api.accepted_statuses(text)
    except ValueError as exc:
        raise UsageError(f"--accept {text!r}: {exc}") from None
    return text


def check_regexes(option: str, patterns: Iterable[str], where: str = "") -> list[str]:
    """The patterns, each compiled once to say which is not a regular expression."""
    out = []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(
                f"{where or option} {pattern!r}: not a regular expression ({exc})"
            ) from None
        out.append(pattern)
    return out


def read_ignore_file(path: Path) -> list[str]:
    """The patterns of one ignore file: a regular expression a line, blank lines and
    `#` comments skipped; an unreadable file or a bad pattern is a UsageError."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ignore file ({exc})") from None
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        pattern = line.strip()
        if pattern and not pattern.startswith("#"):
            out += check_regexes("--exclude", [pattern], where=f"{path}, line {n}:")
    return out


def ignore_files(targets: Iterable[str], cwd: Path) -> list[Path]:
    """The ignore files that apply: in `cwd`, then beside each page file (in each directory)
    given as a target; each once."""
    dirs = [cwd]
    for t in targets:
        if t == "-" or "://" in t:
            continue
        p = Path(t)
        if p.is_dir():
            dirs.append(p)
        elif p.is_file():
            dirs.append(p.parent)
    seen: dict[Path, Path] = {}
    for d in dirs:
        for name in IGNORE_FILES:
            f = d / name
            if f.is_file():
                seen.setdefault(f.resolve(), f)
    return list(seen.values())


def ignore_patterns(targets: Iterable[str], cwd: Path) -> list[str]:
    """Every pattern of the ignore files that apply (`ignore_files`)."""
    return [p for f in ignore_files(targets, cwd) for p in read_ignore_file(f)]


def options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The lychee-named options, added to the `check` command."""
    decorators = [
        click.option(
            "--exclude",
            multiple=True,
            metavar="REGEX",
            help="Do not check URLs matching REGEX (repeatable); they are listed as excluded. "
            ".lycheeignore / .monitorignore files in the working directory and beside a page "
            "add patterns, one a line.",
        ),
        click.option(
            "--include",
            multiple=True,
            metavar="REGEX",
            help="Check only URLs matching REGEX (repeatable); wins over --exclude.",
        ),
        click.option(
            "--timeout",
            type=float,
            metavar="SECONDS",
            help="Give up on one URL after this long, redirects included [config: 45].",
        ),
        click.option(
            "--max-concurrency",
            type=int,
            metavar="N",
            help="Requests in flight at most, over all hosts [config: 64].",
        ),
        click.option(
            "--max-redirects",
            type=int,
            metavar="N",
            help="Redirects followed at most [config: 20].",
        ),
        click.option(
            "--header",
            "headers",
            multiple=True,
            metavar='"NAME: VALUE"',
            help="Send this header with every request to a checked URL's host (repeatable).",
        ),
        click.option(
            "--accept",
            metavar="RANGES",
            help="HTTP statuses judged alive although monitor would say dead, blocked or "
            "transient, lychee's syntax: 200..=299,403 (2xx content verdicts stay).",
        ),
        click.option(
            "--dump", is_flag=True, help="Print the URLs that would be checked; request nothing."
        ),
        click.option(
            "--output",
            "output_file",
            type=click.Path(dir_okay=False),
            metavar="FILE",
            help="Write the formatted results to FILE instead of stdout.",
        ),
    ]
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


@dataclass
class CheckOptions:
    """The options, parsed: the settings they make, and what to do with the results."""

    settings: api.Settings
    dump: bool = False
    output: str | None = None


def parse(
    settings: api.Settings,
    targets: Iterable[str],
    cwd: Path,
    *,
    exclude: Iterable[str] = (),
    include: Iterable[str] = (),
    timeout: float | None = None,
    max_concurrency: int | None = None,
    max_redirects: int | None = None,
    headers: Iterable[str] = (),
    accept: str | None = None,
    dump: bool = False,
    output_file: str | None = None,
) -> CheckOptions:
    """The options as given to `monitor check`, into settings; UsageError when a value
    cannot be used."""
    targets = list(targets)
    excludes = [
        *check_regexes("--exclude", exclude),
        *ignore_patterns(targets, cwd),
    ]
    cfg = api.with_check_options(
        settings,
        exclude=excludes,
        include=check_regexes("--include", include),
        headers=[parse_header(h) for h in headers],
        accept=parse_accept(accept) if accept is not None else None,
        timeout=timeout,
        max_concurrency=max_concurrency,
        max_redirects=max_redirects,
    )
    if output_file is not None:
        folder = Path(output_file).parent
        if Path(output_file).is_dir() or not folder.is_dir():
            raise UsageError(f"--output {output_file}: no such folder to write the file in")
    return CheckOptions(cfg, dump, output_file)
