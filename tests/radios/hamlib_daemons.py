"""Hamlib's rotctld / rigctld on free loopback ports, killable and restartable on the same port."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.conftest import free_tcp_port, require_tool

STARTUP_TIMEOUT_S = 5.0
TCP_LISTEN = "0A"  # socket state in /proc/net/tcp


def _listens(pid: int, port: int) -> bool:
    """Whether process `pid` holds a socket listening on 127.0.0.1:`port`, read from /proc.

    No probe connection: Hamlib 4.5's daemons close a finished client's descriptor more than once, so a
    probe that disconnects just as the test connects can have the test's new socket (same
    descriptor number) closed under it ("connection reset by peer"). Checking the owner also
    rules out another test's daemon on the same port.
    """
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:  # the process is gone, or between exec and opening its files
        return False
    local = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == TCP_LISTEN and f"socket:[{fields[9]}]" in inodes:
            return True
    return False


class HamlibDaemon:
    def __init__(self, tool: str, *args: str) -> None:
        self.path = require_tool(tool)
        self.args = args
        self.port = free_tcp_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"{self.path.rsplit('/', 1)[-1]}://127.0.0.1:{self.port}"

    def start(self) -> HamlibDaemon:
        command = [self.path, *self.args, "-T", "127.0.0.1", "-t", str(self.port)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _listens(self.proc.pid, self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command} did not start listening")
            time.sleep(0.02)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None
