"""CAT command rate: our rotctld/rigctld drivers against Hamlib's own network clients (`rotctl -m 2`,
`rigctl -m 2`), both talking to the same `rotctld -m 1` / `rigctld -m 1` in the same run.

A tracking loop sends a position read and a move every second and up to two frequency updates; this
shows how much of that budget the driver itself costs next to Hamlib's C client.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time

from radios.hamlib import RigctldRig, RotctldRotator
from radios.rotator import RotatorLimits

POSITION_QUERIES = 2000
FREQUENCY_SETS = 25
STARTUP_S = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(tool: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([tool, "-m", "1", *extra, "-T", "127.0.0.1", "-t", str(port)])
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.02)
    proc.kill()
    raise SystemExit(f"{tool} did not start")


def hamlib_client_s(tool: str, port: int, command: str, count: int) -> float:
    """Seconds per command for Hamlib's client reading `count` commands from stdin (start-up removed)."""

    def run(n: int) -> float:
        started = time.perf_counter()
        subprocess.run(
            [tool, "-m", "2", "-r", f"127.0.0.1:{port}", "-"],
            input=(command + "\n") * n,
            capture_output=True,
            text=True,
            check=True,
        )
        return time.perf_counter() - started

    return (run(count) - run(1)) / (count - 1)


def ours_s(call, count: int) -> float:
    call()  # connect
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count


def main() -> int:
    tools = {name: shutil.which(name) for name in ("rotctld", "rigctld", "rotctl", "rigctl")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        print(f"skipped: {', '.join(missing)} not installed (Debian libhamlib-utils)")
        return 0
    rot_port, rig_port = free_port(), free_port()
    daemons = [start(tools["rotctld"], rot_port), start(tools["rigctld"], rig_port)]
    try:
        rotator = RotctldRotator("127.0.0.1", rot_port, RotatorLimits(-180.0, 450.0))
        rig = RigctldRig("127.0.0.1", rig_port)
        ours_pos = ours_s(rotator.position, POSITION_QUERIES)
        theirs_pos = hamlib_client_s(tools["rotctl"], rot_port, "p", POSITION_QUERIES)
        ours_freq = ours_s(lambda: rig.set_frequency(145_800_000), FREQUENCY_SETS)
        theirs_freq = hamlib_client_s(tools["rigctl"], rig_port, "F 145800000", FREQUENCY_SETS)
        rotator.close()
        rig.close()
    finally:
        for proc in daemons:
            proc.kill()
            proc.wait()
    print(f"{'command':<34}{'ours ms':>10}{'Hamlib ms':>11}{'ours/Hamlib':>13}")
    for label, ours, theirs in (
        (f"rotctld get position (x{POSITION_QUERIES})", ours_pos, theirs_pos),
        (f"rigctld set frequency (x{FREQUENCY_SETS})", ours_freq, theirs_freq),
    ):
        print(f"{label:<34}{ours * 1e3:>10.3f}{theirs * 1e3:>11.3f}{ours / theirs:>13.2f}")
    print("(the dummy rig sleeps ~41 ms per frequency change to imitate CAT; both clients wait for it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
