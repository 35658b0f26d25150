"""The map's worker thread: propagates the whole catalog and prepares everything the map draws, so
the GUI thread only hands arrays to long-lived plot items."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Signal, Slot

from groundstation.app_settings import StationSettings
from groundstation.world_map import (
    CatalogPositions,
    FloatArray,
    break_at_antimeridian,
    circle_on_map,
    coverage_radius_deg,
    subsolar_point,
    sun_elevation_deg,
)
from tracking.elements import Elements

TRACK_PAST = timedelta(minutes=45)
TRACK_FUTURE = timedelta(minutes=90)
TRACK_STEP = timedelta(seconds=20)
NOMINAL_ALTITUDE_KM = 550.0  # station circles when no node is selected
NIGHT_GRID_DEG = 1.0
# The night shade deepens from sunset (0 degrees) to the end of nautical twilight (-12 degrees).
TWILIGHT_DEPTH_DEG = 12.0

_NIGHT_LAT = np.arange(-90.0 + NIGHT_GRID_DEG / 2, 90.0, NIGHT_GRID_DEG)
_NIGHT_LON = np.arange(-180.0 + NIGHT_GRID_DEG / 2, 180.0, NIGHT_GRID_DEG)


@dataclass(frozen=True)
class MapRequest:
    generation: int  # the scene it is for; frames of an older scene are dropped
    moment: datetime
    selected_index: int | None


@dataclass(frozen=True, eq=False)
class MapFrame:
    generation: int
    moment: datetime
    shown_index: NDArray[np.intp]  # catalog indices of the positions below (failed ones left out)
    longitude_deg: FloatArray
    latitude_deg: FloatArray
    altitude_km: FloatArray
    night_alpha: FloatArray  # (lat, lon) grid from -90/-180 upwards, 0 = day, 1 = deep night
    subsolar: tuple[float, float]
    selected_index: int | None
    selected: tuple[float, float, float] | None  # lat, lon, alt of the selected node
    track_past: tuple[FloatArray, FloatArray] = field(default=(np.empty(0), np.empty(0)))  # lat, lon
    track_future: tuple[FloatArray, FloatArray] = field(default=(np.empty(0), np.empty(0)))
    footprint: tuple[FloatArray, FloatArray] = field(default=(np.empty(0), np.empty(0)))
    station_circles: tuple[FloatArray, FloatArray] = field(default=(np.empty(0), np.empty(0)))
    compute_s: float = 0.0  # wall time in the worker
    compute_cpu_s: float = 0.0  # the worker thread's CPU time (unaffected by other load)


def night_alpha(moment: datetime) -> tuple[FloatArray, tuple[float, float]]:
    subsolar = subsolar_point(moment)
    elevation = sun_elevation_deg(subsolar, _NIGHT_LAT[:, None], _NIGHT_LON[None, :])
    return np.clip(-elevation / TWILIGHT_DEPTH_DEG, 0.0, 1.0), subsolar


def _joined(circles: list[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray]:
    if not circles:
        return np.empty(0), np.empty(0)
    gap = np.array([np.nan])
    lat = np.concatenate([part for lat, _ in circles for part in (lat, gap)])
    lon = np.concatenate([part for _, lon in circles for part in (lon, gap)])
    return lat, lon


class MapWorker(QObject):
    """Lives in its own QThread; slots run there, results come back as queued signals."""

    computed = Signal(object)  # MapFrame
    scene_ready = Signal(int, int)  # generation, number of objects
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._positions = CatalogPositions([])
        self._stations: tuple[StationSettings, ...] = ()
        self._generation = 0

    @Slot(int, object, object)
    def set_scene(
        self, generation: int, elements: tuple[Elements, ...], stations: tuple[StationSettings, ...]
    ) -> None:
        try:
            self._positions = CatalogPositions(elements)
        except Exception as exc:  # a bad element set must not kill the map's thread
            self.failed.emit(f"cannot propagate the catalog: {exc}")
            return
        self._stations = tuple(stations)
        self._generation = generation
        self.scene_ready.emit(generation, len(self._positions))

    @Slot(object)
    def compute(self, request: MapRequest) -> None:
        try:
            frame = self.frame(request)
        except Exception as exc:  # report, and keep serving the next ticks
            self.failed.emit(f"map frame at {request.moment:%Y-%m-%d %H:%M:%S}: {exc}")
            return
        self.computed.emit(frame)

    def frame(self, request: MapRequest) -> MapFrame:
        started, started_cpu = time.perf_counter(), time.thread_time()
        points = self._positions.at(request.moment)
        shown = np.flatnonzero(np.isfinite(points.latitude_deg))
        alpha, subsolar = night_alpha(request.moment)
        selected = None
        selected_index = request.selected_index
        extras: dict[str, tuple[FloatArray, FloatArray]] = {}
        circle_altitude = NOMINAL_ALTITUDE_KM
        if selected_index is not None and 0 <= selected_index < len(self._positions):
            lat, lon, alt = (
                float(points.latitude_deg[selected_index]),
                float(points.longitude_deg[selected_index]),
                float(points.altitude_km[selected_index]),
            )
            if np.isfinite(lat):
                selected = (lat, lon, alt)
                circle_altitude = alt
                extras["footprint"] = circle_on_map(lat, lon, coverage_radius_deg(alt))
            extras["track_past"], extras["track_future"] = self._track(selected_index, request.moment)
        else:
            selected_index = None
        extras["station_circles"] = _joined(
            [
                circle_on_map(
                    s.latitude_deg, s.longitude_deg, coverage_radius_deg(circle_altitude, s.min_elevation_deg)
                )
                for s in self._stations
            ]
        )
        return MapFrame(
            generation=request.generation,
            moment=request.moment,
            shown_index=shown,
            longitude_deg=points.longitude_deg[shown],
            latitude_deg=points.latitude_deg[shown],
            altitude_km=points.altitude_km[shown],
            night_alpha=alpha,
            subsolar=subsolar,
            selected_index=selected_index,
            selected=selected,
            compute_s=time.perf_counter() - started,
            compute_cpu_s=time.thread_time() - started_cpu,
            **extras,
        )

    def _track(self, index: int, moment: datetime) -> tuple[tuple[FloatArray, FloatArray], ...]:
        past_steps = int(TRACK_PAST / TRACK_STEP)
        future_steps = int(TRACK_FUTURE / TRACK_STEP)
        times = [moment + k * TRACK_STEP for k in range(-past_steps, future_steps + 1)]
        track = self._positions.track(index, times)
        past = break_at_antimeridian(
            track.latitude_deg[: past_steps + 1], track.longitude_deg[: past_steps + 1]
        )
        future = break_at_antimeridian(track.latitude_deg[past_steps:], track.longitude_deg[past_steps:])
        return past, future
