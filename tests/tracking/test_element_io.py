"""Element files: TLE/3LE/OMM readers and writers, against CelesTrak's own records and python-sgp4."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
import sgp4.tests as sgp4_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sgp4 import omm as sgp4_omm
from sgp4.alpha5 import from_alpha5, to_alpha5
from sgp4.api import Satrec

from tests.conftest import DATA
from tracking.element_io import (
    ElementsFileError,
    ElementsReadResult,
    Rejection,
    format_elements,
    format_omm_csv,
    format_omm_json,
    format_omm_xml,
    format_tle_text,
    latest_per_object,
    parse_elements,
    read_elements,
    stale_elements,
)
from tracking.elements import Elements
from tracking.tle import decode_catalog_number, encode_catalog_number

ELEMENTS = DATA / "elements"
TLE_3LE = ELEMENTS / "celestrak-active-2025-04-23-sample.3le"
TLE_2LINE = ELEMENTS / "celestrak-active-2025-04-23-sample.tle"
OMM_CSV = ELEMENTS / "celestrak-active-2026-08-22-sample.csv"
OMM_XML = ELEMENTS / "celestrak-active-2026-08-22-sample.xml"
OMM_JSON = ELEMENTS / "celestrak-amateur-2025-05-24-sample.json"
BEYOND_ALPHA5 = ELEMENTS / "synthetic-beyond-alpha5.csv"
VALLADO = Path(str(files("sgp4") / "SGP4-VER.TLE"))

# A TLE epoch is stored to the microsecond: at most 0.5 µs off, under 4 mm along a LEO track.
TLE_EPOCH_ROUNDING_KM = 1e-5
# Identical sgp4init arguments: the same numbers.
SAME_POSITION_KM = 1e-9
MINUTES = np.array([-1440.0, 0.0, 90.0, 1440.0])


def _positions(sat: Satrec) -> tuple[np.ndarray, np.ndarray]:
    jd = np.full(MINUTES.size, sat.jdsatepoch)
    fr = sat.jdsatepochF + MINUTES / 1440.0
    errors, positions, _ = sat.sgp4_array(jd, fr)
    return errors, positions


def _assert_same_orbit(ours: Satrec, reference: Satrec, tolerance_km: float) -> None:
    errors_ours, r_ours = _positions(ours)
    errors_ref, r_ref = _positions(reference)
    assert list(errors_ours) == list(errors_ref)
    ok = errors_ref == 0
    assert ok.any()
    assert np.max(np.linalg.norm(r_ours[ok] - r_ref[ok], axis=1)) <= tolerance_km


def _tle_pairs(path: Path) -> list[tuple[str, str]]:
    lines = [line.rstrip() for line in path.read_text().splitlines()]
    return [(line, lines[i + 1]) for i, line in enumerate(lines) if line.startswith("1 ")]


def test_formats_are_detected_by_content():
    assert read_elements(TLE_3LE).format == "3le"
    assert read_elements(TLE_2LINE).format == "tle"
    assert read_elements(OMM_CSV).format == "omm-csv"
    assert read_elements(OMM_JSON).format == "omm-json"
    assert read_elements(OMM_XML).format == "omm-xml"
    # The same text under another name is still recognised.
    assert parse_elements(OMM_XML.read_text(), "elements.txt").format == "omm-xml"


def test_3le_and_2line_hold_the_same_elements_and_names():
    named = read_elements(TLE_3LE)
    bare = read_elements(TLE_2LINE)
    assert named.rejected == bare.rejected == ()
    assert [e.name for e in named.elements][:3] == ["CALSPHERE 1", "CALSPHERE 2", "ISS (ZARYA)"]
    assert all(e.name == "" for e in bare.elements)
    assert [e.norad_id for e in named.elements] == [900, 902, 25544, 33591, 41866, 14129, 23802]
    iss = named.elements[2]
    assert iss.epoch == datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=113.77221326 - 1)
    assert iss.international_designator == "1998-067A"
    assert iss.bstar_per_earth_radius == pytest.approx(0.39391e-3, rel=1e-12)
    for a, b in zip(named.elements, bare.elements, strict=True):
        assert a == Elements(**{**b.__dict__, "name": a.name})


def test_tle_lines_round_trip_exactly_through_celestraks_own_lines():
    for line1, line2 in _tle_pairs(TLE_3LE):
        assert Elements.from_tle(line1, line2).to_tle_lines() == (line1, line2)


def test_tle_elements_propagate_as_sgp4s_own_parser():
    for line1, line2 in _tle_pairs(TLE_3LE):
        ours = Elements.from_tle(line1, line2).to_satrec()
        _assert_same_orbit(ours, Satrec.twoline2rv(line1, line2), TLE_EPOCH_ROUNDING_KM)


@pytest.mark.parametrize("path", [OMM_CSV, OMM_XML])
def test_omm_elements_propagate_as_sgp4_omm(path):
    result = read_elements(path)
    with path.open() as handle:
        records = list(sgp4_omm.parse_csv(handle) if path.suffix == ".csv" else sgp4_omm.parse_xml(handle))
    assert len(records) == len(result.elements) == 10
    for ours, fields in zip(result.elements, records, strict=True):
        reference = Satrec()
        sgp4_omm.initialize(reference, fields)
        assert ours.norad_id == int(fields["NORAD_CAT_ID"])
        _assert_same_orbit(ours.to_satrec(), reference, SAME_POSITION_KM)


def test_omm_json_numbers_read_as_sgp4_omm_reads_their_text():
    result = read_elements(OMM_JSON)
    raw = json.loads(OMM_JSON.read_text())
    assert [e.name for e in result.elements] == [r["OBJECT_NAME"] for r in raw]
    for ours, fields in zip(result.elements, raw, strict=True):
        reference = Satrec()
        sgp4_omm.initialize(reference, {key: str(value) for key, value in fields.items()})
        _assert_same_orbit(ours.to_satrec(), reference, SAME_POSITION_KM)


def test_satnogs_json_tles_read_as_the_same_lines_in_3le():
    result = read_elements(ELEMENTS / "satnogs-tle-sample.json")
    assert result.format == "tle-json"
    assert result.rejected == ()
    by_id = {e.norad_id: e for e in read_elements(TLE_3LE).elements}
    assert list(result.elements) == [by_id[25544], by_id[33591]]
    text = (ELEMENTS / "satnogs-tle-sample.json").read_text()
    broken = parse_elements(text.replace("15.49908296506721", "15.49908296506720"), "satnogs.json")
    assert [str(r) for r in broken.rejected] == [
        "satnogs.json:2: tle2: bad checksum (line says 0, computed 1)"
    ]


def test_csv_and_xml_from_celestrak_hold_the_same_records():
    assert read_elements(OMM_CSV).elements == read_elements(OMM_XML).elements


def test_celestraks_three_forms_of_one_record_agree():
    # python-sgp4's test suite carries CelesTrak's TLE, XML and CSV for MARIO (every field non-zero).
    forms = [
        parse_elements(text, name)
        for name, text in (
            ("mario.tle", sgp4_reference.MARIO_TLE),
            ("mario.xml", sgp4_reference.MARIO_XML),
            ("mario.csv", sgp4_reference.MARIO_CSV),
        )
    ]
    assert [form.format for form in forms] == ["3le", "omm-xml", "omm-csv"]
    assert forms[0].elements == forms[1].elements == forms[2].elements
    mario = forms[0].elements[0]
    assert (mario.norad_id, mario.name, mario.rev_at_epoch) == (55123, "MARIO", 1839)
    assert mario.mean_motion_ddot == pytest.approx(0.29408e-3, rel=1e-12)


def test_alpha5_matches_python_sgp4_over_its_whole_range():
    for number in range(0, 340000, 7):
        text = encode_catalog_number(number)
        assert text == to_alpha5(number)
        assert decode_catalog_number(text) == from_alpha5(text) == number
    assert encode_catalog_number(339999) == "Z9999"
    with pytest.raises(ValueError, match="339999"):
        encode_catalog_number(340000)


def test_catalog_numbers_above_99999_work_end_to_end():
    result = read_elements(OMM_CSV)
    big = [e for e in result.elements if e.norad_id > 99999]
    assert [e.norad_id for e in big] == [100000, 100001, 100002, 100400, 100401]
    text = format_tle_text(big)
    assert "1 A0000U 26067CY " in text
    again = parse_elements(text, "alpha5.3le")
    assert again.rejected == ()
    assert [e.norad_id for e in again.elements] == [e.norad_id for e in big]
    for ours in again.elements:
        line1, line2 = ours.to_tle_lines()
        reference = Satrec.twoline2rv(line1, line2)
        assert reference.satnum == ours.norad_id
        _assert_same_orbit(ours.to_satrec(), reference, TLE_EPOCH_ROUNDING_KM)


def test_catalog_numbers_beyond_alpha5_read_propagate_and_refuse_tle_export():
    result = read_elements(BEYOND_ALPHA5)
    beyond, last_alpha5 = result.elements
    assert (beyond.norad_id, last_alpha5.norad_id) == (400001, 339999)
    with pytest.raises(ValueError, match=r"400001 does not fit a TLE \(Alpha-5 ends at 339999\)"):
        beyond.to_tle_lines()
    with pytest.raises(ValueError, match="400001"):
        format_tle_text([beyond])
    # The catalog number plays no part in propagation: same orbit as the record it was copied from.
    source_row = read_elements(OMM_CSV).elements[-1]
    _assert_same_orbit(beyond.to_satrec(), source_row.to_satrec(), SAME_POSITION_KM)
    assert last_alpha5.to_tle_lines()[0].startswith("1 Z9999U")
    for fmt in ("omm-csv", "omm-json", "omm-xml"):
        assert parse_elements(format_elements(result.elements, fmt), fmt).elements == result.elements


def test_malformed_tle_entries_are_reported_and_skipped():
    path = ELEMENTS / "malformed.3le"
    result = read_elements(path)
    assert [e.name for e in result.elements] == ["CALSPHERE 1", "POLAR"]
    assert [str(r) for r in result.rejected] == [
        f"{path}:5: bad checksum (line says 6, computed 5)",
        f"{path}:9: bad inclination '51.63a99' in columns 9-16",
        f"{path}:12: truncated TLE line (50 columns, need 69)",
        f"{path}:15: catalog number 41867 differs from line 1 (41866)",
        f"{path}:17: bad B* drag term '1x635-20' in columns 54-61",
        f"{path}:22: TLE line 2 without line 1",
        f"{path}:23: TLE line 1 is not followed by line 2",
        f"{path}:24: name line 'ORPHAN NAME' without TLE lines",
    ]


def test_malformed_omm_csv_rows_are_reported_and_skipped():
    path = ELEMENTS / "malformed.csv"
    result = read_elements(path)
    assert [e.norad_id for e in result.elements] == [900, 25544, 100400]
    assert [str(r) for r in result.rejected] == [
        f"{path}:4: MEAN_MOTION: bad number '1.0027x3212'",
        f"{path}:5: EPOCH: missing",
        f"{path}:6: row has 9 fields, header has 17",
        f"{path}:7: EPOCH: bad time '2026-13-45T00:00:00'",
        f"{path}:8: ECCENTRICITY: eccentricity must be in [0, 1), got 1.2",
    ]


def test_malformed_omm_json_objects_are_reported_and_skipped():
    path = ELEMENTS / "malformed.json"
    result = read_elements(path)
    assert [e.norad_id for e in result.elements] == [7530, 20442]
    assert [str(r) for r in result.rejected] == [
        f"{path}:21: BSTAR: missing",
        f"{path}:39: INCLINATION: bad number 'ninety'",
        f"{path}:58: expected an OMM object, got int",
    ]


def test_truncated_json_and_xml_keep_what_came_before_the_break():
    json_result = read_elements(ELEMENTS / "truncated.json")
    assert [e.norad_id for e in json_result.elements] == [7530, 14129]
    (json_rejection,) = json_result.rejected
    assert json_rejection.line == 42
    assert "invalid JSON" in json_rejection.reason
    xml_path = ELEMENTS / "malformed.xml"
    xml_result = read_elements(xml_path)
    assert [e.norad_id for e in xml_result.elements] == [900, 41866]
    assert [str(r) for r in xml_result.rejected] == [
        f"{xml_path}:6: MEAN_MOTION: bad number '15.49x70248'",
        f"{xml_path}:10: invalid XML (no element found); the rest is skipped",
    ]


def test_vallados_verification_file_reads_through_the_tle_reader():
    strict = read_elements(VALLADO)
    # Vallado's cases 33333-33335 carry wrong checksums on purpose.
    assert [(r.line, "bad checksum" in r.reason) for r in strict.rejected] == [
        (100, True),
        (103, True),
        (106, True),
    ]
    result = read_elements(VALLADO, verify_checksum=False)
    assert result.rejected == ()
    lines = VALLADO.read_text().splitlines()
    assert len(result.elements) == len(result.lines) == sum(1 for line in lines if line.startswith("1 "))
    for elements, start in zip(result.elements, result.lines, strict=True):
        line1, line2 = lines[start - 1], lines[start]
        # The start/stop/step columns after column 69 stay reachable through `lines`.
        start_min, stop_min, step_min = (float(x) for x in line2[69:].split())
        assert stop_min != start_min
        assert step_min > 0
        reference = Satrec.twoline2rv(line1[:69], line2[:69])
        assert elements.norad_id == reference.satnum
        ours = elements.to_satrec()
        error_ours, r_ours, _ = ours.sgp4_tsince(start_min)
        error_ref, r_ref, _ = reference.sgp4_tsince(start_min)
        assert error_ours == error_ref
        if error_ref == 0:
            assert np.linalg.norm(np.subtract(r_ours, r_ref)) <= TLE_EPOCH_ROUNDING_KM


@pytest.mark.parametrize("fmt", ["3le", "omm-csv", "omm-json", "omm-xml"])
def test_writers_round_trip(fmt):
    originals = read_elements(OMM_CSV).elements + read_elements(TLE_3LE).elements
    text = format_elements(originals, fmt)
    again = parse_elements(text, f"out.{fmt}")
    assert again.format == fmt
    assert again.rejected == ()
    if fmt == "3le":  # TLE columns round to their printed precision; the input had exactly that
        assert [e.to_tle_lines() for e in again.elements] == [e.to_tle_lines() for e in originals]
    else:
        assert again.elements == originals


def test_our_omm_is_readable_by_python_sgp4():
    originals = read_elements(OMM_CSV).elements
    parsed = {
        "csv": list(sgp4_omm.parse_csv(io.StringIO(format_omm_csv(originals)))),
        "xml": list(sgp4_omm.parse_xml(io.StringIO(format_omm_xml(originals)))),
        "json": json.loads(format_omm_json(originals)),
    }
    for records in parsed.values():
        assert len(records) == len(originals)
        for ours, fields in zip(originals, records, strict=True):
            reference = Satrec()
            sgp4_omm.initialize(reference, fields)
            _assert_same_orbit(ours.to_satrec(), reference, SAME_POSITION_KM)


def test_csv_writer_header_is_celestraks():
    ours = next(csv.reader(io.StringIO(format_omm_csv([]))))
    theirs = next(csv.reader(io.StringIO(OMM_CSV.read_text())))
    assert ours == theirs


def test_stale_elements_are_those_older_than_the_limit():
    elements = read_elements(TLE_3LE).elements  # epochs 2025-04-20 .. 2025-04-24
    at = datetime(2025, 4, 24, 12, tzinfo=UTC)
    ages = {e.norad_id: e.age_days(at) for e in elements}
    assert 3.5 < ages[14129] < 3.8
    stale = stale_elements(elements, at, max_age_days=2.0)
    assert {e.norad_id for e in stale} == {n for n, age in ages.items() if age > 2.0} == {14129, 23802}
    assert stale_elements(elements, datetime(2025, 4, 1, tzinfo=UTC), 0.0) == ()


def test_latest_per_object_keeps_the_newest_epoch():
    april = read_elements(TLE_3LE).elements  # 2025 epochs
    august = read_elements(OMM_CSV).elements  # 2026 epochs, some of the same objects
    merged = latest_per_object(april + august)
    by_id = {e.norad_id: e for e in merged}
    assert len(by_id) == len(merged) == len({e.norad_id for e in april + august})
    assert by_id[25544].epoch.year == 2026
    assert by_id[33591].epoch.year == 2025  # only in April's file
    assert set(latest_per_object(august + april)) == set(merged)
    assert [e.norad_id for e in merged][:2] == [900, 902]  # first appearance in april's file


def test_rejection_prints_as_file_line_reason():
    assert str(Rejection("a.tle", 7, "bad checksum")) == "a.tle:7: bad checksum"


def test_unreadable_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(ElementsFileError, match=r"missing\.tle: cannot read"):
        read_elements(tmp_path / "missing.tle")
    with pytest.raises(ElementsFileError, match=r"x\.csv:1: OMM CSV header lacks EPOCH"):
        parse_elements("OBJECT_NAME,NORAD_CAT_ID\nX,5\n", "x.csv")
    assert parse_elements("", "empty") == ElementsReadResult((), (), "tle", "empty")
    not_elements = parse_elements("No GP data found\n", "gp.php")
    assert [str(r) for r in not_elements.rejected] == [
        "gp.php:1: name line 'No GP data found' without TLE lines"
    ]


FUZZ_SOURCES = [TLE_3LE, TLE_2LINE, OMM_CSV, OMM_XML, OMM_JSON]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source_index=st.integers(0, len(FUZZ_SOURCES) - 1),
    edits=st.lists(
        st.tuples(
            st.floats(0.0, 1.0),
            st.integers(0, 3),
            st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=3),
        ),
        max_size=6,
    ),
    cut=st.floats(0.0, 1.0),
)
def test_damaged_files_never_crash_the_reader(source_index, edits, cut):
    text = FUZZ_SOURCES[source_index].read_text()
    for where, drop, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + drop :]
    text = text[: max(1, int(cut * len(text) * 2))]  # about half the time, cut the file short
    try:
        result = parse_elements(text, "fuzzed")
    except ElementsFileError as exc:
        message = str(exc)
        result = None
    if result is None:
        assert message.startswith("fuzzed")
        assert "\n" not in message
        return
    assert all(r.source == "fuzzed" and r.line >= 1 and "\n" not in r.reason for r in result.rejected)
    assert len(result.lines) == len(result.elements)
    for item in result.elements:
        item.to_satrec()
