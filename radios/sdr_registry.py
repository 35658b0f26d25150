"""SDR devices by URI, and what `groundstation radio list` shows.

soapy:driver=rtlsdr[,serial=...]       a SoapySDR device (arguments as SoapySDR takes them)
loopback:[FIELD=VALUE,...][,realtime=1] TX → channel model → RX; FIELDs are `ChannelConfig`'s
                                        (ebn0_db, bit_rate_bps, snr_db, carrier_offset_hz,
                                        doppler_rate_hz_s, sample_rate_offset_ppm, delay_s, seed)
sigmf:PATH[.sigmf-meta][?realtime=1]    replay a recording as RX
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from radios.channel import ChannelConfig
from radios.errors import DeviceConfigError, DeviceError
from radios.loopback import LoopbackRadio
from radios.sdr import Radio, RadioSettings
from radios.sigmf_io import SigmfRadio
from radios.soapy import DEFAULT_DRIVERS, SoapyRadio, enumerate_devices, soapy_version

RADIO_SCHEMES = ("soapy", "loopback", "sigmf")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(uri: str, key: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise DeviceConfigError(f"radio URI {uri!r}: {key} must be 0 or 1, got {text!r}")


def parse_loopback(uri: str, options: str, sample_rate_hz: float) -> tuple[ChannelConfig, bool]:
    """The channel and pacing a `loopback:` URI asks for."""
    fields = {f.name: f for f in dataclasses.fields(ChannelConfig) if f.name != "sample_rate_hz"}
    values: dict[str, float | int] = {}
    realtime = False
    for item in filter(None, (part.strip() for part in options.split(","))):
        key, sep, text = item.partition("=")
        if key == "realtime" and sep:
            realtime = _flag(uri, key, text)
            continue
        if not sep or key not in fields:
            known = ", ".join([*fields, "realtime"])
            raise DeviceConfigError(f"radio URI {uri!r}: unknown loopback option {item!r} (known: {known})")
        try:
            values[key] = int(text) if key == "seed" else float(text)
        except ValueError:
            raise DeviceConfigError(f"radio URI {uri!r}: {key} must be a number, got {text!r}") from None
    try:
        channel = ChannelConfig(sample_rate_hz=sample_rate_hz, **values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise DeviceConfigError(f"radio URI {uri!r}: {exc}") from None
    return channel, realtime


def open_radio(uri: str, settings: RadioSettings | None = None) -> Radio:
    """The radio for `uri` (not opened yet). `settings` is required except for `sigmf:` replay."""
    scheme, sep, rest = uri.strip().partition(":")
    if not sep or scheme not in RADIO_SCHEMES:
        known = ", ".join(s + ":" for s in RADIO_SCHEMES)
        raise DeviceConfigError(f"radio URI {uri!r}: unknown scheme {scheme!r} (known: {known})")
    if scheme == "sigmf":
        path, _, query = rest.partition("?")
        realtime = False
        if query:
            key, _, text = query.partition("=")
            if key != "realtime":
                raise DeviceConfigError(
                    f"radio URI {uri!r}: unknown sigmf option {query!r} (known: realtime)"
                )
            realtime = _flag(uri, key, text)
        if not path:
            raise DeviceConfigError(f"radio URI {uri!r}: expected sigmf:PATH.sigmf-meta")
        return SigmfRadio(path, realtime=realtime)
    if settings is None:
        raise DeviceConfigError(f"radio URI {uri!r}: needs settings (sample rate, frequency)")
    if scheme == "soapy":
        return SoapyRadio(rest, settings)
    channel, realtime = parse_loopback(uri, rest, settings.sample_rate_hz)
    return LoopbackRadio(settings, channel, realtime=realtime)


@dataclass(frozen=True)
class RadioListing:
    """One line of `radio list`: a usable URI (or backend), and what it is or why it is missing."""

    uri: str
    backend: str
    detail: str
    available: bool


def list_radios(drivers: tuple[str, ...] = DEFAULT_DRIVERS) -> list[RadioListing]:
    """Backends and the SoapySDR devices present for `drivers`; a missing SoapySDR is one line."""
    listing: list[RadioListing] = []
    try:
        version = soapy_version()
        devices = enumerate_devices(drivers)
    except DeviceError as exc:
        listing.append(RadioListing("soapy:driver=...", "soapy", str(exc), False))
    else:
        searched = ", ".join(drivers)
        listing.append(RadioListing("soapy:driver=...", "soapy", f"{version}; searched {searched}", True))
        if not devices:
            listing.append(RadioListing("", "soapy", f"no SoapySDR device found for {searched}", False))
        listing.extend(RadioListing(d.uri, "soapy", d.label, True) for d in devices)
    listing.append(
        RadioListing(
            "loopback:", "loopback", "TX through a channel model back to RX (options: ebn0_db=...)", True
        )
    )
    listing.append(RadioListing("sigmf:PATH.sigmf-meta", "sigmf", "replay a SigMF recording as RX", True))
    return listing
