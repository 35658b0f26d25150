import tomllib

import pytest

from groundstation.app_settings import (
    AppSettings,
    LayoutState,
    StationSettings,
    load_layout,
    load_settings,
    parse_settings,
    save_layout,
    save_settings,
    settings_to_toml,
)
from groundstation.errors import InputError
from groundstation.station.doppler import FrequencyPlan
from radios.rotator import Pointing, RotatorLimits

GOOD = """\
version = 1
element_files = ["/data/active.csv"]

[[stations]]
name = "Home"
latitude_deg = 48.1
longitude_deg = 11.6
min_elevation_deg = 10

[[rotators]]
name = "yaesu"
driver = "rotctld"
address = "127.0.0.1:4533"
"""


def error_of(text: str) -> str:
    with pytest.raises(InputError) as exc:
        parse_settings(text, "s.toml")
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_first_start_has_no_settings_and_the_demo_is_complete(isolated_dirs):
    assert load_settings() is None
    demo = AppSettings.demo()
    assert demo.show_demo
    assert demo.stations[0].name == "Delft"
    assert demo.stations[0].rotator == "sim-rotator"
    # Every reference in the demo resolves: it parses back strictly.
    assert parse_settings(settings_to_toml(demo)) == demo


def test_save_then_load_round_trips_through_the_config_dir(isolated_dirs):
    settings = parse_settings(GOOD)
    path = save_settings(settings)
    assert path.parent == isolated_dirs / "config"
    assert load_settings() == settings
    assert not list(path.parent.glob("*.tmp"))


def test_written_file_is_plain_toml_without_defaults():
    document = tomllib.loads(settings_to_toml(parse_settings(GOOD)))
    assert document["stations"] == [
        {"name": "Home", "latitude_deg": 48.1, "longitude_deg": 11.6, "min_elevation_deg": 10.0}
    ]
    assert "radios" not in document


def test_horizon_mask_and_rotator_uri_round_trip():
    text = GOOD.replace(
        "min_elevation_deg = 10", "min_elevation_deg = 10\nhorizon_mask = [[0, 5], [90.5, 12]]\nantennas = 2"
    )
    settings = parse_settings(text)
    assert settings.station("Home").horizon_mask == ((0.0, 5.0), (90.5, 12.0))
    assert settings.station("Home").antennas == 2
    assert parse_settings(settings_to_toml(settings)) == settings
    assert settings.rotators[0].uri == "rotctld://127.0.0.1:4533"


def test_integers_are_accepted_as_numbers():
    station = parse_settings(GOOD).station("Home")
    assert station.min_elevation_deg == 10.0
    assert isinstance(station.min_elevation_deg, float)


ROTATORS = "simulated, rotctld, gs232, easycomm"
BAD_EDITS = [
    # (text to replace, replacement, the error's start)
    (
        "min_elevation_deg = 10",
        "min_elevation_deg = 10\ncolour = 1",
        "s.toml:9: stations[0].colour: unknown field",
    ),
    (
        "latitude_deg = 48.1",
        "latitude_deg = 95",
        "s.toml:6: stations[0].latitude_deg: must be within [-90, 90]",
    ),
    (
        "longitude_deg = 11.6",
        "longitude_deg = '11.6'",
        "s.toml:7: stations[0].longitude_deg: must be a number, got '11.6'",
    ),
    (
        "longitude_deg = 11.6",
        "longitude_deg = nan",
        "s.toml:7: stations[0].longitude_deg: must be a number, got nan",
    ),
    ("latitude_deg = 48.1\n", "", "s.toml:4: stations[0].latitude_deg: missing"),
    (
        'driver = "rotctld"',
        'driver = "rotator9000"',
        f"s.toml:12: rotators[0].driver: must be one of {ROTATORS}",
    ),
    (
        "min_elevation_deg = 10",
        'min_elevation_deg = 10\nrotator = "spid"',
        "s.toml:9: stations[0].rotator: no rotator named 'spid'",
    ),
    (
        "min_elevation_deg = 10",
        "min_elevation_deg = 10\nhorizon_mask = [[0, 5], [90]]",
        "s.toml:9: stations[0].horizon_mask: must be a list of [number, number] pairs",
    ),
    (
        "min_elevation_deg = 10",
        "min_elevation_deg = 10\nhorizon_mask = [[0, 5], [360, 5]]",
        "s.toml:9: stations[0].horizon_mask: azimuths must be distinct and within [0, 360)",
    ),
    (
        "min_elevation_deg = 10",
        "min_elevation_deg = 10\nhorizon_mask = [[0, 5], [90, 95]]",
        "s.toml:9: stations[0].horizon_mask: elevations must be within [0, 90)",
    ),
    (
        "min_elevation_deg = 10",
        "min_elevation_deg = 10\nantennas = 1.5",
        "s.toml:9: stations[0].antennas: must be a whole number, got 1.5",
    ),
    (
        "min_elevation_deg = 10",
        "min_elevation_deg = 10\nantennas = 0",
        "s.toml:9: stations[0].antennas: must be within [1, 16]",
    ),
    ("version = 1", "version = 2", "s.toml:1: version: must be 1, got 2"),
    ("version = 1", "version = 1\ncolour = 'red'", "s.toml:2: colour: unknown key"),
    ("version = 1", "version = 1\nshow_demo = 1", "s.toml:2: show_demo: must be true or false, got 1"),
    (
        'element_files = ["/data/active.csv"]',
        "element_files = [3]",
        "s.toml:2: element_files: must be a list",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_EDITS)
def test_bad_settings_name_file_line_and_field(old, new, expected):
    assert old in GOOD
    assert error_of(GOOD.replace(old, new, 1)).startswith(expected)


def test_duplicate_station_names_are_refused():
    text = GOOD + '\n[[stations]]\nname = "Home"\nlatitude_deg = 0\nlongitude_deg = 0\n'
    assert error_of(text) == "s.toml:16: stations[1].name: duplicate 'Home'"


def test_a_section_that_is_not_an_array_of_tables_is_refused():
    expected = "s.toml:1: stations: must be an array of tables ([[stations]])"
    assert error_of('[stations]\nname = "x"\n') == expected


def test_broken_toml_is_one_line_and_the_file_is_left_alone(isolated_dirs):
    path = isolated_dirs / "config" / "settings.toml"
    broken = GOOD.replace('name = "Home"', 'name = "Home')
    path.write_text(broken)
    with pytest.raises(InputError) as exc:
        load_settings()
    assert str(exc.value).startswith(f"{path}: not valid TOML:")
    assert "\n" not in str(exc.value)
    assert path.read_text() == broken


def test_station_values_are_validated_in_code_too():
    with pytest.raises(ValueError, match="latitude_deg"):
        StationSettings("x", latitude_deg=-91.0, longitude_deg=0.0)


def test_layout_round_trips_and_a_corrupt_layout_gives_defaults(isolated_dirs):
    assert load_layout() == LayoutState()
    layout = LayoutState(
        theme="light",
        selected_station="Home",
        selected_norad_id=25544,
        window_geometry="AdnQywAD",
        window_state="AAAA/w==",
        extra={"map.range": "-180,180,-90,90"},
    )
    path = save_layout(layout)
    assert load_layout() == layout
    path.write_text("theme = [unclosed")
    assert load_layout() == LayoutState()
    path.write_text('theme = "purple"\nselected_norad_id = true\n')
    assert load_layout() == LayoutState()


RADIO_AND_LIMITS = (
    GOOD
    + """\
azimuth_min_deg = -180
azimuth_max_deg = 540
elevation_min_deg = 0
elevation_max_deg = 180
azimuth_slew_deg_s = 3.5
park_azimuth_deg = 180
park_elevation_deg = 0
tolerance_deg = 4

[[satellites]]
norad_id = 44909
name = "RS-44"
downlink_hz = 435640000
downlink_offset_hz = -1200
uplink_offset_hz = 350
mode = "USB"
transponder = "inverting"
transponder_downlink_low_hz = 435610000
transponder_downlink_high_hz = 435670000
transponder_uplink_low_hz = 145935000
transponder_uplink_high_hz = 145995000

[[satellites]]
norad_id = 25544
uplink_hz = 145990000
"""
)


def test_satellite_radio_and_rotator_limits_round_trip():
    settings = parse_settings(RADIO_AND_LIMITS)
    assert parse_settings(settings_to_toml(settings)) == settings
    limits = settings.rotators[0].limits_over(RotatorLimits())
    assert (limits.azimuth_min_deg, limits.azimuth_max_deg, limits.elevation_max_deg) == (
        -180.0,
        540.0,
        180.0,
    )
    assert (limits.azimuth_slew_deg_s, limits.elevation_slew_deg_s) == (3.5, 6.0)
    assert limits.park == Pointing(180.0, 0.0)
    rs44 = settings.satellite(44909)
    assert rs44 is not None
    plan = rs44.frequency_plan()
    assert plan is not None
    assert plan.transponder is not None
    assert plan.transponder.inverting
    # Inverting: 30 kHz above the bottom of the downlink passband is 30 kHz below the top of the uplink's.
    assert plan.uplink_hz == 145_965_000.0
    assert (plan.downlink_offset_hz, plan.uplink_offset_hz) == (-1200.0, 350.0)
    iss = settings.satellite(25544)
    assert iss is not None
    assert iss.frequency_plan() == FrequencyPlan(uplink_hz=145_990_000.0)
    assert settings.satellite(1) is None


def test_unconfigured_rotator_limits_keep_what_the_device_reports():
    settings = parse_settings(GOOD)
    reported = RotatorLimits(-180.0, 450.0, 0.0, 90.0)
    assert settings.rotators[0].limits_over(reported) == reported


RADIO_BAD_EDITS = [
    ("tolerance_deg = 4", "tolerance_deg = 0", "s.toml:21: rotators[0].tolerance_deg: must be > 0"),
    (
        "azimuth_max_deg = 540",
        "azimuth_max_deg = 100",
        "s.toml:15: rotators[0].azimuth_max_deg: azimuth range must span 360..720°",
    ),
    ("park_elevation_deg = 0\n", "", "s.toml:19: rotators[0].park_azimuth_deg: goes with park_elevation_deg"),
    (
        "park_azimuth_deg = 180",
        "park_azimuth_deg = 600",
        "s.toml:19: rotators[0].park_azimuth_deg: park position",
    ),
    ('mode = "USB"', 'mode = "SSTV"', "s.toml:29: satellites[0].mode: must be a Hamlib mode"),
    (
        'transponder = "inverting"',
        'transponder = "upside-down"',
        "s.toml:30: satellites[0].transponder: must be one of",
    ),
    (
        "transponder_uplink_high_hz = 145995000\n",
        "",
        "s.toml:30: satellites[0].transponder: needs transponder_uplink_high_hz",
    ),
    (
        "downlink_hz = 435640000",
        "downlink_hz = 437800000",
        "s.toml:26: satellites[0].downlink_hz: downlink 437800000 Hz is outside the transponder's passband",
    ),
    ("norad_id = 25544", "norad_id = 44909", "s.toml:37: satellites[1].norad_id: duplicate 44909"),
    ("uplink_hz = 145990000", "uplink_hz = -1", "s.toml:38: satellites[1].uplink_hz: must be a frequency"),
    ("uplink_hz = 145990000", "uplink_hz = 'x'", "s.toml:38: satellites[1].uplink_hz: must be a number"),
]


@pytest.mark.parametrize(("old", "new", "expected"), RADIO_BAD_EDITS)
def test_bad_radio_and_limit_settings_name_file_line_and_field(old, new, expected):
    assert old in RADIO_AND_LIMITS
    assert error_of(RADIO_AND_LIMITS.replace(old, new, 1)).startswith(expected)


def test_entries_from_form_values_fail_on_the_field_with_the_loaders_words():
    from groundstation.app_settings import FieldError, entry_from_values

    station = entry_from_values(StationSettings, {"name": "A", "latitude_deg": 1, "longitude_deg": 2.5})
    assert station == StationSettings("A", 1.0, 2.5)
    with pytest.raises(FieldError) as bad:
        entry_from_values(StationSettings, {"name": "A", "latitude_deg": "north", "longitude_deg": 0.0})
    assert (bad.value.key, bad.value.message) == ("latitude_deg", "must be a number, got 'north'")
    with pytest.raises(FieldError) as missing:
        entry_from_values(StationSettings, {"name": "A", "latitude_deg": 1.0})
    assert (missing.value.key, missing.value.message) == ("longitude_deg", "missing")


def test_settings_problem_is_what_the_loader_would_refuse():
    from groundstation.app_settings import settings_problem

    assert settings_problem(AppSettings.demo()) is None
    dangling = AppSettings(stations=(StationSettings("A", 0.0, 0.0, rotator="gone"),))
    assert settings_problem(dangling) == "settings.toml:7: stations[0].rotator: no rotator named 'gone'"


def test_saving_keeps_the_replaced_file_as_bak(isolated_dirs):
    from groundstation.app_settings import backup_path

    path = save_settings(AppSettings.demo())
    first = path.read_text(encoding="utf-8")
    assert not backup_path(path).exists()
    save_settings(AppSettings(stations=(StationSettings("A", 1.0, 2.0),)))
    assert backup_path(path).read_text(encoding="utf-8") == first
    assert load_settings() == AppSettings(stations=(StationSettings("A", 1.0, 2.0),))


def test_a_horizon_mask_file_reads_with_file_line_errors(tmp_path):
    from groundstation.app_settings import read_horizon_mask

    good = tmp_path / "mask.txt"
    good.write_text("# roof line\n0 2\n  90.5,7 # chimney\n\n180 3\n", encoding="utf-8")
    assert read_horizon_mask(good) == ((0.0, 2.0), (90.5, 7.0), (180.0, 3.0))
    bad = tmp_path / "bad.txt"
    bad.write_text("0 2\n90 7 1\n", encoding="utf-8")
    with pytest.raises(InputError, match=rf"^{bad}:2: expected 'azimuth_deg elevation_deg', got '90 7 1'$"):
        read_horizon_mask(bad)
    with pytest.raises(InputError, match="cannot read"):
        read_horizon_mask(tmp_path / "absent.txt")
