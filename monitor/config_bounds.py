"""What a setting may hold so the code can use it, and how a configuration file is read.

Validation by type is not enough: a duration of 1e308 days passes `gt=0` and overflows a
date; a rate of 1e-300 a second passes `ge=0` and never lets a request go; a User-Agent with
CR/LF passes `str` and then every request is refused; a configuration that is a FIFO hangs
its reader, and `/dev/zero` never ends. Each setting is held here by its name, one rule for
every section, and the file is read with a bound.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from monitor.core.errors import ConfigError

# What the code can use, whatever the field: a duration of 1e308 days overflows a date, a
# rate of 1e-300 a second never lets a request go, a header with CR/LF is refused by every
# request. Each setting is held to these by its name (one rule for every section).
_LIMITS = (  # (name ends with, the largest value, in words)
    ("_days", 36_500.0, "100 years"),
    ("_hours", 876_000.0, "100 years"),
    ("_seconds", 31_536_000.0, "a year"),
    ("timeout", 86_400.0, "a day"),
    ("retry_wait", 3_600.0, "an hour"),
    ("max_crawl_delay", 86_400.0, "a day"),
    ("_bytes", 1 << 30, "1 GiB"),
)
_RATES = ("per_host_rate", "rate_per_minute")  # 0 means no limit; else at least this
_SMALLEST_RATE = 0.001
_TEXT_MAX = 2_000  # a header value, a User-Agent, a pattern


def printable(v: str) -> bool:
    return len(v) <= _TEXT_MAX and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in v)


def usable(name: str, v: object) -> object:
    """`v`, when setting `name` can hold it; else ValueError saying what it may hold."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        for end, most, words in _LIMITS:
            if name.endswith(end) and v > most:
                raise ValueError(f"at most {most:g} ({words})")
        if name in _RATES and 0 < v < _SMALLEST_RATE:
            raise ValueError(f"0 (no limit) or at least {_SMALLEST_RATE:g}")
    if isinstance(v, str) and name in ("user_agent", "contact") and not printable(v):
        raise ValueError(f"printable text of at most {_TEXT_MAX} characters")
    return v


_IA = "https://web.archive.org/"
DEFAULT_ARCHIVES = (
    {
        "name": "internet-archive",
        "cdx": _IA + "cdx/search/cdx",
        "replay": _IA + "web/{timestamp}/{url}",
    },
)

CONFIG_MAX_BYTES = 1 << 20  # a configuration is a page of settings, not a megabyte


def read_config(file: Path) -> str:
    """The text of a configuration file: a regular file (a FIFO would hang, /dev/zero
    never end) of at most CONFIG_MAX_BYTES, in UTF-8. `--config /dev/null` is no settings."""
    if str(file) == os.devnull:
        return ""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO's open does not wait
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ConfigError(f"{file}: not a regular file; a configuration is a file")
            raw = fh.read(CONFIG_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read config file ({exc.strerror or exc})") from None
    if len(raw) > CONFIG_MAX_BYTES:
        raise ConfigError(f"{file}: larger than {CONFIG_MAX_BYTES:,} bytes; not a configuration")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: cannot read config file ({exc})") from None


def with_default_archives(data: dict[str, Any]) -> dict[str, Any]:
    """A file's settings with the built-in archives after its own `[[archive.endpoints]]`.

    The config file says "what you leave out keeps the default", and a maintainer who adds
    their own pywb means "also ask mine", not "stop asking the Internet Archive". An entry of
    the same name as a default configures that default (its rate, say); `replace = true` in
    `[archive]` keeps only the file's list, and `endpoints = []` means no archive at all.
    Settings built in code are taken as given: this is how a file is read.
    """
    archive = data.get("archive")
    if not isinstance(archive, dict) or archive.get("replace") is True:
        return data
    own = archive.get("endpoints")
    if not isinstance(own, list) or not own:
        return data
    names = {e.get("name") for e in own if isinstance(e, dict)}
    added = [dict(e) for e in DEFAULT_ARCHIVES if e["name"] not in names]
    return data | {"archive": archive | {"endpoints": own + added}}


_TABLE = re.compile(r"^\s*\[(\[)?\s*([\w.\-]+)\s*\]\]?")
_KEY = re.compile(r"""^\s*["']?([\w\-]+)["']?\s*=""")


def key_lines(text: str) -> dict[str, int]:
    """Where each key of a TOML file is set: dotted key -> line (arrays of tables get their
    index: archive.endpoints.0.name)."""
    out: dict[str, int] = {}
    table, counts = "", dict[str, int]()
    for n, line in enumerate(text.splitlines(), start=1):
        if m := _TABLE.match(line):
            name = m.group(2)
            if m.group(1):  # [[array.of.tables]]
                counts[name] = counts.get(name, -1) + 1
                name = f"{name}.{counts[name]}"
            table = name
            out.setdefault(table, n)
        elif (m := _KEY.match(line)) and not line.lstrip().startswith("#"):
            out[f"{table}.{m.group(1)}" if table else m.group(1)] = n
    return out


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the file where the key (or table) at `loc` is written, if it is: by its
    whole path (`check.timeout`, not `archive.timeout`), else the first line naming it."""
    name = next((str(p) for p in reversed(loc) if not isinstance(p, int)), None)
    if not name or not text:
        return None
    if exact := key_lines(text).get(".".join(str(p) for p in loc)):
        return exact
    key = re.compile(
        rf"""^\s*(\[\[?\s*([\w.]+\.)?{re.escape(name)}\s*\]|["']?{re.escape(name)}["']?\s*=)"""
    )
    for n, line in enumerate(text.splitlines(), start=1):
        if key.match(line):
            return n
    return None
