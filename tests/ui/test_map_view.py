from datetime import timedelta

import numpy as np
from PySide6.QtCore import Qt

from groundstation.app_settings import AppSettings
from groundstation.scene import Scene, load_scene
from groundstation.world_map import CatalogPositions
from tests.ui.conftest import T0
from tracking.geometry import footprint_circle
from ui.map_view import MapView, load_coastlines
from ui.map_worker import CATALOG_DOT_PX, FOOTPRINT_POINTS, FOOTPRINT_REUSE_LAT_DEG, MapRequest, MapWorker
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


def settled_frame(qtbot, view):
    """A frame drawn once the layout has settled: its raster matches the view box's size.

    Axis labels change width with the first ticks of a new range and resize the plot; under load
    that can take more than one frame, so keep asking (requests collapse) until a frame fits.
    """
    frames = []
    view.frame_applied.connect(frames.append)

    def fits():
        size = view.view_box.size()
        wanted = (round(size.width()), round(size.height()))
        if frames and (frames[-1].raster_view.width_px, frames[-1].raster_view.height_px) == wanted:
            return True
        view.show_time(T0)
        return False

    qtbot.waitUntil(fits, timeout=10_000)
    view.frame_applied.disconnect(frames.append)
    return frames[-1]


def test_frame_shows_every_object_where_the_core_puts_it(qtbot):
    view, _selection, scene = make_map(qtbot)
    with qtbot.waitSignal(view.frame_applied, timeout=10_000) as blocker:
        view.show_time(T0)
    frame = blocker.args[0]
    expected = CatalogPositions(scene.elements).at(T0)  # the first frame is propagated, not interpolated
    assert frame.moment == T0
    assert len(frame.shown_index) == len(scene.elements)
    np.testing.assert_allclose(frame.longitude_deg, expected.longitude_deg, atol=SAME_POSITION_DEG)
    x, _y = view.nodes.getData()
    assert sorted(x) == sorted(frame.longitude_deg)  # the demo's nodes are all ours: drawn as nodes
    assert view.catalog.pixels is not None
    assert not view.catalog.pixels.any()  # and none of them in the background raster
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
    frame = settled_frame(qtbot, view)
    assert len(view.nodes.getData()[0]) == 6
    pixels = view.catalog.pixels
    assert pixels is not None
    background = np.isin(frame.shown_index, np.arange(6, len(scene.elements)))
    # Each background object is a dot in the raster exactly where the view maps it on screen.
    for lon, lat in zip(frame.longitude_deg[background], frame.latitude_deg[background], strict=True):
        point = view.canvas.mapToScene(view.scene_position_of(lon, lat))
        local = view.view_box.mapFromScene(point)
        assert pixels[int(local.y()), int(local.x())] != 0
    for lon, lat in zip(frame.longitude_deg[~background], frame.latitude_deg[~background], strict=True):
        local = view.view_box.mapFromScene(view.canvas.mapToScene(view.scene_position_of(lon, lat)))
        assert pixels[int(local.y()), int(local.x())] == 0  # ours are drawn as nodes instead
    assert np.count_nonzero(pixels) <= len(background) * CATALOG_DOT_PX**2
    view.shutdown()


def test_the_raster_follows_zoom_and_culls_what_is_outside(qtbot):
    view, _selection, scene = make_map(qtbot)
    view.set_scene(Scene("background", scene.elements, scene.stations, frozenset()))
    with qtbot.waitSignal(view.frame_applied, timeout=10_000) as blocker:
        view.show_time(T0)
    whole = blocker.args[0]
    lon, lat = whole.longitude_deg[0], whole.latitude_deg[0]
    view.restore_view_state(f"{lon - 5:.3f},{lon + 5:.3f},{lat - 5:.3f},{lat + 5:.3f}")
    zoomed = settled_frame(qtbot, view)
    assert zoomed.raster_view.east_deg - zoomed.raster_view.west_deg < 11
    inside = (np.abs(zoomed.longitude_deg - lon) < 5) & (np.abs(zoomed.latitude_deg - lat) < 5)
    lit = np.count_nonzero(view.catalog.pixels)
    assert 1 <= inside.sum() < len(scene.elements)
    assert lit == inside.sum() * CATALOG_DOT_PX**2  # only those in view, each a whole dot
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
    assert np.isfinite(view.footprint.getData()[0]).sum() >= FOOTPRINT_POINTS
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


# Moving a footprint instead of solving it again errs by about the latitude change it was moved by.
FOOTPRINT_SHIFT_TOLERANCE_DEG = 2 * FOOTPRINT_REUSE_LAT_DEG


def test_worker_reuses_what_did_not_change_and_interpolates_small_steps():
    scene = load_scene(AppSettings.demo(), T0)
    worker = MapWorker()
    worker.set_scene(1, scene.elements, scene.stations, np.ones(len(scene.elements), dtype=bool))
    first = worker.frame(MapRequest(1, T0, 0))
    second = worker.frame(MapRequest(1, T0 + timedelta(seconds=1), 0))
    jumped = worker.frame(MapRequest(1, T0 + timedelta(hours=3), 0))
    assert [f.interpolated for f in (first, second, jumped)] == [False, True, False]
    assert [f.night_changed for f in (first, second, jumped)] == [True, False, True]
    assert second.night_alpha is first.night_alpha
    assert second.station_circles is first.station_circles  # same height: the same circles
    lat, lon, alt = second.selected
    ring_lat, ring_lon = footprint_circle(lat, lon, alt, points=FOOTPRINT_POINTS)
    drawn_lat, drawn_lon = (part[np.isfinite(part)][:FOOTPRINT_POINTS] for part in second.footprint)
    np.testing.assert_allclose(drawn_lat, ring_lat, atol=FOOTPRINT_SHIFT_TOLERANCE_DEG)
    np.testing.assert_allclose(
        (drawn_lon - ring_lon + 180) % 360 - 180, 0.0, atol=FOOTPRINT_SHIFT_TOLERANCE_DEG
    )
