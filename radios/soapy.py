"""SoapySDR hardware (RTL-SDR, HackRF, LimeSDR, PlutoSDR, USRP...): the only module importing SoapySDR.

SoapySDR comes from Debian's `python3-soapysdr`, not PyPI, so it may be missing: every entry point
here turns that, and a device that is absent or refuses, into a one-line `DeviceError`.
Enumeration always names a driver (`driver=rtlsdr`): an open-ended enumerate starts network
discovery when the remote module is installed.
"""

from __future__ import annotations

import importlib
import logging
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from radios.errors import DeviceConfigError, DeviceError, DeviceUnavailableError
from radios.sdr import THREAD_JOIN_TIMEOUT_S, RadioSettings, StreamingRadio

log = logging.getLogger("radios.soapy")

# Drivers `radio list` probes by default: common SDRs, no network discovery (`remote`), no sound
# cards (`audio`).
DEFAULT_DRIVERS = ("rtlsdr", "hackrf", "lime", "plutosdr", "uhd", "airspy", "bladerf", "sdrplay")
STREAM_TIMEOUT_US = 100_000
STREAM_BLOCK_SAMPLES = 16_384
CHANNEL = 0

_MISSING = (
    "SoapySDR is not available to this Python ({reason}); install Debian's python3-soapysdr "
    "and run scripts/link-soapysdr"
)


def load_soapysdr() -> ModuleType:
    """The SoapySDR module, or `DeviceUnavailableError` saying how to install it."""
    try:
        module = importlib.import_module("SoapySDR")
    except ImportError as exc:
        raise DeviceUnavailableError(_MISSING.format(reason=exc)) from None
    module.setLogLevel(module.SOAPY_SDR_WARNING)
    return module


def soapy_version() -> str:
    soapy = load_soapysdr()
    return (
        f"SoapySDR {soapy.getLibVersion()} (API {soapy.getAPIVersion()}), {len(soapy.listModules())} modules"
    )


@dataclass(frozen=True)
class SoapyDeviceInfo:
    """One enumerated device: its arguments (as a URI) and a label for people."""

    uri: str
    driver: str
    label: str


def _args_text(args: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(args.items()))


def enumerate_devices(drivers: tuple[str, ...] = DEFAULT_DRIVERS) -> list[SoapyDeviceInfo]:
    """Devices present for each named driver (each enumerate is `driver=NAME`)."""
    soapy = load_soapysdr()
    found: list[SoapyDeviceInfo] = []
    for driver in drivers:
        if not driver or "=" in driver or "," in driver:
            raise DeviceConfigError(f"SoapySDR driver name {driver!r} must be a bare name such as rtlsdr")
        for kwargs in soapy.Device.enumerate(f"driver={driver}"):
            args = {str(key): str(kwargs[key]) for key in kwargs.keys()}  # noqa: SIM118 (SWIG map)
            label = args.get("label") or args.get("product") or args.get("driver", driver)
            found.append(SoapyDeviceInfo(f"soapy:{_args_text(args)}", args.get("driver", driver), label))
    return found


def parse_soapy_args(text: str) -> dict[str, str]:
    """`driver=rtlsdr,serial=0001` → {"driver": "rtlsdr", "serial": "0001"}; a driver is required."""
    args: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DeviceConfigError(f"SoapySDR arguments {text!r}: expected KEY=VALUE, got {item!r}")
        args[key.strip()] = value.strip()
    if not args.get("driver"):
        raise DeviceConfigError(f"SoapySDR arguments {text!r}: name the driver (driver=rtlsdr, ...)")
    return args


class SoapyRadio(StreamingRadio):
    """A SoapySDR device, channel 0: RX on the radio thread, TX on its own thread."""

    def __init__(self, args: str, settings: RadioSettings) -> None:
        self.args = parse_soapy_args(args)
        super().__init__(f"soapy:{_args_text(self.args)}", settings)
        self._soapy: ModuleType | None = None
        self._device: Any = None
        self._rx_stream: Any = None
        self._tx_stream: Any = None
        self._rx_buffer = np.zeros(STREAM_BLOCK_SAMPLES, dtype=np.complex64)
        self._tx_thread: threading.Thread | None = None
        self._tx_stop = threading.Event()
        self.device_overflows = 0

    def _call(self, what: str, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except (RuntimeError, ValueError, TypeError) as exc:
            raise DeviceError(f"{self.name}: {what} failed: {exc}") from None

    def _has_channel(self, direction: int) -> bool:
        return int(self._call("getNumChannels", self._device.getNumChannels, direction)) > CHANNEL

    def _open_device(self) -> None:
        soapy = load_soapysdr()
        try:
            self._device = soapy.Device(_args_text(self.args))
        except RuntimeError as exc:
            raise DeviceUnavailableError(f"{self.name}: no such device or it is busy ({exc})") from None
        self._soapy = soapy
        try:
            self._configure_rates()
        except DeviceError:
            self._device = None
            raise
        self._tx_stop.clear()
        self._tx_thread = threading.Thread(target=self._tx_loop, name=f"tx {self.name}", daemon=True)
        self._tx_thread.start()

    def _configure_rates(self) -> None:
        soapy = self._soapy
        assert soapy is not None
        self._call(
            "setSampleRate",
            self._device.setSampleRate,
            soapy.SOAPY_SDR_RX,
            CHANNEL,
            self.settings.sample_rate_hz,
        )
        if self._has_channel(soapy.SOAPY_SDR_TX):
            self._call(
                "setSampleRate",
                self._device.setSampleRate,
                soapy.SOAPY_SDR_TX,
                CHANNEL,
                self.settings.sample_rate_hz,
            )

    def _apply_frequency(self, frequency_hz: float) -> None:
        assert self._soapy is not None
        self._call("setFrequency", self._device.setFrequency, self._soapy.SOAPY_SDR_RX, CHANNEL, frequency_hz)

    def _apply_tx_frequency(self, frequency_hz: float) -> None:
        assert self._soapy is not None
        if self._has_channel(self._soapy.SOAPY_SDR_TX):
            self._call(
                "setFrequency", self._device.setFrequency, self._soapy.SOAPY_SDR_TX, CHANNEL, frequency_hz
            )

    def _apply_gain(self, gain_db: float) -> None:
        assert self._soapy is not None
        self._call("setGain", self._device.setGain, self._soapy.SOAPY_SDR_RX, CHANNEL, gain_db)

    def _setup_stream(self, direction: int) -> Any:
        assert self._soapy is not None
        stream = self._call(
            "setupStream", self._device.setupStream, direction, self._soapy.SOAPY_SDR_CF32, [CHANNEL]
        )
        if stream is None:
            which = "RX" if direction == self._soapy.SOAPY_SDR_RX else "TX"
            raise DeviceError(f"{self.name}: the device offers no {which} stream")
        self._call("activateStream", self._device.activateStream, stream)
        return stream

    def _start_device(self) -> None:
        assert self._soapy is not None
        self._rx_stream = self._setup_stream(self._soapy.SOAPY_SDR_RX)

    def _run_once(self) -> bool:
        assert self._soapy is not None
        result = self._device.readStream(
            self._rx_stream, [self._rx_buffer], STREAM_BLOCK_SAMPLES, timeoutUs=STREAM_TIMEOUT_US
        )
        if result.ret > 0:
            self.ring.write(self._rx_buffer[: result.ret])
        elif result.ret == self._soapy.SOAPY_SDR_OVERFLOW:
            self.device_overflows += 1
        elif result.ret != self._soapy.SOAPY_SDR_TIMEOUT:
            raise DeviceError(f"{self.name}: readStream failed: {self._soapy.errToStr(result.ret)}")
        return True

    def _tx_loop(self) -> None:
        while not self._tx_stop.is_set():
            block = self.tx.take(STREAM_BLOCK_SAMPLES, timeout_s=STREAM_TIMEOUT_US / 1e6)
            if block.size == 0:
                continue
            try:
                self._write_all(block)
            except DeviceError as exc:
                log.error("%s", exc)
                self.tx.clear()
                continue
            self.tx.done(block.size)

    def _write_all(self, block: np.ndarray[Any, Any]) -> None:
        assert self._soapy is not None
        if self._tx_stream is None:
            self._tx_stream = self._setup_stream(self._soapy.SOAPY_SDR_TX)
        sent = 0
        while sent < block.size and not self._tx_stop.is_set():
            result = self._device.writeStream(
                self._tx_stream, [block[sent:]], block.size - sent, timeoutUs=STREAM_TIMEOUT_US
            )
            if result.ret > 0:
                sent += result.ret
            elif result.ret != self._soapy.SOAPY_SDR_TIMEOUT:
                raise DeviceError(f"{self.name}: writeStream failed: {self._soapy.errToStr(result.ret)}")

    def _stop_device(self) -> None:
        if self._rx_stream is not None:
            self._device.deactivateStream(self._rx_stream)
            self._device.closeStream(self._rx_stream)
            self._rx_stream = None

    def _close_device(self) -> None:
        self._tx_stop.set()
        if self._tx_thread is not None:
            self._tx_thread.join(THREAD_JOIN_TIMEOUT_S)
            self._tx_thread = None
        if self._tx_stream is not None:
            self._device.deactivateStream(self._tx_stream)
            self._device.closeStream(self._tx_stream)
            self._tx_stream = None
        self._device = None
