"""The fast tier's promise, held: a test here opens no network socket and starts no
process (those belong to the tests beside this folder, which start local servers)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
from collections.abc import Iterator

import pytest

# croniter (a dependency of the distributed extra) runs `file` on the interpreter when first
# imported; that is its import, not a test's work, so it happens here, before the guard.
with contextlib.suppress(ImportError):  # the extra may not be installed
    import croniter  # noqa: F401


@pytest.fixture(autouse=True)
def _no_server_no_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(what: str):
        def call(self: object, *args: object, **kwargs: object) -> None:
            raise AssertionError(f"a unit test may not {what}: move it beside tests/unit")

        return call

    for name in ("connect", "connect_ex", "bind"):
        original = getattr(socket.socket, name)

        def guarded(self: socket.socket, address: object, _orig=original, _name=name) -> object:
            if self.family in (socket.AF_INET, socket.AF_INET6):
                refuse(f"{_name} a network socket")(self)
            return _orig(self, address)

        monkeypatch.setattr(socket.socket, name, guarded)
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("start a process"))
    yield
