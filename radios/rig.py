"""Transceivers: the one `Rig` protocol (frequency, mode, split/TX frequency, PTT) and its values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from radios.errors import LimitError

# Hamlib mode names (`rig_parse_mode`); checked before sending because the dummy rig and some
# backends accept anything.
_MODE_NAMES = (
    "AM CW USB LSB RTTY FM WFM CWR RTTYR AMS PKTLSB PKTUSB PKTFM ECSSUSB ECSSLSB FAX SAM SAL SAH "
    "DSB FMN PKTAM P25 D-STAR DPMR NXDNVN NXDN-N DCR AMN PSK PSKR DD C4FM PKTFMN SPEC"
)
HAMLIB_MODES = frozenset(_MODE_NAMES.split())
MAX_FREQUENCY_HZ = 1e12


@dataclass(frozen=True)
class RigMode:
    mode: str
    passband_hz: int


def check_frequency(frequency_hz: float, what: str = "frequency") -> int:
    """Whole hertz for a CAT command; `LimitError` for a value no radio tunes to."""
    if not (math.isfinite(frequency_hz) and 0 < frequency_hz < MAX_FREQUENCY_HZ):
        raise LimitError(f"{what} {frequency_hz!r} Hz is not a valid radio frequency")
    return round(frequency_hz)


def check_mode(mode: str, passband_hz: int) -> None:
    if mode not in HAMLIB_MODES:
        raise LimitError(f"unknown Hamlib mode {mode!r} (known: {' '.join(sorted(HAMLIB_MODES))})")
    if passband_hz < 0:
        raise LimitError(f"passband {passband_hz} Hz must be >= 0 (0 = the rig's default)")


class Rig(Protocol):
    """One transceiver. Calls return within the driver's timeout or raise `DeviceError`."""

    @property
    def name(self) -> str: ...

    def set_frequency(self, frequency_hz: float) -> None:
        """Receive (or simplex) frequency of the current VFO."""
        ...

    def frequency(self) -> float: ...

    def set_mode(self, mode: str, passband_hz: int = 0) -> None: ...

    def mode(self) -> RigMode: ...

    def set_split(self, enabled: bool, tx_vfo: str = "VFOB") -> None: ...

    def split(self) -> bool: ...

    def set_tx_frequency(self, frequency_hz: float) -> None:
        """Transmit frequency in split operation (uplink)."""
        ...

    def tx_frequency(self) -> float: ...

    def set_ptt(self, on: bool) -> None: ...

    def ptt(self) -> bool: ...

    def close(self) -> None: ...
