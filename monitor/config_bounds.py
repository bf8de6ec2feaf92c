"""What a setting may hold so the code can use it, and how a configuration file is read.

Validation by type is not enough: a duration of 1e308 days passes `gt=0` and overflows a
date; a rate of 1e-300 a second passes `ge=0` and never lets a request go; a User-Agent with
CR/LF passes `str` and then every request is refused; a configuration that is a FIFO hangs
its reader, and `/dev/zero` never ends. Each setting is held here by its name, one rule for
every section, and the file is read with a bound.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

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
