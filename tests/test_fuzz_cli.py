"""Property-based: no user can make the monitor crash (issue 31). Every command driven with
random option values, and every setting given a random value of its kind (huge, tiny,
negative, NaN, infinite, control characters, JSON that does not parse) in its environment
variable: whatever happens, no traceback and no exit 4, the code of a bug in the monitor.

The commands run in this process through `monitor.app.cli.main` (as the console script
does), against a small database of this test's own; nothing is fetched (the check of a URL
has no network to reach but the guard's refusal of a private address). Hypothesis runs a
bounded, derandomized number of examples.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import Any, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from monitor.app.cli import main
from monitor.config import Settings

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = st.sampled_from(
    [
        "", "0", "-1", "1e308", "-1e308", "1e-300", "nan", "inf", "-inf", "9" * 40, "true",
        "null", "[", "{", '{"x":', "[1,", "\x00", "\x1b]0;x\x07", "a\r\nX: y", "\x9b2J",
        "🙂" * 50, "x" * 5000, "$UNSET_VARIABLE", "${", "*", "http://u:p@h/?token=t",
    ]
) | st.text(max_size=40)  # fmt: skip


def _leaves(model: type[BaseModel], prefix: str) -> Iterator[str]:
    """Every setting's environment variable: MONITOR_SECTION__KEY (nested: __SUB__KEY)."""
    for name, field in model.model_fields.items():
        kind = field.annotation
        inner = [a for a in get_args(kind) if isinstance(a, type)] if get_origin(kind) else [kind]
        sub = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        var = f"{prefix}__{name.upper()}" if prefix else f"MONITOR_{name.upper()}"
        yield var
        if sub is not None:
            yield from _leaves(sub, var)


VARIABLES = sorted(set(_leaves(Settings, "")))


def run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    """`monitor ARGV` in this process: its exit code and what it wrote to stderr."""
    err, out = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                return code, err.getvalue()
            except BaseException as exc:  # anything escaping main is the bug we look for
                return 4, f"Traceback: {type(exc).__name__}: {exc}"
        return 0, err.getvalue()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("fuzz-cli")
    (d / "links.urls").write_text("https://a.example/1\nhttps://b.example/2\n")
    (d / "config.toml").write_text(
        f"[database]\nurl = 'sqlite:///{d / 'm.sqlite'}'\n[archive]\nendpoints = []\n"
        "[check]\nallow_networks = []\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_CONFIG"] = str(d / "config.toml")
    env["HOME"] = str(d)
    code, err = run(["ingest", str(d / "links.urls")], env)
    assert code == 0, err
    env["FUZZ_DIR"] = str(d)
    return env


@FUZZ
@given(variable=st.sampled_from(VARIABLES), value=NASTY)
def test_any_setting_any_value_is_no_crash(base: dict[str, str], variable: str, value: str) -> None:
    value = value.replace("\x00", "")  # an environment variable cannot hold a NUL
    for argv in (["status", "--brief"], ["config"]):
        code, err = run(argv, {**base, variable: value})
        assert code != 4 and "Traceback" not in err and "internal error" not in err, (
            variable, value, err[-500:],
        )  # fmt: skip


WORD = NASTY | st.integers(min_value=-(2**70), max_value=2**70).map(str)
COMMANDS: list[Any] = [
    st.tuples(st.just("status"), st.sampled_from(["--brief", "--format"]), WORD),
    st.tuples(st.just("history"), WORD, st.just("--limit"), WORD),
    st.tuples(st.just("report"), st.just("--format"), WORD),
    st.tuples(st.just("report"), st.just("--since"), WORD),
    st.tuples(st.just("decisions"), st.just("--undo"), WORD),
    st.tuples(st.just("ignore"), WORD, st.just("--reason"), WORD),
    st.tuples(st.just("override"), WORD, WORD, st.just("--reason"), WORD, st.just("--until"), WORD),
    st.tuples(st.just("accept"), WORD, st.just("--replace"), WORD),
    st.tuples(st.just("patch"), WORD, st.just("--stamps"), WORD, st.just("--older-than"), WORD),
    st.tuples(st.just("history"), WORD),
    st.tuples(st.just("check"), st.just("--timeout"), WORD, st.just("https://127.0.0.1:9/")),
    st.tuples(st.just("check"), st.just("--max-concurrency"), WORD, st.just("https://127.0.0.1:9/")),
    st.tuples(st.just("check"), st.just("--header"), WORD, st.just("https://127.0.0.1:9/")),
    st.tuples(st.just("check"), st.just("--accept"), WORD, st.just("https://127.0.0.1:9/")),
]  # fmt: skip


@FUZZ
@given(argv=st.one_of(*COMMANDS))
def test_any_command_any_option_value_is_no_crash(base: dict[str, str], argv: tuple) -> None:
    words = [w.replace("\x00", "") for w in argv]  # a NUL cannot be in an argv
    code, err = run(words, base)
    assert code != 4 and "Traceback" not in err and "internal error" not in err, (words, err[-500:])


def test_the_harness_sees_exit_codes_and_messages(base: dict[str, str]) -> None:
    """The property tests above can fail: the harness reports what a command said."""
    code, err = run(["status", "--brief"], {**base, "MONITOR_SCHEDULE__ALIVE_DAYS": "1e308"})
    assert code == 2 and "at most 36500" in err
    code, err = run(["history", "https://a.example/1", "--limit", "9" * 30], base)
    assert code == 2 and "range" in err
    assert len(VARIABLES) > 60 and "MONITOR_CHECK__PER_HOST_RATE" in VARIABLES
