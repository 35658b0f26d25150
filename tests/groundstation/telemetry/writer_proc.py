"""A telemetry writer to be killed: writes small batches forever, printing `ack N` after each commit.

Frame i carries uptime = i, so the survivor can tell exactly which frames were acknowledged.
Run: python -m tests.groundstation.telemetry.writer_proc DB_TARGET
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from groundstation.clock import SimulatedClock
from groundstation.telemetry.archive import TelemetryArchive
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import demo_dictionary
from groundstation.telemetry.frames import Reception, TelemetryFrame
from tests.groundstation.telemetry.packets import HealthValues, pack_health

BATCH_FRAMES = 7
T0 = datetime(2026, 11, 22, tzinfo=UTC)


def main(target: str) -> None:
    archive = TelemetryArchive.open(target, SimulatedClock(T0, speed=0))
    decoder = TelemetryDecoder(demo_dictionary())
    index = 0
    while True:
        frames = []
        for _ in range(BATCH_FRAMES):
            at = T0 + timedelta(seconds=index)
            rx = Reception("gs-kill", at, 435e6, 9.0, "g3ruh-9600")
            frames.append(
                TelemetryFrame(f"node-{index % 3}", 0x101, pack_health(HealthValues(uptime_s=index)), rx)
            )
            index += 1
        archive.write(decoder.decode(frames))
        print(f"ack {index - 1}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
