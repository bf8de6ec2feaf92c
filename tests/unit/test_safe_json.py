"""`safe.json_dumps`: indented JSON is written by orjson, and must be the text json.dumps
writes, so that outputs do not change with the writer."""

import datetime as dt
import json

import pytest

from monitor.core import safe

VALUES = [
    {},
    [],
    {"a": [], "b": {}, "c": [{}], "d": None, "e": True, "f": False},
    {"url": "http://example.org/a?b=1&c=2", "title_score": 85.71428571428571, "n": 3},
    {"title": "Қазақстан — женщины «sold» 2011年", "tab": 'a\tb\nc"d\\e', "nul": "\x00\x1f"},
    {"floats": [0.0, -0.0, 0.5, 100.0, 123456789.125, 0.30000000000000004, -2.5]},
    {"ints": [0, -1, 2**53, -(2**63), 2**64 - 1]},
    [[1, [2, [3, []]]], {"x": {"y": {"z": "deep"}}}],
    {"unsafe": "del\x7f c1\x9b sep\u2028 par\u2029"},
    "just a string",
    42,
    None,
]


@pytest.mark.parametrize("value", VALUES)
def test_indented_json_is_the_text_json_dumps_writes(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2)
    for ch in "\x7f\x9b\u2028\u2029":
        expected = expected.replace(ch, f"\\u{ord(ch):04x}")
    assert safe.json_dumps(value, indent=2) == expected


def test_what_orjson_refuses_is_written_by_json_or_refused_as_json_refuses() -> None:
    big = {"n": 2**70, 1: "an int key"}
    assert safe.json_dumps(big, indent=2) == json.dumps(big, ensure_ascii=False, indent=2)
    with pytest.raises(TypeError):  # json.dumps refuses a datetime; so does the fast path
        safe.json_dumps({"at": dt.datetime(2026, 12, 7)}, indent=2)
    at = {"at": dt.datetime(2026, 12, 7)}
    assert json.loads(safe.json_dumps(at, indent=2, default=str)) == {"at": "2026-12-07 00:00:00"}


def test_the_stores_json_columns_take_what_json_took() -> None:
    """The JSON columns are written and read by orjson; what it refuses (an integer past
    64 bits, NaN that json.dumps wrote before) still goes in and comes back."""
    from monitor.store.engine import _json_text, _json_value

    stamps = [{"raw": "[accessed 16 février 2011]", "date": "2011-02-16", "precision": "day"}]
    assert _json_value(_json_text(stamps)) == stamps
    assert _json_value(_json_text({"n": 2**70})) == {"n": 2**70}
    assert _json_value(json.dumps({"score": float("nan")}))["score"] != 0  # NaN read back
    assert _json_value(json.dumps(stamps)) == stamps  # a row json.dumps stored
