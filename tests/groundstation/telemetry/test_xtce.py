"""XTCE import, checked against space_packet_parser (LASP) decoding the same XTCE document."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import space_packet_parser as spp

from groundstation.cli import main
from groundstation.telemetry.alarms import Severity, range_severity, state_severity
from groundstation.telemetry.decoder import TelemetryDecoder
from groundstation.telemetry.dictionary import (
    TelemetryDictionary,
    demo_dictionary,
    dictionary_to_toml,
    load_dictionary,
)
from groundstation.telemetry.frames import TelemetryFrame
from groundstation.telemetry.xtce import XtceError, load_xtce
from tests.groundstation.telemetry.conftest import T0, reception
from tests.groundstation.telemetry.xtce_reference import APID, write_reference

DATA = Path(__file__).resolve().parent / "data"
XSD = Path(spp.__file__).resolve().parent / "xtce" / "schemas" / "SpaceSystem.xsd"
PACKETS = 300
CALIBRATED_ABS = 1e-9


def test_decoding_matches_space_packet_parser(tmp_path: Path) -> None:
    path = tmp_path / "reference.xml"
    reference = write_reference(path)
    dictionary = load_xtce(path)
    (packet,) = dictionary.packets
    assert (packet.apid, packet.length_bytes) == (APID, 31)
    rng = np.random.default_rng(2026)
    raw_packets = []
    for i in range(PACKETS):
        data = bytearray(rng.bytes(packet.length_bytes))
        # mode: 3 bits at the top of data byte 2; only defined codes (the reference refuses others).
        data[2] = (data[2] & 0x1F) | (int(rng.choice([0, 1, 2, 5])) << 5)
        raw_packets.append(struct.pack(">HHH", 0x0800 | APID, 0xC000 | i, len(data) - 1) + bytes(data))
    frames = [TelemetryFrame.from_space_packet("n", p, reception(T0)) for p in raw_packets]
    (batch,) = TelemetryDecoder(dictionary).decode(frames).batches
    for i, raw in enumerate(raw_packets):
        theirs = reference.parse_bytes(raw)
        for column in batch.columns:
            name = column.parameter.name
            expected = theirs[name]
            if column.text is not None:
                want = ("true" if expected else "false") if column.parameter.type == "bool" else str(expected)
                assert column.text[i] == want, (i, name)
                assert column.raw[i] == expected.raw_value, (i, name)
            elif name in ("volts", "thermistor"):  # calibrated
                assert column.eng[i] == pytest.approx(float(expected), abs=CALIBRATED_ABS), (i, name)
                assert column.raw[i] == expected.raw_value, (i, name)
            elif name in ("current", "energy"):
                assert column.eng[i] == float(expected) or (
                    np.isnan(column.eng[i]) and np.isnan(float(expected))
                )
            else:
                assert int(column.raw[i]) == int(expected), (i, name)


def test_alarms_rates_and_container_refs(tmp_path: Path) -> None:
    path = DATA / "alarms.xtce.xml"
    result = spp.validate_xtce(
        path, print_results=False, raise_on_error=False, allow_schema_download=False, local_xsd=XSD
    )
    assert result.valid, str(result)  # the test file is XTCE by the standard's own schema
    dictionary = load_xtce(path)
    (packet,) = dictionary.packets
    assert (packet.name, packet.apid, packet.length_bytes, packet.expected_period_s) == (
        "status",
        100,
        3,
        5.0,
    )
    temperature = dictionary.parameter("board_temperature")
    assert (temperature.type, temperature.unit, temperature.expected_period_s) == ("i16", "degC", 5.0)
    limits = temperature.limits
    assert limits is not None
    assert range_severity(61.0, limits.default) == Severity.WARNING
    assert range_severity(-31.0, limits.default) == Severity.CRITICAL
    mode = dictionary.parameter("mode").limits
    assert mode is not None
    assert (state_severity("safe", mode), state_severity("fault", mode)) == (
        Severity.WARNING,
        Severity.CRITICAL,
    )
    frame = TelemetryFrame("n", 100, struct.pack(">hB", -1234, 7), reception(T0))
    samples = {s.parameter: s for s in TelemetryDecoder(dictionary).decode([frame]).samples()}
    assert samples["board_temperature"].eng_value == pytest.approx(-12.34, abs=CALIBRATED_ABS)
    assert samples["mode"].text == "fault"


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            'encoding="twosComplement"',
            'encoding="onesComplement"',
            "onesComplement",
            "unsupported integer encoding 'onesComplement'",
        ),
        (
            '<xtce:Term coefficient="0.01" exponent="1"/>',
            '<xtce:Term coefficient="x" exponent="1"/>',
            'coefficient="x"',
            "coefficient='x' is not a number",
        ),
        (
            'parameterTypeRef="mode_t"',
            'parameterTypeRef="moods_t"',
            "moods_t",
            "Parameter[mode]: unknown parameterTypeRef 'moods_t'",
        ),
        (
            'value="100"',
            'value="4000"',
            '<xtce:SequenceContainer name="status">',
            "SequenceContainer[status]: needs a RestrictionCriteria",
        ),
        (
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>',
            "DOCTYPE",
            "DTDs and entities are not accepted",
        ),
        (
            "</xtce:ParameterSet>",
            "</xtce:ParameterSt>",
            "</xtce:ParameterSt>",
            "invalid XML (mismatched tag)",
        ),
    ],
)
def test_refusals_name_file_and_line(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    text = (DATA / "alarms.xtce.xml").read_text().replace(old, new, 1)
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(XtceError) as caught:
        load_xtce(path)
    assert str(caught.value).startswith(f"{path}:{_line(text, needle)}: "), str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_xtce_import_cli_writes_a_toml_dictionary_that_loads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "reference.xml"
    write_reference(source)
    out = tmp_path / "reference.toml"
    assert main(["telemetry", "xtce-import", str(source), "--out", str(out), "--period-s", "30"]) == 0
    assert "wrote 1 packets, 11 parameters" in capsys.readouterr().err
    from_toml = load_dictionary(out)
    from_xtce = load_xtce(source, default_period_s=30.0)
    assert replace(from_toml, source="x") == replace(from_xtce, source="x")
    assert main(["telemetry", "xtce-import", str(DATA / "alarms.xtce.xml"), "--mode-parameter", "mode"]) == 0
    text = capsys.readouterr().out
    assert replace(TelemetryDictionary.from_toml(text), source="x") == replace(
        load_xtce(DATA / "alarms.xtce.xml", mode_parameter="mode"), source="x"
    )
    assert (
        main(
            [
                "telemetry",
                "xtce-import",
                str(DATA / "alarms.xtce.xml"),
                "--mode-parameter",
                "board_temperature",
            ]
        )
        == 2
    )
    assert "mode_parameter: must name an enum parameter" in capsys.readouterr().err


def test_the_demo_dictionary_survives_a_toml_round_trip() -> None:
    demo = demo_dictionary()
    again = TelemetryDictionary.from_toml(dictionary_to_toml(demo), "again")
    assert replace(again, source=demo.source) == demo
