from datetime import UTC, datetime

import pytest

from groundstation.app_settings import AppSettings
from groundstation.demo import DEMO_FIRST_NORAD_ID, DEMO_STATIONS, DEMO_TOTAL, demo_constellation, demo_epoch
from groundstation.errors import InputError
from groundstation.scene import load_scene
from tracking.sources import ElementCache, ElementSource

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ISS = (
    "ISS (ZARYA)\n"
    "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927\n"
    "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537\n"
)
BROKEN = "BROKEN\n1 99999U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2920\n2 99999 garbage\n"


def test_demo_scene_is_our_own_constellation():
    scene = load_scene(AppSettings.demo(), AT)
    assert len(scene.elements) == DEMO_TOTAL
    assert scene.own_norad_ids == {DEMO_FIRST_NORAD_ID + i for i in range(DEMO_TOTAL)}
    assert scene.elements == demo_constellation(demo_epoch(AT))  # what `groundstation demo` shows
    assert [s.name for s in scene.stations] == [s.name for s in DEMO_STATIONS]
    assert scene.index_of(DEMO_FIRST_NORAD_ID) == 0
    assert scene.index_of(1) is None
    assert scene.title == "demo"


def test_element_files_join_the_demo_and_rejections_become_warnings(tmp_path):
    path = tmp_path / "catalog.tle"
    path.write_text(ISS + BROKEN)
    settings = AppSettings(show_demo=True, element_files=(str(path),))
    scene = load_scene(settings, AT)
    assert len(scene.elements) == DEMO_TOTAL + 1
    assert scene.elements[scene.index_of(25544)].name == "ISS (ZARYA)"
    assert 25544 not in scene.own_norad_ids
    assert len(scene.warnings) == 1
    assert scene.warnings[0].startswith(f"{path}:")
    assert scene.title == "demo + catalog.tle"


def test_the_first_file_naming_an_object_wins(tmp_path):
    first, second = tmp_path / "a.tle", tmp_path / "b.tle"
    first.write_text(ISS)
    second.write_text(ISS.replace("ISS (ZARYA)", "ISS again"))
    scene = load_scene(AppSettings(element_files=(str(first), str(second))), AT)
    assert [e.name for e in scene.elements] == ["ISS (ZARYA)"]


def test_a_missing_element_file_is_a_one_line_input_error(tmp_path):
    with pytest.raises(InputError, match=r"nope\.tle: cannot read"):
        load_scene(AppSettings(element_files=(str(tmp_path / "nope.tle"),)), AT)


def test_cached_sources_are_shown_and_missing_caches_warn(tmp_path):
    cache = ElementCache(tmp_path / "cache")
    source = ElementSource("iss", "https://example.org/iss.tle")
    empty = ElementSource("empty", "https://example.org/none.tle")
    cache.body_path(source).parent.mkdir(parents=True, exist_ok=True)
    cache.body_path(source).write_text(ISS)  # as `groundstation elements update` leaves it
    scene = load_scene(AppSettings(), AT, [source, empty], cache)
    assert [e.norad_id for e in scene.elements] == [25544]
    assert scene.warnings == ("source empty: nothing cached yet (run `groundstation elements update`)",)
