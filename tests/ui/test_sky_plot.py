import math
from datetime import timedelta

import numpy as np

from groundstation.app_settings import AppSettings, RotatorSettings, StationSettings
from groundstation.scene import load_scene
from groundstation.sky_plot import plan_sky, polar_xy
from radios.registry import open_rotator
from radios.rotator import Pointing, RotatorLimits
from tests.radios.hamlib_daemons import HamlibDaemon
from tests.ui.conftest import T0
from ui.selection import Selection
from ui.sky_plot import SkyPlotView
from ui.theme import load_theme

SAME_EVENT_S = 0.01  # one pass found by two searches on different grids
SAME_POINT = 1e-9
ROTATOR_TIMEOUT_MS = 15_000


def drawn(item):
    """How many points a plot item shows (PlotDataItem gives None for no data)."""
    x = item.getData()[0]
    return 0 if x is None else len(x)


def make_sky(qtbot, settings):
    selection = Selection()
    view = SkyPlotView(selection, load_theme("dark"))
    qtbot.addWidget(view)
    view.resize(500, 560)
    view.show()
    scene = load_scene(settings, T0)
    selection.select_station(settings.stations[0].name)
    view.set_scene(scene, settings)
    return view, selection, scene


def test_the_current_pass_the_node_and_the_parked_rotator_are_drawn(qtbot):
    settings = AppSettings.demo()
    view, selection, scene = make_sky(qtbot, settings)
    node = scene.elements[5]
    reference = plan_sky(settings.stations[0], node, T0).tracks[0].pass_
    selection.select_node(node.norad_id)
    with qtbot.waitSignal(view.view_applied, timeout=10_000) as blocker:
        view.show_time(reference.tca)
    shown = blocker.args[0]
    assert shown.current is not None
    assert abs((shown.current.pass_.aos - reference.aos).total_seconds()) < SAME_EVENT_S
    x, y = view.current_track.getData()
    expected_x, expected_y = polar_xy(shown.current.azimuth_deg, shown.current.elevation_deg)
    np.testing.assert_allclose(x, expected_x, atol=SAME_POINT)
    np.testing.assert_allclose(y, expected_y, atol=SAME_POINT)
    assert drawn(view.next_track) > 10
    node_x, node_y = view.node.getData()
    np.testing.assert_allclose(
        (node_x[0], node_y[0]), polar_xy(shown.azimuth_deg, shown.elevation_deg), atol=SAME_POINT
    )
    assert node.name in view.info.text()
    assert "IN PASS" in view.info.text()
    # The demo's simulated rotator is parked at the zenith: the centre of the plot.
    qtbot.waitUntil(lambda: view.rotator_position is not None, timeout=ROTATOR_TIMEOUT_MS)
    assert view.rotator_position == Pointing(0.0, 90.0)
    rx, ry = view.rotator.getData()
    assert math.hypot(rx[0], ry[0]) < SAME_POINT
    view.shutdown()


def test_a_plan_for_a_node_no_longer_selected_is_dropped(qtbot):
    settings = AppSettings.demo()
    view, selection, scene = make_sky(qtbot, settings)
    view.show_time(T0)
    selection.select_node(scene.elements[0].norad_id)
    selection.select_node(scene.elements[1].norad_id)  # before the first search reports
    with qtbot.waitSignal(view.plan_ready, timeout=10_000) as blocker:
        pass
    assert blocker.args[0].element == scene.elements[1]
    qtbot.waitUntil(lambda: scene.elements[1].name in view.info.text(), timeout=10_000)
    view.show_time(T0 + timedelta(hours=30))  # past the plan's refresh margin: searched again
    with qtbot.waitSignal(view.plan_ready, timeout=10_000) as blocker:
        pass
    assert blocker.args[0].covers(T0 + timedelta(hours=30))
    selection.select_node(None)
    assert drawn(view.current_track) == 0
    view.shutdown()


def test_a_station_without_a_rotator_says_so(qtbot):
    settings = AppSettings.demo()
    view, selection, _scene = make_sky(qtbot, settings)
    selection.select_station(settings.stations[1].name)
    assert view.rotator_label.text() == "Rotator: none configured for this station"
    assert drawn(view.rotator) == 0
    view.shutdown()


def test_rotctld_position_is_followed_and_its_loss_reported(qtbot):
    daemon = HamlibDaemon("rotctld", "-m", "1").start()  # Hamlib's dummy rotator, at az 0 el 0
    try:
        settings = AppSettings(
            show_demo=True,
            stations=(StationSettings("Home", 48.1, 11.6, 500.0, 5.0, rotator="dummy"),),
            rotators=(RotatorSettings("dummy", "rotctld", f"127.0.0.1:{daemon.port}"),),
        )
        view, _selection, _scene = make_sky(qtbot, settings)
        mover = open_rotator(f"rotctld://127.0.0.1:{daemon.port}", RotatorLimits())
        mover.move_to(12.0, 6.0)  # the dummy slews 6°/s: there in about two seconds
        target = Pointing(12.0, 6.0)
        qtbot.waitUntil(lambda: view.rotator_position == target, timeout=ROTATOR_TIMEOUT_MS)
        x, y = view.rotator.getData()
        np.testing.assert_allclose((x[0], y[0]), polar_xy(12.0, 6.0), atol=1e-6)
        assert "az 12.0°  el 6.0°" in view.rotator_label.text()
        mover.close()
        with qtbot.waitSignal(view.message, timeout=ROTATOR_TIMEOUT_MS) as blocker:
            daemon.kill()
        level, text = blocker.args
        assert level == "warning"
        assert text.startswith("rotator at Home: ")
        assert view.rotator_label.text().startswith("Rotator: ")
        assert drawn(view.rotator) == 0
        view.shutdown()
    finally:
        daemon.kill()
