"""The simulation's speed: simulated hours per wall-clock second at --speed max for the demo fleet,
and frames per second through the IQ modem at the simulation's operating points.

Peer measured in the same run: direwolf's `atest -B 9600` on the same frames as 9600 bd audio
(48 kHz WAV from our G3RUH modulator), the decoder real ground stations run. Ours goes further
(FM modulation, the channel model, the IQ receiver with AFC) so the ratio shows what the IQ
fidelity costs. Times are CPU seconds (fair on a busy machine) unless said otherwise.

    python -m benchmarks.bench_sim [--hours 6] [--nodes 24]
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import radios.packet_modem as packet_modem
from groundstation.governance_link import AX25, uplink_frames
from groundstation.sim.scenario import Council, demo_packets
from groundstation.sim.simulation import SAMPLE_RATE_HZ, Simulation, SimulationConfig
from radios.ax25 import Frame
from radios.channel import ChannelConfig, ChannelModel
from radios.fm import G3ruhIqModulator, demodulate_iq
from radios.g3ruh import G3ruhModulator
from radios.wav import write_wav16

START = datetime(2026, 1, 1, tzinfo=UTC)
BAUD = 9600.0
REPEATS = 20
AUDIO_RATE = 48_000


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _atest_cpu_s(path: Path) -> tuple[int, float]:
    before = _children_cpu_s()
    proc = subprocess.run(["atest", "-B", "9600", str(path)], capture_output=True, check=False)
    match = re.search(r"(\d+) packets decoded", proc.stdout.decode("latin-1"))
    return (int(match.group(1)) if match else -1), _children_cpu_s() - before


def _bursts() -> dict[str, list[Frame]]:
    council = Council.demo(0)
    packet = demo_packets(council, ("NODE-01-01",), START, timedelta(days=1))[0].packet
    segments = uplink_frames(packet.encode(), AX25, transfer_id=1)
    health = Frame.ui("N900", "GSNET", bytes(54))
    return {
        "beacon (1 x 54 B)": [health],
        "answer (3 frames)": [
            Frame.ui("N900", "GSNET", bytes(26)),
            Frame.ui("N900", "GSNET", bytes(30)),
            health,
        ],
        f"uplink ({len(segments)} x 256 B, ML-DSA-65 3 of 5)": [
            Frame.ui("DELFT", "N900", s) for s in segments
        ],
    }


def modem_speed(folder: Path, have_direwolf: bool) -> None:
    print(
        f"IQ modem at the simulation's operating point ({SAMPLE_RATE_HZ / 1e3:.0f} ksps, Eb/N0 14 dB, "
        "-3 kHz offset, -150 Hz/s): modulate + channel + demodulate, CPU per burst"
    )
    modulator = G3ruhIqModulator(sample_rate_hz=SAMPLE_RATE_HZ)
    demodulate_iq(
        modulator.modulate([Frame.ui("A", "B", b"warm-up")]), SAMPLE_RATE_HZ
    )  # filter design, caches
    for name, frames in _bursts().items():
        heard = 0
        start = time.process_time()
        for seed in range(REPEATS):
            iq = modulator.modulate(frames)
            channel = ChannelModel(
                ChannelConfig(
                    sample_rate_hz=SAMPLE_RATE_HZ,
                    ebn0_db=14.0,
                    bit_rate_bps=BAUD,
                    seed=seed,
                    carrier_offset_hz=-3000.0,
                    doppler_rate_hz_s=-150.0,
                )
            )
            guard = np.zeros(480, np.complex64)
            received = np.concatenate((channel.process(np.concatenate((guard, iq, guard))), channel.flush()))
            heard += len(demodulate_iq(received, SAMPLE_RATE_HZ))
        cpu_s = (time.process_time() - start) / REPEATS
        air_s = modulator.modulate(frames).size / SAMPLE_RATE_HZ
        line = (
            f"  {name:<40} {cpu_s * 1e3:7.1f} ms, {len(frames) / cpu_s:7.0f} frames/s, "
            f"{air_s / cpu_s:5.1f}x real time, {heard}/{len(frames) * REPEATS} decoded"
        )
        if have_direwolf:
            audio = G3ruhModulator(sample_rate_hz=AUDIO_RATE).modulate(frames)
            pad = np.zeros(AUDIO_RATE // 20, np.float32)
            audio = np.concatenate([np.concatenate((pad, audio, pad))] * REPEATS)
            audio = audio + np.random.default_rng(1).normal(0, 0.02, audio.size).astype(np.float32)
            wav = folder / "burst.wav"
            write_wav16(wav, audio, AUDIO_RATE)
            count, dw_cpu = _atest_cpu_s(wav)
            dw_per_burst = dw_cpu / REPEATS
            line += (
                f"; atest (audio only) {dw_per_burst * 1e3:.1f} ms ({count} decoded): ours "
                f"{cpu_s / max(dw_per_burst, 1e-9):.1f}x its time"
            )
        print(line)


class _Timed:
    """Wall time spent in the IQ demodulator during a simulation."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def simulation_speed(folder: Path, hours: float, nodes: int) -> None:
    timed = _Timed(demodulate_iq)
    packet_modem.demodulate_iq = timed  # type: ignore[attr-defined]
    wall = time.perf_counter()
    cpu = time.process_time()
    sim = Simulation(
        SimulationConfig(start=START, database=folder / "sim.db", workdir=folder / "sim", nodes=nodes, seed=0)
    )
    sim.queue_demo_packets()
    setup_s = time.perf_counter() - wall
    sim.advance_to(START + timedelta(hours=hours))
    summary = sim.summary()
    sim.close()
    wall_s = time.perf_counter() - wall
    cpu_s = time.process_time() - cpu
    packet_modem.demodulate_iq = demodulate_iq  # type: ignore[attr-defined]
    frames = summary.frames_sent
    print(
        f"Whole simulation, {nodes} nodes x {len(sim.config.stations)} stations, {hours:g} h at --speed max:"
    )
    print(
        f"  {hours / wall_s:.2f} simulated hours per wall-clock second "
        f"({hours * 3600 / wall_s:.0f}x real time; "
        f"wall {wall_s:.1f} s, CPU {cpu_s:.1f} s, set-up {setup_s:.1f} s)"
    )
    print(
        f"  {summary.passes_worked} passes worked, {frames} frames "
        f"({frames / hours:.0f} per simulated hour), "
        f"FER {summary.frame_error_rate:.1%}, {summary.telemetry_samples_archived} samples archived"
    )
    print(
        f"  IQ demodulation: {timed.seconds:.1f} s wall in {timed.calls} receptions "
        f"({timed.seconds / wall_s:.0%} of the run), {frames / max(timed.seconds, 1e-9):.0f} frames/s"
    )
    states = summary.states()
    print(f"  commands: {dict(sorted(states.items()))}, rejections {dict(summary.rejections())}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench_sim")
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--nodes", type=int, default=24)
    args = parser.parse_args()
    have_direwolf = shutil.which("atest") is not None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        modem_speed(folder, have_direwolf)
        if not have_direwolf:
            print("  direwolf's atest not installed: no side-by-side figure")
        simulation_speed(folder, args.hours, args.nodes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
