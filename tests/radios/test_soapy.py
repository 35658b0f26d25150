"""SoapySDR backend: the built-in null device (smoke only: it opens and tunes, moves no samples)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from radios.errors import DeviceConfigError, DeviceError, DeviceUnavailableError
from radios.sdr import RadioSettings
from radios.sdr_registry import list_radios, open_radio
from radios.soapy import SoapyRadio, enumerate_devices, parse_soapy_args
from tests.conftest import REPO, require_module

SETTINGS = RadioSettings(sample_rate_hz=1e6, frequency_hz=435e6, gain_db=20.0)


def test_null_device_opens_and_accepts_tuning_through_our_backend():
    require_module("SoapySDR")
    radio = open_radio("soapy:driver=null", SETTINGS)
    assert isinstance(radio, SoapyRadio)
    radio.open()
    try:
        radio.tune(145.8e6)
        radio.tune_tx(145.9e6)
        radio.set_gain(30.0)
        assert radio.settings.frequency_hz == 145.8e6
        assert radio.settings.gain_db == 30.0
        # The null device has no streams: a clear error, not a traceback from SWIG.
        with pytest.raises(DeviceError, match=r"soapy:driver=null: the device offers no RX stream"):
            radio.start_rx()
    finally:
        radio.close()


def test_absent_device_is_a_clear_error():
    require_module("SoapySDR")
    radio = open_radio("soapy:driver=doesnotexist", SETTINGS)
    with pytest.raises(
        DeviceUnavailableError, match=r"soapy:driver=doesnotexist: no such device or it is busy"
    ):
        radio.open()


def test_enumerate_with_a_driver_filter():
    require_module("SoapySDR")
    # The null driver is always built in and never enumerates itself: a filtered, empty search.
    assert enumerate_devices(("null",)) == []
    with pytest.raises(DeviceConfigError, match="bare name"):
        enumerate_devices(("driver=null",))


def test_soapy_arguments_need_a_driver():
    assert parse_soapy_args("driver=rtlsdr, serial=0001") == {"driver": "rtlsdr", "serial": "0001"}
    with pytest.raises(DeviceConfigError, match="name the driver"):
        parse_soapy_args("serial=0001")
    with pytest.raises(DeviceConfigError, match="expected KEY=VALUE"):
        parse_soapy_args("driver=null,junk")


def test_listing_reports_soapy_and_the_built_in_backends():
    require_module("SoapySDR")
    listing = list_radios(("null",))
    assert listing[0].backend == "soapy"
    assert listing[0].available
    assert "SoapySDR 0.8" in listing[0].detail
    assert [item.uri for item in listing[-2:]] == ["loopback:", "sigmf:PATH.sigmf-meta"]


def test_missing_soapysdr_is_one_clear_line_not_a_traceback():
    # A Python that cannot import SoapySDR (as on a machine without python3-soapysdr).
    code = (
        "import sys; sys.modules['SoapySDR'] = None\n"
        "from groundstation.cli import main\n"
        "raise SystemExit(main(['radio', 'list']))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    assert "! soapy" in proc.stdout
    assert "SoapySDR is not available to this Python" in proc.stdout
    assert "python3-soapysdr" in proc.stdout
    assert "loopback:" in proc.stdout

    code = (
        "import sys; sys.modules['SoapySDR'] = None\n"
        "from radios.sdr_registry import open_radio\nfrom radios.sdr import RadioSettings\n"
        "open_radio('soapy:driver=rtlsdr', RadioSettings(1e6, 1e8)).open()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert "DeviceUnavailableError: SoapySDR is not available to this Python" in proc.stderr
