"""Dictionary loading: the shipped demo dictionary, and one-line `file:line: field: reason` errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from groundstation.errors import InputError
from groundstation.telemetry.dictionary import (
    DEMO_DICTIONARY_PATH,
    DictionaryError,
    PolynomialCalibration,
    TableCalibration,
    TelemetryDictionary,
    load_dictionary,
)

GOOD = """\
name = "t"
mode_parameter = "mode"

[packets.hk]
apid = 0x10
length_bytes = 8
expected_period_s = 5.0

[parameters.mode]
packet = "hk"
type = "enum"
offset_bytes = 0
enum = { 0 = "safe", 1 = "nominal" }

[parameters.volts]
packet = "hk"
type = "u16"
offset_bytes = 2
unit = "V"
calibration.polynomial = [0.0, 0.001]
limits.warning = [3.5, 4.2]
limits.critical = [3.3, 4.3]
"""


def load_text(tmp_path: Path, text: str) -> TelemetryDictionary:
    path = tmp_path / "dict.toml"
    path.write_text(text)
    return load_dictionary(path)


def test_demo_dictionary_has_the_health_packet() -> None:
    d = load_dictionary(DEMO_DICTIONARY_PATH)
    packet = d.packet_for_apid(0x101)
    assert packet is not None
    assert packet.name == "node_health"
    assert packet.expected_period_s == 60.0
    expected = {
        "uptime",
        "battery_voltage",
        "battery_soc",
        "mode",
        "obc_temperature",
        "battery_temperature",
        "radio_temperature",
        "panel_temperature",
        "storage_used",
        "storage_free",
        "commands_accepted",
        "commands_rejected",
        "roster_epoch",
        "last_accepted_sequence",
        "last_rejection_reason",
        "payload_on",
        "heater_on",
        "adcs_state",
        "uplink_rssi",
        "solar_current",
    }
    assert {p.name for p in packet.parameters} == expected
    assert d.mode_parameter == "mode"
    assert d.health.link_quality == "uplink_rssi"
    assert d.parameter("solar_current").byte_order == "little"
    assert isinstance(d.parameter("radio_temperature").calibration, TableCalibration)
    soc = d.parameter("battery_soc").limits
    assert soc is not None
    assert soc.ranges_for("safe").critical == (5.0, 100.0)
    assert soc.ranges_for("payload").warning == (40.0, 100.0)


def test_demo_dictionary_reason_codes_are_the_verifiers_reasons() -> None:
    # Every rejection reason the node verifier can give has a code in both enumerations, so a
    # node's report never decodes to UNKNOWN(n).
    from groundstation.governance.reasons import Reason

    d = load_dictionary(DEMO_DICTIONARY_PATH)
    report = d.packet_for_apid(0x102)
    assert report is not None
    assert report.name == "governance_report"
    for name in ("gov_reason", "last_rejection_reason"):
        labels = dict(d.parameter(name).enumeration)
        assert labels[0] == "none"
        assert sorted(v for k, v in labels.items() if k) == sorted(r.value for r in Reason)


def test_good_dictionary_loads(tmp_path: Path) -> None:
    d = load_text(tmp_path, GOOD)
    volts = d.parameter("volts")
    assert volts.calibration == PolynomialCalibration((0.0, 0.001))
    assert volts.expected_period_s == 5.0  # inherited from the packet
    assert d.parameter("mode").enumeration == ((0, "safe"), (1, "nominal"))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


# (edit applied to GOOD, text of the line the error must point at, field, part of the reason)
BAD_CASES = [
    (
        ("offset_bytes = 2", "offset_bytes = 7"),
        "offset_bytes = 7",
        "parameters.volts.offset_bytes",
        "ends past",
    ),
    (('type = "u16"', 'type = "u12"'), 'type = "u12"', "parameters.volts.type", "unknown type"),
    (
        ('packet = "hk"\ntype = "u16"', 'packet = "tm"\ntype = "u16"'),
        'packet = "tm"',
        "parameters.volts.packet",
        "unknown packet",
    ),
    (
        ("limits.critical = [3.3, 4.3]", "limits.critical = [3.6, 4.3]"),
        "limits.critical",
        "parameters.volts.limits.critical",
        "must contain",
    ),
    (
        ("limits.warning = [3.5, 4.2]", "limits.warning = [4.5, 4.2]"),
        "limits.warning",
        "parameters.volts.limits.warning",
        "above high",
    ),
    (('unit = "V"', 'unit = "V"\ngain = 2'), "gain = 2", "parameters.volts.gain", "unknown field"),
    (("apid = 0x10", "apid = 0x1000"), "apid = 0x1000", "packets.hk.apid", "must be in [0, 2047]"),
    (
        ("expected_period_s = 5.0", "expected_period_s = -1"),
        "expected_period_s = -1",
        "packets.hk.expected_period_s",
        "> 0",
    ),
    (
        ("calibration.polynomial = [0.0, 0.001]", 'calibration.polynomial = [0.0, "x"]'),
        "calibration.polynomial",
        "parameters.volts.calibration.polynomial",
        "number",
    ),
    (
        ('enum = { 0 = "safe", 1 = "nominal" }', 'enum = { 0 = "safe", 1 = "safe" }'),
        "enum = {",
        "parameters.mode.enum.1",
        "used twice",
    ),
    (
        ('mode_parameter = "mode"', 'mode_parameter = "volts"'),
        "mode_parameter",
        "mode_parameter",
        "enum parameter",
    ),
    (
        ("expected_period_s = 5.0", "expected_period_s = 5.0\nsporadic = true"),
        "expected_period_s = 5.0",
        "packets.hk.expected_period_s",
        "no period",
    ),
    (("expected_period_s = 5.0", 'sporadic = "yes"'), "sporadic", "packets.hk.sporadic", "true or false"),
    (("expected_period_s = 5.0", ""), "[packets.hk]", "packets.hk.expected_period_s", "required"),
    (("length_bytes = 8", "length_bytes = 8\n"), "", "", ""),  # control: still loads
]


def test_a_sporadic_packet_has_no_period(tmp_path: Path) -> None:
    d = load_text(tmp_path, GOOD.replace("expected_period_s = 5.0", "sporadic = true"))
    assert d.parameter("volts").expected_period_s == float("inf")


@pytest.mark.parametrize(("edit", "line_text", "field", "reason"), BAD_CASES)
def test_errors_name_file_line_field(
    tmp_path: Path, edit: tuple[str, str], line_text: str, field: str, reason: str
) -> None:
    text = GOOD.replace(*edit, 1)
    assert text != GOOD or edit[0] == edit[1]
    if not field:
        load_text(tmp_path, text)
        return
    with pytest.raises(DictionaryError) as caught:
        load_text(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'dict.toml'}:{_line_of(text, line_text)}: {field}: "), message
    assert reason in message
    assert isinstance(caught.value, InputError)


def test_toml_syntax_error_keeps_tomllib_line(tmp_path: Path) -> None:
    text = GOOD.replace('unit = "V"', "unit = V")
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    expected_line = _line_of(text, "unit = V")
    with pytest.raises(DictionaryError, match=rf"dict.toml:{expected_line}: document: invalid TOML"):
        load_text(tmp_path, text)


def test_duplicate_apid_and_missing_file(tmp_path: Path) -> None:
    text = GOOD + "\n[packets.other]\napid = 16\nlength_bytes = 4\nexpected_period_s = 1.0\n"
    with pytest.raises(DictionaryError, match=r":\d+: packets.other.apid: APID 0x10 already used by 'hk'"):
        load_text(tmp_path, text)
    with pytest.raises(DictionaryError, match=r"nope.toml:1: file: cannot read"):
        load_dictionary(tmp_path / "nope.toml")


def test_per_mode_limits_need_known_modes(tmp_path: Path) -> None:
    text = GOOD + "[parameters.volts.limits.by_mode.sleeping]\nwarning = [3.0, 4.0]\n"
    with pytest.raises(DictionaryError) as caught:
        load_text(tmp_path, text)
    assert (
        f":{_line_of(text, 'by_mode.sleeping')}: parameters.volts.limits.by_mode.sleeping: unknown mode"
        in str(caught.value)
    )


def test_bit_fields_must_fit_their_container(tmp_path: Path) -> None:
    text = (
        GOOD
        + '[parameters.flag]\npacket = "hk"\ntype = "u8"\noffset_bytes = 4\nbit_offset = 6\nbit_length = 3\n'
    )
    with pytest.raises(DictionaryError, match=r"parameters.flag.bit_length: bits 6..8 exceed u8"):
        load_text(tmp_path, text)
