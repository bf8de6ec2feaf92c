"""The `monitor` command's quick exit (`launch.exit_now`): the atexit handlers run, the
streams are flushed, the exit status is kept, a thread still working is waited for, and a
command's database is closed before the process ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.checking.standby import exit_code


def _python(script: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_exit_now_runs_the_atexit_handlers_flushes_and_keeps_the_status() -> None:
    out = _python(
        "import atexit, sys\n"
        "from monitor.checking.standby import exit_now\n"
        "atexit.register(lambda: print('bye'))\n"
        "print('hi', end=' ')\n"  # still in stdout's buffer (a pipe is block-buffered)
        "sys.stderr.write('said')\n"
        "exit_now(3)\n"
        "print('never')\n"
    )
    assert (out.returncode, out.stdout, out.stderr) == (3, "hi bye\n", "said")


def test_exit_now_waits_for_a_thread_still_at_work() -> None:
    out = _python(
        "import threading, time\n"
        "from monitor.checking.standby import exit_now\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
        "exit_now(4)\n"
    )
    assert (out.returncode, out.stdout) == (4, "thread done\n")


@pytest.mark.parametrize(
    ("code", "status", "said"), [(None, 0, ""), (0, 0, ""), (2, 2, ""), ("oops", 1, "oops\n")]
)
def test_exit_status_as_sys_exit_gives_it(
    code: object, status: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(SystemExit(code)) == status
    assert capsys.readouterr().err == said


def test_the_command_closes_its_database_before_it_ends(tmp_path: Path) -> None:
    """SQLite folds its write-ahead log back into the file when the last connection
    closes: a database copied after a run holds the run, and no -wal file is left."""
    page = tmp_path / "page.html"
    page.write_text('<p><a href="http://127.0.0.1:9/a">A report</a>, accessed 1 May 2020</p>')
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.sqlite"}"\n')
    out = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "-q", "ingest", str(page)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "m.sqlite").exists()
    assert not (tmp_path / "m.sqlite-wal").exists()
    missing = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(tmp_path / "none.toml"), "status"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert missing.returncode == 2 and "monitor: error:" in missing.stderr


def test_the_command_leaves_the_collector_on_with_its_imports_frozen() -> None:
    out = _python(
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 10_000))\n"
        "sys.argv = ['monitor', '--version']\n"
        "from monitor.app.launch import main\n"
        "main()\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "True True"
