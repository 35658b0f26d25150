"""The map's worker thread: propagates the whole catalog and prepares everything the map draws (the
background catalog already rasterised), so the GUI thread only hands arrays to long-lived items."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QObject, Signal, Slot

from groundstation.app_settings import StationSettings
from groundstation.world_map import (
    ANCHOR_STEP_S,
    CatalogPositions,
    FloatArray,
    GroundPoints,
    RasterView,
    break_at_antimeridian,
    circle_on_map,
    coverage_radius_deg,
    rasterize_dots,
    subsolar_point,
    sun_elevation_deg,
)
from tracking.elements import Elements
from tracking.geometry import footprint_circle

TRACK_PAST = timedelta(minutes=45)
TRACK_FUTURE = timedelta(minutes=90)
TRACK_STEP = timedelta(seconds=20)
NOMINAL_ALTITUDE_KM = 550.0  # station circles when no node is selected
NIGHT_GRID_DEG = 1.0
# The night shade deepens from sunset (0 degrees) to the end of nautical twilight (-12 degrees).
TWILIGHT_DEPTH_DEG = 12.0
# The Sun moves 0.25 degrees of longitude a minute: the 1-degree night grid is redone each minute.
NIGHT_REFRESH_S = 60.0
# A footprint's shape depends on latitude and height only; within these the last one is moved to
# the node, not solved again (its shape errs by about the latitude change: under half a pixel of
# the whole-world map).
FOOTPRINT_REUSE_LAT_DEG = 0.1
FOOTPRINT_REUSE_ALT_KM = 1.0
FOOTPRINT_POINTS = 90
# Station circles follow the selected node's height; redone when it changes by this much.
CIRCLE_REUSE_ALT_KM = 2.0
CATALOG_DOT_PX = 3

_NIGHT_LAT = np.arange(-90.0 + NIGHT_GRID_DEG / 2, 90.0, NIGHT_GRID_DEG)
_NIGHT_LON = np.arange(-180.0 + NIGHT_GRID_DEG / 2, 180.0, NIGHT_GRID_DEG)
_EMPTY_LINE: tuple[FloatArray, FloatArray] = (np.empty(0), np.empty(0))


@dataclass(frozen=True)
class MapRequest:
    generation: int  # the scene it is for; frames of an older scene are dropped
    moment: datetime
    selected_index: int | None
    raster: RasterView | None = None  # where the background catalog is drawn, None: not drawn
    catalog_argb: int = 0xFF808080  # premultiplied colour of its dots


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
    own_shown: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))  # per shown
    catalog_raster: NDArray[np.uint32] | None = None  # background catalog, premultiplied ARGB
    raster_view: RasterView | None = None
    track_past: tuple[FloatArray, FloatArray] = _EMPTY_LINE  # lat, lon
    track_future: tuple[FloatArray, FloatArray] = _EMPTY_LINE
    footprint: tuple[FloatArray, FloatArray] = _EMPTY_LINE
    station_circles: tuple[FloatArray, FloatArray] = _EMPTY_LINE  # same object while unchanged
    night_changed: bool = True  # False: night_alpha is the previous frame's array
    interpolated: bool = False  # positions from anchors (True) or SGP4 at this very moment
    compute_s: float = 0.0  # wall time in the worker
    compute_cpu_s: float = 0.0  # the worker thread's CPU time (unaffected by other load)


def night_alpha(moment: datetime) -> tuple[FloatArray, tuple[float, float]]:
    subsolar = subsolar_point(moment)
    elevation = sun_elevation_deg(subsolar, _NIGHT_LAT[:, None], _NIGHT_LON[None, :])
    return np.clip(-elevation / TWILIGHT_DEPTH_DEG, 0.0, 1.0), subsolar


def _joined(circles: list[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray]:
    if not circles:
        return _EMPTY_LINE
    gap = np.array([np.nan])
    lat = np.concatenate([part for lat, _ in circles for part in (lat, gap)])
    lon = np.concatenate([part for _, lon in circles for part in (lon, gap)])
    return lat, lon


class _FootprintCache:
    """The selected node's footprint on the ellipsoid (tracking.geometry), solved again only when
    its latitude or height changed enough to alter the shape; otherwise the last one is shifted."""

    def __init__(self) -> None:
        self._key: tuple[float, float, float] | None = None
        self._shape: tuple[FloatArray, FloatArray] = _EMPTY_LINE

    def at(self, lat: float, lon: float, alt: float) -> tuple[FloatArray, FloatArray]:
        key = self._key
        if (
            key is None
            or abs(lat - key[0]) > FOOTPRINT_REUSE_LAT_DEG
            or abs(alt - key[2]) > FOOTPRINT_REUSE_ALT_KM
        ):
            ring_lat, ring_lon = footprint_circle(lat, lon, alt, points=FOOTPRINT_POINTS)
            self._shape = (np.append(ring_lat, ring_lat[0]), np.append(ring_lon, ring_lon[0]))
            self._key = key = (lat, lon, alt)
        ring_lat, ring_lon = self._shape
        shifted = np.mod(ring_lon + (lon - key[1]) + 180.0, 360.0) - 180.0
        return break_at_antimeridian(np.clip(ring_lat + (lat - key[0]), -90.0, 90.0), shifted)


class MapWorker(QObject):
    """Lives in its own QThread; slots run there, results come back as queued signals."""

    computed = Signal(object)  # MapFrame
    scene_ready = Signal(int, int)  # generation, number of objects
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._positions = CatalogPositions([])
        self._own = np.zeros(0, dtype=bool)
        self._stations: tuple[StationSettings, ...] = ()
        self._generation = 0
        self._last_moment: datetime | None = None
        self._night: tuple[datetime, FloatArray, tuple[float, float]] | None = None
        self._circles: tuple[float, tuple[FloatArray, FloatArray]] | None = None
        self._footprint = _FootprintCache()

    @Slot(int, object, object, object)
    def set_scene(
        self,
        generation: int,
        elements: tuple[Elements, ...],
        stations: tuple[StationSettings, ...],
        own_mask: NDArray[np.bool_],
    ) -> None:
        try:
            self._positions = CatalogPositions(elements)
        except Exception as exc:  # a bad element set must not kill the map's thread
            self.failed.emit(f"cannot propagate the catalog: {exc}")
            return
        self._own = np.asarray(own_mask, dtype=bool)
        self._stations = tuple(stations)
        self._generation = generation
        self._last_moment = None
        self._circles = None
        self.scene_ready.emit(generation, len(self._positions))

    @Slot(object)
    def compute(self, request: MapRequest) -> None:
        try:
            frame = self.frame(request)
        except Exception as exc:  # report, and keep serving the next ticks
            self.failed.emit(f"map frame at {request.moment:%Y-%m-%d %H:%M:%S}: {exc}")
            return
        self.computed.emit(frame)

    def _points_at(self, moment: datetime) -> tuple[GroundPoints, bool]:
        # Stepping through time (any clock speed up to one anchor step per frame) interpolates;
        # a jump propagates the catalog at the very moment instead of building two new anchors.
        last, self._last_moment = self._last_moment, moment
        if last is not None and abs((moment - last).total_seconds()) <= ANCHOR_STEP_S:
            return self._positions.interpolated_at(moment), True
        return self._positions.at(moment), False

    def _night_at(self, moment: datetime) -> tuple[FloatArray, tuple[float, float], bool]:
        night = self._night
        if night is not None and abs((moment - night[0]).total_seconds()) < NIGHT_REFRESH_S:
            return night[1], night[2], False
        alpha, subsolar = night_alpha(moment)
        self._night = (moment, alpha, subsolar)
        return alpha, subsolar, True

    def _station_circles(self, altitude_km: float) -> tuple[FloatArray, FloatArray]:
        cached = self._circles
        if cached is not None and abs(cached[0] - altitude_km) <= CIRCLE_REUSE_ALT_KM:
            return cached[1]
        circles = _joined(
            [
                circle_on_map(
                    s.latitude_deg, s.longitude_deg, coverage_radius_deg(altitude_km, s.min_elevation_deg)
                )
                for s in self._stations
            ]
        )
        self._circles = (altitude_km, circles)
        return circles

    def frame(self, request: MapRequest) -> MapFrame:
        started, started_cpu = time.perf_counter(), time.thread_time()
        points, interpolated = self._points_at(request.moment)
        latitude, longitude, altitude = points.latitude_deg, points.longitude_deg, points.altitude_km
        shown = np.flatnonzero(np.isfinite(latitude))
        own_shown = self._own[shown] if len(self._own) == len(latitude) else np.zeros(len(shown), bool)
        raster = None
        if request.raster is not None:
            background = shown[~own_shown]
            raster = rasterize_dots(
                longitude[background],
                latitude[background],
                request.raster,
                CATALOG_DOT_PX,
                request.catalog_argb,
            )
        alpha, subsolar, night_changed = self._night_at(request.moment)
        selected = None
        selected_index = request.selected_index
        extras: dict[str, tuple[FloatArray, FloatArray]] = {}
        circle_altitude = NOMINAL_ALTITUDE_KM
        if selected_index is not None and 0 <= selected_index < len(self._positions):
            lat, lon, alt = (
                float(latitude[selected_index]),
                float(longitude[selected_index]),
                float(altitude[selected_index]),
            )
            if np.isfinite(lat):
                selected = (lat, lon, alt)
                circle_altitude = alt
                if alt > 0.0:
                    extras["footprint"] = self._footprint.at(lat, lon, alt)
            extras["track_past"], extras["track_future"] = self._track(selected_index, request.moment)
        else:
            selected_index = None
        extras["station_circles"] = self._station_circles(circle_altitude)
        return MapFrame(
            generation=request.generation,
            moment=request.moment,
            shown_index=shown,
            longitude_deg=longitude[shown],
            latitude_deg=latitude[shown],
            altitude_km=altitude[shown],
            night_alpha=alpha,
            subsolar=subsolar,
            selected_index=selected_index,
            selected=selected,
            own_shown=own_shown,
            catalog_raster=raster,
            raster_view=request.raster,
            night_changed=night_changed,
            interpolated=interpolated,
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
