from datetime import timedelta

import numpy as np
from PySide6.QtCore import Qt

from groundstation.app_settings import AppSettings
from groundstation.scene import Scene, load_scene
from groundstation.world_map import CatalogPositions
from tests.ui.conftest import T0
from ui.map_view import MapView, load_coastlines
from ui.selection import Selection
from ui.theme import load_theme

SAME_POSITION_DEG = 1e-9


def make_map(qtbot):
    selection = Selection()
    view = MapView(selection, load_theme("dark"))
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    scene = load_scene(AppSettings.demo(), T0)
    view.set_scene(scene)
    return view, selection, scene


def test_frame_shows_every_object_where_the_core_puts_it(qtbot):
    view, _selection, scene = make_map(qtbot)
    with qtbot.waitSignal(view.frame_applied, timeout=10_000) as blocker:
        view.show_time(T0)
    frame = blocker.args[0]
    expected = CatalogPositions(scene.elements).at(T0)
    assert frame.moment == T0
    assert len(frame.shown_index) == len(scene.elements)
    np.testing.assert_allclose(frame.longitude_deg, expected.longitude_deg, atol=SAME_POSITION_DEG)
    x, _y = view.nodes.getData()
    assert sorted(x) == sorted(frame.longitude_deg)  # the demo's nodes are all ours: drawn as nodes
    assert len(view.catalog.getData()[0]) == 0
    # Night is where the Sun is below the horizon: the antisolar point is dark, the subsolar one not.
    lat, lon = frame.subsolar
    row, col = int(90 + lat), int((lon + 180) % 360)
    assert frame.night_alpha[row, col] == 0.0
    assert frame.night_alpha[179 - row, (col + 180) % 360] == 1.0
    view.shutdown()


def test_objects_not_ours_are_drawn_as_the_background_catalog(qtbot):
    view, _selection, scene = make_map(qtbot)
    ours = frozenset(e.norad_id for e in scene.elements[:6])
    view.set_scene(Scene("mixed", scene.elements, scene.stations, ours))
    with qtbot.waitSignal(view.frame_applied, timeout=10_000) as blocker:
        view.show_time(T0)
    frame = blocker.args[0]
    assert len(view.nodes.getData()[0]) == 6
    x, y = view.catalog.getData()
    assert len(x) == 2 * (len(scene.elements) - 6)  # each dot is a zero-length segment
    background = np.isin(frame.shown_index, np.arange(6, len(scene.elements)))
    np.testing.assert_allclose(np.sort(x[::2]), np.sort(frame.longitude_deg[background]))
    np.testing.assert_allclose(np.sort(y[::2]), np.sort(frame.latitude_deg[background]))
    view.shutdown()


def test_ticks_arriving_while_busy_collapse_into_the_newest(qtbot):
    view, _selection, _scene = make_map(qtbot)
    frames = []
    view.frame_applied.connect(frames.append)
    last = T0 + timedelta(seconds=99)
    for second in range(100):
        view.show_time(T0 + timedelta(seconds=second))
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].moment == last, timeout=10_000)
    assert len(frames) < 100
    view.shutdown()


def test_click_selects_the_nearest_node_and_draws_its_track(qtbot):
    view, selection, scene = make_map(qtbot)
    with qtbot.waitSignal(view.frame_applied, timeout=10_000) as blocker:
        view.show_time(T0)
    frame = blocker.args[0]
    target = 5
    point = view.scene_position_of(frame.longitude_deg[target], frame.latitude_deg[target])
    with qtbot.waitSignal(view.frame_applied, timeout=10_000) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    norad_id = scene.elements[int(frame.shown_index[target])].norad_id
    assert selection.node == norad_id
    selected = blocker.args[0]
    assert selected.selected is not None
    assert abs(selected.selected[1] - frame.longitude_deg[target]) < SAME_POSITION_DEG
    past_lon = view.track_past.getData()[0]
    future_lon = view.track_future.getData()[0]
    assert len(past_lon) > 100
    assert len(future_lon) > 200
    assert np.isfinite(view.footprint.getData()[0]).sum() > 100
    assert scene.elements[int(frame.shown_index[target])].name in view.info.text()
    view.shutdown()


def test_click_on_empty_sea_selects_nothing(qtbot):
    view, selection, _scene = make_map(qtbot)
    with qtbot.waitSignal(view.frame_applied, timeout=10_000):
        view.show_time(T0)
    assert view.object_near(0.0, -89.0) is None
    assert selection.node is None
    view.shutdown()


def test_coastlines_are_polylines_that_never_jump_across_the_map():
    lon, lat = load_coastlines()
    assert len(lon) > 4000
    assert np.nanmin(lat) > -90
    assert np.nanmax(lat) < 90
    steps = np.abs(np.diff(lon))
    assert np.nanmax(steps) < 30.0


def test_view_range_round_trips(qtbot):
    view, _selection, _scene = make_map(qtbot)
    view.restore_view_state("-20.000,40.000,10.000,60.000")
    x0, x1, y0, y1 = (float(v) for v in view.view_state().split(","))
    assert (round(x0), round(x1), round(y0), round(y1)) == (-20, 40, 10, 60)
    view.restore_view_state("nonsense")
    assert view.view_state().startswith("-20.000")
    view.shutdown()
