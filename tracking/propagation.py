"""SGP4 propagation vectorised over satellites and times, with per-satellite error reporting.

Positions and velocities are in TEME (SGP4's own frame), km and km/s. A sample SGP4 cannot compute
(decayed orbit, eccentricity out of range...) is NaN in the arrays AND listed with SGP4's error code in
`StateVectors.errors()`: never a crash, never a silent NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sgp4.api import SGP4_ERRORS, SatrecArray

from tracking.elements import Elements
from tracking.frames import FloatArray, Instants, from_posix_s, julian_date_split, posix_seconds, teme_to_ecef

IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class PropagationError:
    """SGP4 could not compute a satellite from `first_failure` on (within the times asked)."""

    norad_id: int
    name: str
    error_code: int
    first_failure: datetime
    failed_samples: int

    @property
    def message(self) -> str:
        return str(SGP4_ERRORS.get(self.error_code, "unknown SGP4 error"))

    def __str__(self) -> str:
        return (
            f"{self.norad_id} {self.name}: SGP4 error {self.error_code} ({self.message}) "
            f"from {self.first_failure.isoformat()} ({self.failed_samples} samples)"
        )


@dataclass(frozen=True, eq=False)
class StateVectors:
    """TEME states of N satellites at T times: arrays (N, T, 3) and error codes (N, T), 0 = fine."""

    elements: tuple[Elements, ...]
    times_s: FloatArray  # (T,) POSIX seconds UTC
    position_km: FloatArray
    velocity_km_s: FloatArray
    error_code: npt.NDArray[np.uint8]

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        return np.asarray(self.error_code == 0)

    def errors(self) -> tuple[PropagationError, ...]:
        """One entry per satellite that failed anywhere, with its first failing time and code."""
        return errors_from_codes(self.elements, self.times_s, self.error_code)

    def ecef(self) -> tuple[FloatArray, FloatArray]:
        """Earth-fixed positions (km) and Earth-relative velocities (km/s), each (N, T, 3)."""
        return teme_to_ecef(self.position_km, self.velocity_km_s, self.times_s)


def errors_from_codes(
    elements: Sequence[Elements], times_s: FloatArray, error_code: npt.NDArray[np.uint8]
) -> tuple[PropagationError, ...]:
    failed = np.flatnonzero(np.any(error_code != 0, axis=1))
    result = []
    for index in failed.tolist():
        first = int(np.argmax(error_code[index] != 0))
        result.append(
            PropagationError(
                norad_id=elements[index].norad_id,
                name=elements[index].name,
                error_code=int(error_code[index, first]),
                first_failure=from_posix_s(float(times_s[first])),
                failed_samples=int(np.count_nonzero(error_code[index])),
            )
        )
    return tuple(result)


class Propagator:
    """SGP4 models of a fixed list of element sets, initialised once and reused."""

    def __init__(self, elements: Sequence[Elements]) -> None:
        self.elements: tuple[Elements, ...] = tuple(elements)
        self._satrecs = [element.to_satrec() for element in self.elements]
        self._array = SatrecArray(self._satrecs) if self._satrecs else None
        self._decay_rate: FloatArray | None = None
        self._apogee: FloatArray | None = None

    def __len__(self) -> int:
        return len(self.elements)

    def period_s(self) -> FloatArray:
        """Anomalistic period of each satellite from its Kozai mean motion, seconds."""
        return np.array([2.0 * np.pi / sat.no_kozai * 60.0 for sat in self._satrecs], dtype=np.float64)

    def apogee_radius_km(self) -> FloatArray:
        """Apogee radius of each mean orbit, km (SGP4's `alta` is apogee height in Earth radii)."""
        if self._apogee is None:
            self._apogee = np.array(
                [(1.0 + sat.alta) * sat.radiusearthkm for sat in self._satrecs], dtype=np.float64
            )
        return self._apogee

    def decay_rate_km_s(self) -> FloatArray:
        """How fast drag shrinks each mean orbit (|da/dt| over the first hour after epoch), km/s.

        SGP4's velocities leave this motion out (they are not quite the derivative of its positions):
        about 1 m/s for a re-entering object, negligible for most.
        """
        if self._decay_rate is None:
            rates = []
            for sat in self._satrecs:
                sat.sgp4_tsince(0.0)
                start = sat.am
                error, _, _ = sat.sgp4_tsince(60.0)
                rates.append(abs(sat.am - start) * sat.radiusearthkm / 3600.0 if error == 0 else np.inf)
            self._decay_rate = np.array(rates, dtype=np.float64)
        return self._decay_rate

    def propagate(self, instants: Instants, indices: IntArray | None = None) -> StateVectors:
        """All satellites (or those at `indices`) at all times: one vectorised SGP4 call."""
        times_s = posix_seconds(instants)
        if indices is None:
            chosen = self.elements
            array = self._array
        else:
            chosen = tuple(self.elements[i] for i in indices)
            array = SatrecArray([self._satrecs[i] for i in indices]) if len(indices) else None
        if array is None:
            empty = np.zeros((0, times_s.size, 3))
            return StateVectors(chosen, times_s, empty, empty.copy(), np.zeros((0, times_s.size), np.uint8))
        jd, fraction = julian_date_split(times_s)
        codes, position, velocity = array.sgp4(jd, fraction)
        return _checked(chosen, times_s, codes, position, velocity)

    def propagate_pairs(
        self, indices: IntArray, times_s: FloatArray
    ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.uint8]]:
        """Satellite `indices[k]` at `times_s[k]` for each k: positions, velocities (M, 3) and codes (M,).

        Loops over the distinct satellites (not over samples): each call is vectorised over that
        satellite's times.
        """
        count = indices.size
        position = np.empty((count, 3))
        velocity = np.empty((count, 3))
        codes = np.zeros(count, dtype=np.uint8)
        if count == 0:
            return position, velocity, codes
        order = np.argsort(indices, kind="stable")
        sorted_indices = indices[order]
        jd, fraction = julian_date_split(times_s[order])
        starts = np.flatnonzero(np.r_[True, sorted_indices[1:] != sorted_indices[:-1]])
        stops = np.r_[starts[1:], count]
        out_r = np.empty((count, 3))
        out_v = np.empty((count, 3))
        out_e = np.empty(count, dtype=np.uint8)
        satrecs = self._satrecs
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            e, r, v = satrecs[sorted_indices[start]].sgp4_array(jd[start:stop], fraction[start:stop])
            out_e[start:stop] = e
            out_r[start:stop] = r
            out_v[start:stop] = v
        position[order] = out_r
        velocity[order] = out_v
        codes[order] = out_e
        bad = codes != 0
        position[bad] = np.nan
        velocity[bad] = np.nan
        return position, velocity, codes


def _checked(
    elements: tuple[Elements, ...],
    times_s: FloatArray,
    codes: npt.NDArray[np.uint8],
    position: FloatArray,
    velocity: FloatArray,
) -> StateVectors:
    codes = np.asarray(codes, dtype=np.uint8)
    bad = codes != 0
    if np.any(bad):
        # SGP4 still fills some failed samples (error 6 keeps a position); never let them through.
        position[bad] = np.nan
        velocity[bad] = np.nan
    return StateVectors(elements, times_s, position, velocity, codes)
