"""Station and request files: the issue's example reads as written; mistakes name file, line and field."""

from datetime import UTC, datetime

import pytest

from groundstation.errors import InputError
from groundstation.planning.config import check_preferred_stations, load_requests, load_stations

ISSUE_EXAMPLE = """\
[[station]]
name = "Delft"
latitude_deg = 52.0
longitude_deg = 4.37
altitude_m = 0
antennas = 1
min_elevation_deg = 5
setup_s = 120
transmit = true

[[node]]
norad_id = 900
priority = 3          # larger is more important
min_contact_s = 120
"""

FULL_STATIONS = """\
[[station]]
name = "Delft"
latitude_deg = 52.0
longitude_deg = 4.37
antennas = 2
horizon_mask = [[0, 5], [90, 12], [180, 8], [270, 5]]
blackouts = [{ start = 2026-11-22T10:00:00Z, end = "2026-11-22T12:00:00+01:00" }]
reservations = [
  { start = 2026-11-22T14:00:00Z, end = 2026-11-22T14:10:00Z, antenna = 1, norad_id = 5, label = "t" },
]

[[station]]
name = "Kiruna"
latitude_deg = 67.86
longitude_deg = 20.96
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_issue_example_reads_as_written(tmp_path):
    stations_text, nodes_text = ISSUE_EXAMPLE.split("\n\n")
    (station,) = load_stations(_write(tmp_path, "s.toml", stations_text))
    assert (station.name, station.antennas, station.min_elevation_deg, station.setup_s, station.transmit) == (
        "Delft",
        1,
        5.0,
        120,
        True,
    )
    (node,) = load_requests(_write(tmp_path, "r.toml", nodes_text))
    assert (node.norad_id, node.priority, node.min_contact_s, node.contacts_per_day) == (900, 3.0, 120, 1)


def test_masks_blackouts_and_reservations(tmp_path):
    delft, kiruna = load_stations(_write(tmp_path, "s.toml", FULL_STATIONS))
    assert delft.horizon_mask == ((0.0, 5.0), (90.0, 12.0), (180.0, 8.0), (270.0, 5.0))
    assert delft.mask_elevation_deg(45.0) == pytest.approx(8.5)
    (blackout,) = delft.blackouts
    assert blackout.end == datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    (reservation,) = delft.reservations
    assert (reservation.antenna, reservation.norad_id, reservation.label) == (1, 5, "t")
    assert kiruna.antennas == 1
    assert kiruna.transmit is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[station]]\nname = 'A'\nlatitude_deg = 91\nlongitude_deg = 0\n",
            "s.toml:3: station[0].latitude_deg",
        ),
        (
            "[[station]]\nname = 'A'\nlatitude_deg = 1\n",
            "s.toml:1: station[0]: missing required field 'longitude_deg'",
        ),
        (
            "[[station]]\nname = 'A'\nlatitude_deg = 1\nlongitude_deg = 0\nantenas = 2\n",
            "s.toml:5: station[0].antenas: unknown field",
        ),
        (
            "[[station]]\nname = 'A'\nlatitude_deg = 1\nlongitude_deg = 0\nsetup_s = 1.5\n",
            "s.toml:5: station[0].setup_s: expected an integer",
        ),
        (
            "[[station]]\nname = 'A'\nlatitude_deg = 1\nlongitude_deg = 0\n\n"
            "[[station]]\nname = 'A'\nlatitude_deg = 1\nlongitude_deg = 0\n",
            "s.toml:7: station[1].name: duplicate station name 'A'",
        ),
        (
            "[[station]]\nname = 'A'\nlatitude_deg = 1\nlongitude_deg = 0\n"
            "blackouts = [{ start = 2026-11-22T10:00:00, end = 2026-11-22T11:00:00Z }]\n",
            "s.toml:5: station[0].blackouts: item 0: time 2026-11-22T10:00:00 needs a UTC offset",
        ),
        ("[[station]]\nname = 'A'\nlatitude_deg = = 1\n", "s.toml:3: invalid TOML"),
        ("\n[[node]]\nnorad_id = 1\n", "s.toml:2: unexpected top-level key 'node' (expected [[station]])"),
        ("# nothing yet\n", "s.toml:1: no [[station]] tables"),
    ],
)
def test_station_mistakes_name_file_line_and_field(tmp_path, text, message):
    path = _write(tmp_path, "s.toml", text)
    with pytest.raises(InputError) as exc:
        load_stations(path)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[node]]\nnorad_id = 1\npriority = 0\n",
            "r.toml:3: node[0].priority: priority must be a positive number",
        ),
        (
            "[[node]]\nnorad_id = 1\nneeds_uplink = 'yes'\n",
            "r.toml:3: node[0].needs_uplink: expected true or false",
        ),
        (
            "[[node]]\nnorad_id = 1\n[[node]]\nnorad_id = 1\n",
            "r.toml:4: node[1].norad_id: duplicate norad_id 1",
        ),
        ("[[node]]\npriority = 2\n", "r.toml:1: node[0]: missing required field 'norad_id'"),
    ],
)
def test_request_mistakes_name_file_line_and_field(tmp_path, text, message):
    path = _write(tmp_path, "r.toml", text)
    with pytest.raises(InputError) as exc:
        load_requests(path)
    assert message in str(exc.value)


def test_unknown_preferred_station_is_named(tmp_path):
    stations = load_stations(_write(tmp_path, "s.toml", FULL_STATIONS))
    path = _write(
        tmp_path,
        "r.toml",
        "[[node]]\nnorad_id = 1\n\n[[node]]\nnorad_id = 2\npreferred_stations = ['Delft', 'Dwingeloo']\n",
    )
    nodes = load_requests(path)
    with pytest.raises(
        InputError, match=r"r.toml:6: node\[1\].preferred_stations: unknown station 'Dwingeloo'"
    ):
        check_preferred_stations(path, nodes, stations)
