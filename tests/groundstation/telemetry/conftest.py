"""Fixtures: the same archive tests run on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from groundstation.clock import SimulatedClock
from groundstation.telemetry.dictionary import TelemetryDictionary, demo_dictionary
from groundstation.telemetry.frames import Reception, TelemetryFrame
from tests.groundstation.telemetry.packets import HealthValues, pack_health
from tests.postgres import postgres_database_url, postgres_server_url, reset_postgres

__all__ = ["postgres_database_url", "postgres_server_url"]

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(T0, speed=0)


@pytest.fixture(scope="session")
def dictionary() -> TelemetryDictionary:
    return demo_dictionary()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where an archive lives: a SQLite file, or an emptied PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "archive.db")
        return
    url = request.getfixturevalue("postgres_database_url")
    reset_postgres(url)
    yield url


def reception(at: datetime, station: str = "gs-test", snr_db: float | None = 12.5) -> Reception:
    return Reception(
        station=station, time=at, frequency_hz=435_800_000.0, snr_db=snr_db, decoder="g3ruh-9600"
    )


FrameFactory = Callable[..., TelemetryFrame]


@pytest.fixture
def health_frame() -> FrameFactory:
    """Builds a node_health frame from engineering-ish values (see packets.HealthValues)."""

    def make(
        node: str = "node-1", at: datetime = T0, seconds: float = 0.0, **values: float | int
    ) -> TelemetryFrame:
        data = pack_health(HealthValues(**values))  # type: ignore[arg-type]
        return TelemetryFrame(node, 0x101, data, reception(at + timedelta(seconds=seconds)))

    return make
