"""Doppler control: what the satellite sends and hears, what to tune, and when it is worth a CAT command.

Frequencies "at the satellite" are fixed by the `FrequencyPlan`; the station tunes its receiver to
the downlink as heard on the ground, f0 (1 - v/c), and its transmitter to the uplink pre-corrected so
the satellite hears f0, f0 / (1 - v/c) (v: range rate, positive receding; the formulas are
`tracking.look`'s). A linear transponder ties the two: moving within the downlink passband moves
the uplink (the same way, or mirrored for an inverting transponder), so the passband position stays
locked at the satellite while both ends are corrected for Doppler.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Protocol

from radios.rig import Rig
from radios.sdr import Radio
from tracking.look import downlink_frequency_hz, uplink_frequency_hz

DEFAULT_DOPPLER_INTERVAL_S = 1.0
DEFAULT_DOPPLER_THRESHOLD_HZ = 10.0
# A dial read back within this of what was set is our own setting (CAT rounds to whole hertz).
DIAL_SLACK_HZ = 2.0


def _check_hz(value: float, field: str) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{field} must be a positive frequency in Hz, got {value!r}")


@dataclass(frozen=True)
class LinearTransponder:
    """An uplink passband repeated on a downlink passband, inverted (USB in, LSB out) or not.

    Inverting: the bottom of the uplink passband comes out at the top of the downlink passband.
    """

    uplink_low_hz: float
    uplink_high_hz: float
    downlink_low_hz: float
    downlink_high_hz: float
    inverting: bool

    def __post_init__(self) -> None:
        for field in ("uplink_low_hz", "uplink_high_hz", "downlink_low_hz", "downlink_high_hz"):
            _check_hz(getattr(self, field), f"transponder {field}")
        if not (self.uplink_low_hz < self.uplink_high_hz and self.downlink_low_hz < self.downlink_high_hz):
            raise ValueError("transponder passbands must have low < high")

    def downlink_for(self, uplink_hz: float) -> float:
        """Where a signal sent into the transponder at `uplink_hz` comes out (satellite frame)."""
        offset_hz = uplink_hz - self.uplink_low_hz
        return self.downlink_high_hz - offset_hz if self.inverting else self.downlink_low_hz + offset_hz

    def uplink_for(self, downlink_hz: float) -> float:
        """The uplink that comes out at `downlink_hz` (satellite frame)."""
        if self.inverting:
            return self.uplink_low_hz + (self.downlink_high_hz - downlink_hz)
        return self.uplink_low_hz + (downlink_hz - self.downlink_low_hz)

    def in_downlink(self, downlink_hz: float) -> bool:
        return self.downlink_low_hz <= downlink_hz <= self.downlink_high_hz


@dataclass(frozen=True)
class FrequencyPlan:
    """The satellite's frequencies in its own frame, and its calibration.

    `downlink_offset_hz` is how far the satellite's transmitter is off its nominal frequency (as
    measured); `uplink_offset_hz` how far its receiver is off. Both are per satellite.
    """

    downlink_hz: float | None = None
    uplink_hz: float | None = None
    transponder: LinearTransponder | None = None
    downlink_offset_hz: float = 0.0
    uplink_offset_hz: float = 0.0

    def __post_init__(self) -> None:
        if self.downlink_hz is None and self.uplink_hz is None:
            raise ValueError("a frequency plan needs a downlink or an uplink frequency")
        if self.downlink_hz is not None:
            _check_hz(self.downlink_hz, "downlink_hz")
        if self.uplink_hz is not None:
            _check_hz(self.uplink_hz, "uplink_hz")
        for field in ("downlink_offset_hz", "uplink_offset_hz"):
            if not math.isfinite(getattr(self, field)):
                raise ValueError(f"{field} must be a finite number of Hz")
        if self.transponder is not None:
            if self.downlink_hz is None or self.uplink_hz is None:
                raise ValueError(
                    "a transponder plan needs both frequencies (use FrequencyPlan.on_transponder)"
                )
            if not self.transponder.in_downlink(self.downlink_hz):
                raise ValueError(f"downlink {self.downlink_hz:.0f} Hz is outside the transponder's passband")
            if abs(self.transponder.downlink_for(self.uplink_hz) - self.downlink_hz) > 1.0:
                raise ValueError(
                    f"uplink {self.uplink_hz:.0f} Hz comes out of the transponder at "
                    f"{self.transponder.downlink_for(self.uplink_hz):.0f} Hz, not {self.downlink_hz:.0f} Hz"
                )

    @classmethod
    def on_transponder(
        cls,
        transponder: LinearTransponder,
        downlink_hz: float,
        *,
        downlink_offset_hz: float = 0.0,
        uplink_offset_hz: float = 0.0,
    ) -> FrequencyPlan:
        """A position in a linear transponder's passband, given by its downlink (satellite frame)."""
        return cls(
            downlink_hz,
            transponder.uplink_for(downlink_hz),
            transponder,
            downlink_offset_hz=downlink_offset_hz,
            uplink_offset_hz=uplink_offset_hz,
        )

    def moved_to(self, downlink_hz: float) -> FrequencyPlan:
        """The plan with the downlink moved (within the passband); a transponder's uplink follows."""
        if self.transponder is None:
            return replace(self, downlink_hz=downlink_hz)
        clamped = min(max(downlink_hz, self.transponder.downlink_low_hz), self.transponder.downlink_high_hz)
        return replace(self, downlink_hz=clamped, uplink_hz=self.transponder.uplink_for(clamped))


@dataclass(frozen=True)
class TunedFrequencies:
    """What the station tunes at one instant (None where the plan has no such link)."""

    rx_hz: float | None
    tx_hz: float | None


def station_frequencies(plan: FrequencyPlan, range_rate_m_s: float) -> TunedFrequencies:
    """Receive and transmit frequencies at the station for one range rate (m/s, + receding)."""
    rx = (
        None
        if plan.downlink_hz is None
        else float(downlink_frequency_hz(plan.downlink_hz + plan.downlink_offset_hz, range_rate_m_s))
    )
    tx = (
        None
        if plan.uplink_hz is None
        else float(uplink_frequency_hz(plan.uplink_hz + plan.uplink_offset_hz, range_rate_m_s))
    )
    return TunedFrequencies(rx, tx)


def satellite_downlink_hz(plan: FrequencyPlan, rx_hz: float, range_rate_m_s: float) -> float:
    """The satellite-frame downlink a receiver tuned to `rx_hz` hears (inverse of the correction)."""
    heard_at_one_hz = float(downlink_frequency_hz(1.0, range_rate_m_s))
    return rx_hz / heard_at_one_hz - plan.downlink_offset_hz


class FrequencySink(Protocol):
    """Where tuning goes: a CAT transceiver or an SDR."""

    @property
    def name(self) -> str: ...

    def prepare(self, *, uplink: bool) -> None:
        """Once before tuning (e.g. split on for a separate uplink)."""
        ...

    def set_rx_hz(self, frequency_hz: float) -> None: ...

    def set_tx_hz(self, frequency_hz: float) -> None: ...

    def rx_hz(self) -> float:
        """The receive frequency the device has now (the operator may have turned the dial)."""
        ...


class RigSink:
    """A `Rig` (rigctld): receive on the main VFO, transmit on the split VFO."""

    def __init__(self, rig: Rig) -> None:
        self.rig = rig

    @property
    def name(self) -> str:
        return self.rig.name

    def prepare(self, *, uplink: bool) -> None:
        if uplink:
            self.rig.set_split(True)

    def set_rx_hz(self, frequency_hz: float) -> None:
        self.rig.set_frequency(frequency_hz)

    def set_tx_hz(self, frequency_hz: float) -> None:
        self.rig.set_tx_frequency(frequency_hz)

    def rx_hz(self) -> float:
        return self.rig.frequency()


class RadioSink:
    """An SDR (`radios.sdr.Radio`): `tune` sets both directions, so the uplink is set again after it."""

    def __init__(self, radio: Radio) -> None:
        self.radio = radio
        self._tx_hz: float | None = None
        self._rx_hz: float | None = None

    @property
    def name(self) -> str:
        return self.radio.name

    def prepare(self, *, uplink: bool) -> None:
        """Nothing to switch: an SDR tunes each direction on its own."""

    def set_rx_hz(self, frequency_hz: float) -> None:
        self.radio.tune(frequency_hz)
        self._rx_hz = frequency_hz
        if self._tx_hz is not None:
            self.radio.tune_tx(self._tx_hz)

    def set_tx_hz(self, frequency_hz: float) -> None:
        self.radio.tune_tx(frequency_hz)
        self._tx_hz = frequency_hz

    def rx_hz(self) -> float:
        return self._rx_hz if self._rx_hz is not None else self.radio.settings.frequency_hz


class RadioSlot:
    """The place of an SDR that comes and goes (the operator starts and stops it) in a session that
    outlives it: tuning reaches the radio attached now, if any, and is remembered, so a radio attached
    mid-pass is tuned at once. Thread-safe: a session tunes from its worker while the app attaches
    and detaches from another thread.

    `driver` says who tunes it ("" for nobody): the views show that the radio is driven."""

    def __init__(self, name: str = "SDR") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._radio: Radio | None = None
        self._rx_hz: float | None = None
        self._tx_hz: float | None = None
        self.driver = ""

    @property
    def name(self) -> str:
        radio = self._radio
        return radio.name if radio is not None else self._name

    @property
    def radio(self) -> Radio | None:
        return self._radio

    def attach(self, radio: Radio | None) -> None:
        """Tune `radio` (None: the radio went away) to what was last asked, and keep it tuned."""
        with self._lock:
            self._radio = radio
            if radio is not None:
                self._apply(radio)

    def release(self) -> None:
        """Nobody drives it any more: forget the frequencies (the radio stays where it is)."""
        with self._lock:
            self._rx_hz = self._tx_hz = None
            self.driver = ""

    def _apply(self, radio: Radio) -> None:
        # `tune` moves both directions of an SDR: the uplink is set again after it.
        if self._rx_hz is not None:
            radio.tune(self._rx_hz)
        if self._tx_hz is not None:
            radio.tune_tx(self._tx_hz)

    def prepare(self, *, uplink: bool) -> None:
        """Nothing to switch: an SDR tunes each direction on its own."""

    def set_rx_hz(self, frequency_hz: float) -> None:
        with self._lock:
            self._rx_hz = frequency_hz
            if self._radio is not None:
                self._apply(self._radio)

    def set_tx_hz(self, frequency_hz: float) -> None:
        with self._lock:
            self._tx_hz = frequency_hz
            if self._radio is not None:
                self._radio.tune_tx(frequency_hz)

    @property
    def asked_rx_hz(self) -> float | None:
        """The receive frequency last asked (None before the first)."""
        return self._rx_hz

    def rx_hz(self) -> float:
        with self._lock:
            if self._rx_hz is not None:
                return self._rx_hz
            return self._radio.settings.frequency_hz if self._radio is not None else 0.0


class DisplaySink:
    """No device: the tracking loop's tune events show the corrected frequencies, nothing is sent."""

    name = "doppler"

    def __init__(self) -> None:
        self._rx_hz = 0.0

    def prepare(self, *, uplink: bool) -> None:
        """Nothing to prepare."""

    def set_rx_hz(self, frequency_hz: float) -> None:
        self._rx_hz = frequency_hz

    def set_tx_hz(self, frequency_hz: float) -> None:
        """Shown by the loop's event; nothing to keep."""

    def rx_hz(self) -> float:
        return self._rx_hz


@dataclass(frozen=True)
class DopplerSettings:
    """How often the loop looks at Doppler and how far a frequency must drift before it is resent."""

    interval_s: float = DEFAULT_DOPPLER_INTERVAL_S
    threshold_hz: float = DEFAULT_DOPPLER_THRESHOLD_HZ
    follow_dial: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise ValueError(f"Doppler interval_s must be > 0, got {self.interval_s!r}")
        if not (math.isfinite(self.threshold_hz) and self.threshold_hz >= 0):
            raise ValueError(f"Doppler threshold_hz must be >= 0, got {self.threshold_hz!r}")


class DopplerController:
    """Decides what to tune: checks at `interval_s`, aims at the middle of the coming interval, and
    resends a frequency only when it has drifted `threshold_hz` from the one last sent."""

    def __init__(self, plan: FrequencyPlan, settings: DopplerSettings | None = None) -> None:
        self.plan = plan
        self.settings = settings if settings is not None else DopplerSettings()
        self.sent = TunedFrequencies(None, None)

    def wanted(self, time_s: float, range_rate_at: RangeRate) -> TunedFrequencies:
        """The frequencies to hold from `time_s` until the next check."""
        return station_frequencies(self.plan, range_rate_at(time_s + self.settings.interval_s / 2))

    def due(self, wanted: TunedFrequencies) -> TunedFrequencies:
        """The part of `wanted` worth sending (None for a frequency still within the threshold)."""

        def pick(want: float | None, last: float | None) -> float | None:
            if want is None:
                return None
            if last is None or abs(round(want) - last) >= max(self.settings.threshold_hz, 1.0):
                return want
            return None

        return TunedFrequencies(pick(wanted.rx_hz, self.sent.rx_hz), pick(wanted.tx_hz, self.sent.tx_hz))

    def record_rx(self, rx_hz: float) -> None:
        self.sent = TunedFrequencies(float(round(rx_hz)), self.sent.tx_hz)

    def record_tx(self, tx_hz: float) -> None:
        self.sent = TunedFrequencies(self.sent.rx_hz, float(round(tx_hz)))

    def forget(self) -> None:
        """The device lost what it had (reconnected): everything goes out again."""
        self.sent = TunedFrequencies(None, None)

    def dial_moved(self, rx_hz: float, range_rate_m_s: float) -> bool:
        """The receiver reads `rx_hz`; if that is not what we set, the operator moved in the passband:
        keep the new position (the uplink follows on a transponder). True when the plan changed."""
        if (
            self.sent.rx_hz is None
            or self.plan.downlink_hz is None
            or abs(rx_hz - self.sent.rx_hz) <= DIAL_SLACK_HZ
        ):
            return False
        self.plan = self.plan.moved_to(satellite_downlink_hz(self.plan, rx_hz, range_rate_m_s))
        self.sent = TunedFrequencies(float(round(rx_hz)), self.sent.tx_hz)
        return True


class RangeRate(Protocol):
    def __call__(self, time_s: float) -> float: ...
