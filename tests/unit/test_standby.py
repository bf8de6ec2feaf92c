"""Standby checking processes: started for `monitor run` before its imports, used by the
run's fan-out when it needs them, stopped when it does not, gone when the parent is."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.checking import standby


@pytest.mark.parametrize(
    ("argv", "env", "toml", "cores", "n"),
    [
        (["run", "--all"], None, None, 2, 1),
        (["-q", "--config", "CFG", "run"], None, "[check]\nprocesses = 3\n", 8, 2),
        (["--config=CFG", "run"], None, "[check]\nprocesses = 6\n", 4, 3),  # the cores cap it
        (["--config", "CFG", "run"], None, "[check]\nprocesses = 1\n", 8, 0),
        (["run"], "1", None, 8, 0),  # MONITOR_CHECK__PROCESSES=1
        (["run"], "4", "[check]\nprocesses = 1\n", 8, 3),  # the environment wins, as in config
        (["run"], None, None, 1, 0),  # one core: nothing to overlap
        (["--config", "CFG", "ingest", "run"], None, None, 8, 0),  # `run` is not the command
        (["--config", "CFG", "run"], None, "not [toml", 8, 1),  # unreadable: automatic
        (["status"], None, None, 8, 0),
    ],
)
def test_standby_children_only_for_monitor_run_when_more_than_one_process_may_be_used(
    argv: list[str],
    env: str | None,
    toml: str | None,
    cores: int,
    n: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = tmp_path / "config.toml"
    if toml is not None:
        cfg.write_text(toml)
    monkeypatch.chdir(tmp_path)  # no ./config.toml unless the case writes it
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    if env is None:
        monkeypatch.delenv("MONITOR_CHECK__PROCESSES", raising=False)
    else:
        monkeypatch.setenv("MONITOR_CHECK__PROCESSES", env)
    monkeypatch.setattr(standby, "cores", lambda: cores)
    assert standby.wanted([a.replace("CFG", str(cfg)) for a in argv]) == n


def test_a_standby_child_for_the_check_of_a_page_file_large_enough_to_need_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`monitor check PAGE` starts one when the page is large enough to cite the URLs a
    second process is used for; a small page, a URL or no page at all starts none."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    monkeypatch.delenv("MONITOR_CHECK__PROCESSES", raising=False)
    monkeypatch.setattr(standby, "cores", lambda: 2)
    big, small = tmp_path / "big.html", tmp_path / "small.html"
    big.write_bytes(b"<li>" * (standby.BIG_PAGE_BYTES // 4))
    small.write_bytes(b"<li>" * (standby.BIG_PAGE_BYTES // 4 - 1))
    assert standby.wanted(["check", str(big)]) == 1
    assert standby.wanted(["-q", "check", "--format", "json", str(big), "-o", "x.json"]) == 1
    assert standby.wanted(["check", str(small)]) == 0
    assert standby.wanted(["check", "https://example.org/big.html"]) == 0
    assert standby.wanted(["check", "-"]) == 0
    assert standby.wanted(["status", str(big)]) == 0
    monkeypatch.setenv("MONITOR_CHECK__PROCESSES", "1")
    assert standby.wanted(["check", str(big)]) == 0
