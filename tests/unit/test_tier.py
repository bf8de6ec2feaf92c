"""The fast tier's guard itself: a network socket or a process in a unit test fails it."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_a_network_connection_fails_a_unit_test() -> None:
    with pytest.raises(AssertionError, match="may not connect a network socket"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_a_process_fails_a_unit_test() -> None:
    with pytest.raises(AssertionError, match="may not start a process"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_a_local_socket_pair_is_allowed() -> None:
    a, b = socket.socketpair()
    a.sendall(b"x")
    assert b.recv(1) == b"x"
    a.close()
    b.close()
