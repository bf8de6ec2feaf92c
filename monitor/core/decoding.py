"""Bytes to text, for a citation page being ingested and for a page being checked alike.

Central Asian sources are often windows-1251 or KOI8-R without a header; guessing UTF-8
would turn every title into mojibake and break matching later.
"""

from __future__ import annotations

import re

from monitor.core.errors import ExtractError


def decode(data: bytes, declared: str | None = None) -> str:
    """Bytes to text: declared charset, BOM/UTF-8, <meta charset>, then detection.

    Central Asian sources are often windows-1251 or KOI8-R without a header; guessing UTF-8
    would turn every title into mojibake and break matching later.
    """
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError("binary file, not a text or HTML page")
    for enc in filter(None, [declared, meta_charset(data)]):
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ExtractError("undecodable bytes: not a text or HTML page")
    return str(best)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None
