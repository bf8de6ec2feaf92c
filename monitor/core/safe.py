"""Text from the web made safe for where it is shown (pure).

Titles, reasons and URLs come from pages written by others and from servers we do not
control. Each output format has its own way of being abused, so each gets its own escape:
- a terminal obeys escape sequences: `ESC]0;...` retitles the window, `ESC[2J` clears it;
  control characters are dropped before anything is printed;
- a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
  as a formula (OWASP "CSV injection"): such a cell gets a leading `'`;
- Markdown passes raw HTML through to the reader's browser, and `[`, `*`, `|` change the
  document: HTML is escaped as entities, Markdown's metacharacters with a backslash;
- a URL may carry a user name and password (`http://alice:s3cret@host/`): never printed.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[\t\n\r]")


def terminal(text: Any) -> str:
    """`text` with every control character (ESC, CSI, BEL...) removed and line breaks made
    spaces: what a terminal shows is what the page said, never a command to it."""
    s = "" if text is None else str(text)
    return _CONTROL.sub("", _SPACES.sub(" ", s))


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run and a terminal will not obey: control
    characters (ESC, BEL, CSI...) removed, text starting like a formula gets a `'`."""
    if isinstance(value, str):
        value = _CONTROL.sub("", value)
        if value.startswith(_FORMULA):
            return "'" + value
    return value


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


# what orjson hands back to the caller, as json.dumps does (to `default`, or a TypeError)
_ORJSON_AS_JSON = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATETIME
_ORJSON_AS_JSON |= orjson.OPT_PASSTHROUGH_DATACLASS


def json_dumps(value: Any, **options: Any) -> str:
    """JSON as `json.dumps(ensure_ascii=False)` writes it, with the characters it leaves raw
    that a terminal or a JavaScript reader obeys (DEL, the C1 controls such as U+009B, the
    line and paragraph separators) escaped as \\uXXXX: the same JSON to any parser.

    Indented JSON (`indent=2`, what `check`, `status` and the report print) is written by
    orjson: the same text, but json.dumps indents in pure Python, a large part of writing
    100,000 results (measured: docs/performance.md). A value orjson will not take (an
    integer past 64 bits, a key that is not a string) goes to json.dumps."""
    text = None
    if options == {"indent": 2}:
        with contextlib.suppress(TypeError):  # orjson.JSONEncodeError is one
            text = orjson.dumps(value, option=_ORJSON_AS_JSON).decode()
    if text is None:
        text = json.dumps(value, ensure_ascii=False, **options)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: csv_cell(v) for k, v in row.items()}


# what changes a Markdown line wherever it stands (an underscore only at a word's edge: a
# file name like my_page.html renders as it is)
_MD_META = re.compile(r"([\\`*\[\]|~])|(?<!\w)_|_(?!\w)")


def markdown(text: Any) -> str:
    """Text for a Markdown document: HTML escaped (`<script>` shows as text in every
    renderer), Markdown metacharacters escaped, control characters and line breaks gone."""
    s = terminal(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_META.sub(lambda m: "\\" + m.group(0), s)


def markdown_url(url: Any) -> str:
    """A URL inside Markdown's `<...>` autolink: nothing that could close it or open HTML."""
    s = redact(terminal(url))
    return s.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


# query keys whose values are credentials: masked wherever a URL is printed
SECRET_KEYS = re.compile(
    r"^(?:pass(?:word|wd)?|pwd|secret|client_secret|token|access_token|refresh_token|"
    r"auth|authorization|api[-_]?key|key|apikey|signature|sig|session(?:id)?|credentials?)$",
    re.IGNORECASE,
)
_QUERY_PAIR = re.compile(r"([?&;])([^=&;#]+)=([^&;#]*)")


def redact(url: Any) -> str:
    """`url` without its credentials, wherever it is printed (a log line, an error, the
    configuration): no user name and password (`http://alice:s3cret@host/` ->
    `http://host/`), and the values of query keys that carry secrets masked
    (`?token=abc&page=2` -> `?token=****&page=2`)."""
    s = "" if url is None else str(url)
    if "@" in s:
        s = _without_userinfo(s)
    if "=" in s:
        s = _QUERY_PAIR.sub(
            lambda m: (
                f"{m.group(1)}{m.group(2)}=****"
                if SECRET_KEYS.match(m.group(2).strip())
                else m.group(0)
            ),
            s,
        )
    return s


def _without_userinfo(s: str) -> str:
    try:
        parts = urlsplit(s)
    except ValueError:
        return re.sub(r"//[^/@\s]*@", "//", s)
    if not parts.username and not parts.password:
        return s
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def redact_text(text: Any) -> str:
    """A message with every URL in it redacted (`redact`): error lines reach cron mail,
    the journal and log collectors."""
    return _URL_IN_TEXT.sub(lambda m: redact(m.group()), "" if text is None else str(text))
