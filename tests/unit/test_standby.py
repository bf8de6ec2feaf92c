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
