"""An XTCE document written by space_packet_parser (LASP, BSD-3): a definition nobody here serialised."""

from __future__ import annotations

from pathlib import Path

from space_packet_parser.xtce import calibrators as cal
from space_packet_parser.xtce import comparisons as cmp
from space_packet_parser.xtce import containers as con
from space_packet_parser.xtce import definitions
from space_packet_parser.xtce import encodings as enc
from space_packet_parser.xtce import parameter_types as pt
from space_packet_parser.xtce import parameters as prm

APID = 0x123


def _int(name: str, bits: int, signed: bool = False, **kwargs: object) -> pt.IntegerParameterType:
    return pt.IntegerParameterType(
        name, enc.IntegerDataEncoding(bits, "twosComplement" if signed else "unsigned", **kwargs)
    )  # type: ignore[arg-type]


def reference_definition() -> definitions.XtcePacketDefinition:
    header = [
        prm.Parameter("VERSION", _int("u3", 3)),
        prm.Parameter("TYPE", _int("u1", 1)),
        prm.Parameter("SEC_HDR_FLG", _int("u1", 1)),
        prm.Parameter("PKT_APID", _int("u11", 11)),
        prm.Parameter("SEQ_FLGS", _int("u2", 2)),
        prm.Parameter("SRC_SEQ_CTR", _int("u14", 14)),
        prm.Parameter("PKT_LEN", _int("u16", 16)),
    ]
    poly = cal.PolynomialCalibrator(
        [
            cal.PolynomialCoefficient(-1.5, 0),
            cal.PolynomialCoefficient(0.001, 1),
            cal.PolynomialCoefficient(2e-9, 2),
        ]
    )
    spline = cal.SplineCalibrator(
        [cal.SplinePoint(0, 100.0), cal.SplinePoint(1000, 40.0), cal.SplinePoint(4095, -40.0)], order=1
    )
    entries = [
        prm.Parameter(
            "volts",
            pt.FloatParameterType(
                "volts_t", enc.IntegerDataEncoding(16, "unsigned", default_calibrator=poly), unit="V"
            ),
        ),
        prm.Parameter(
            "mode",
            pt.EnumeratedParameterType(
                "mode_t",
                enc.IntegerDataEncoding(3, "unsigned"),
                {0: "safe", 1: "nominal", 2: "payload", 5: "test"},
            ),
        ),
        prm.Parameter("heater", pt.BooleanParameterType("flag_t", enc.IntegerDataEncoding(1, "unsigned"))),
        prm.Parameter("offset", _int("s5", 5, signed=True)),
        prm.Parameter(
            "thermistor",
            pt.FloatParameterType(
                "therm_t", enc.IntegerDataEncoding(12, "unsigned", default_calibrator=spline), unit="degC"
            ),
        ),
        prm.Parameter("spare", _int("u3b", 3)),
        prm.Parameter(
            "current",
            pt.FloatParameterType(
                "f32le_t", enc.FloatDataEncoding(32, byte_order="leastSignificantByteFirst"), unit="A"
            ),
        ),
        prm.Parameter("counter", _int("u32", 32)),
        prm.Parameter("temperature", _int("s16", 16, signed=True)),
        prm.Parameter("sequence", _int("u64", 64)),
        prm.Parameter("energy", pt.FloatParameterType("f64_t", enc.FloatDataEncoding(64))),
    ]
    root = con.SequenceContainer("CCSDSPacket", header, abstract=True, inheritors=["housekeeping"])
    packet = con.SequenceContainer(
        "housekeeping",
        entries,
        base_container_name="CCSDSPacket",
        restriction_criteria=[cmp.Comparison(str(APID), "PKT_APID", use_calibrated_value=False)],
    )
    # The namespace of the XSD that space_packet_parser ships (its default is the https variant).
    ns = {"xtce": "http://www.omg.org/spec/XTCE/20180204", "xsi": "http://www.w3.org/2001/XMLSchema-instance"}
    return definitions.XtcePacketDefinition([root, packet], ns=ns, space_system_name="reference")


def write_reference(path: Path) -> definitions.XtcePacketDefinition:
    definition = reference_definition()
    definition.write_xml(path)
    return definition
