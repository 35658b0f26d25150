"""Hamlib's rotctld / rigctld on free loopback ports, killable and restartable on the same port."""

from __future__ import annotations

import socket
import subprocess
import time

from tests.conftest import free_tcp_port, require_tool

STARTUP_TIMEOUT_S = 5.0


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
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not start listening") from None
                time.sleep(0.02)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None
