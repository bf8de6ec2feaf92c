"""`monitor config`: every effective setting and where it came from (a built-in default,
the file and line that set it, or the environment variable that overrode the file), with
secrets masked. An administrator's first question when a setting "does nothing" is which
of the three won."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from monitor.config import SECRET_SETTING, Settings
from monitor.config_bounds import key_lines
from monitor.core.safe import redact


@dataclass
class Origin:
    key: str  # dotted, as in the file: check.per_host_rate, archive.endpoints.0.cdx
    value: Any
    source: str  # "default", "FILE:LINE", "environment MONITOR_..."


def _leaves(value: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, BaseModel):
        out: list[tuple[str, Any]] = []
        for name in type(value).model_fields:
            out += _leaves(getattr(value, name), f"{prefix}.{name}" if prefix else name)
        return out
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{prefix}.{i}")]
    return [(prefix, value)]


def mask(key: str, value: Any) -> Any:
    """Secrets as `****`; a URL (the database's, an endpoint's, the canary) without its
    credentials (`safe.redact`)."""
    if value in (None, "", [], {}):
        return value
    if SECRET_SETTING.search(key.rsplit(".", 1)[-1]):
        if isinstance(value, dict):
            return {k: "****" for k in value}
        return "****"
    if isinstance(value, str) and "://" in value:  # any URL: its credentials masked
        return redact(value)
    return value


def origins(settings: Settings, config_file: str | os.PathLike[str] | None) -> list[Origin]:
    """Every leaf setting, masked, with its source."""
    lines: dict[str, int] = {}
    if config_file and Path(config_file).is_file():
        lines = key_lines(Path(config_file).read_text("utf-8"))
    out = []
    for key, value in _leaves(settings, ""):
        parts = [p for p in key.split(".") if not p.isdigit()]
        var = "MONITOR_" + "__".join(p.upper() for p in parts)
        section_var = "MONITOR_" + "__".join(p.upper() for p in parts[:-1])
        if var in os.environ:
            source = f"environment {var}"
        elif len(parts) > 1 and section_var in os.environ:
            source = f"environment {section_var}"
        elif key in lines:
            source = f"{config_file}:{lines[key]}"
        else:
            source = "default"
        out.append(Origin(key, mask(key, value), source))
    return out
