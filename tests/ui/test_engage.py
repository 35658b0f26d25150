"""Engage from the desktop: the station's rotator works the selected node's pass in a worker, its
events go to the event log, the sky plot shows where it was sent and where it is; disengaging parks
it; a rotator that dies is reported, never a freeze."""

import math
from datetime import timedelta

from PySide6.QtCore import Qt

from groundstation.app_settings import AppSettings, RotatorSettings, StationSettings
from groundstation.clock import SimulatedClock
from groundstation.scene import load_scene
from groundstation.sky_plot import plan_sky, polar_xy, station_location
from groundstation.station.doppler import DopplerSettings
from groundstation.station.sky import pointing_error_deg
from groundstation.station.tracker import DEFAULT_POINTING_TOLERANCE_DEG
from radios.rotator import Pointing
from tests.radios.hamlib_daemons import HamlibDaemon
from tests.ui.conftest import T0
from tracking.look import downlink_frequency_hz, look_angles
from tracking.propagation import Propagator
from ui.selection import Selection
from ui.sky_plot import SkyPlotView
from ui.theme import load_theme

TOLERANCE_DEG = DEFAULT_POINTING_TOLERANCE_DEG  # the tracker's default, which the app uses
SAME_POINT = 1e-6
WAIT_MS = 30_000
THRESHOLD_HZ = DopplerSettings().threshold_hz  # what the app's engaged session resends past
DEMO_NODE = 5  # a demo node in pass over Delft around T0 (see test_sky_plot.py)


def node_direction(element, station, moment) -> tuple[float, float]:
    look = look_angles(Propagator([element]).propagate(moment), station_location(station))
    return float(look.azimuth_deg[0, 0]), float(look.elevation_deg[0, 0])


def error_deg(position: Pointing, direction: tuple[float, float]) -> float:
    return pointing_error_deg(position.azimuth_deg, position.elevation_deg, *direction)


def track_log(window) -> list[str]:
    return [entry.text for entry in window.events.entries if entry.source == "track"]


def test_engaging_in_the_demo_puts_the_simulated_rotator_on_the_node_and_disengaging_parks_it(qtbot, window):
    sky = window.sky_plot
    station = window.settings.stations[0]  # Delft, with the simulated rotator
    element = window.scene.elements[DEMO_NODE]
    found = plan_sky(station, element, T0).tracks[0].pass_
    window.selection.select_node(element.norad_id)
    qtbot.waitUntil(sky.engage_button.isEnabled, timeout=WAIT_MS)  # the rotator is open
    rotator = sky.rotator_device
    assert rotator is not None
    window.clock.jump_to(found.aos + (found.los - found.aos) / 3)  # in pass, the rotator parked
    window.clock.set_speed(10.0)
    with qtbot.waitSignal(sky.engaged_changed, timeout=WAIT_MS) as engaged:
        window.actions_by_name["engage"].trigger()  # Ctrl+E
    assert engaged.args == [True]
    assert window.actions_by_name["engage"].isChecked()
    qtbot.waitUntil(lambda: any(t.startswith("aos: AOS") for t in track_log(window)), timeout=WAIT_MS)

    def on_track() -> bool:
        moment = window.clock.now()
        return error_deg(rotator.position(), node_direction(element, station, moment)) < TOLERANCE_DEG

    qtbot.waitUntil(on_track, timeout=WAIT_MS)
    assert any(t.startswith("move: ") for t in track_log(window))
    # Paused, the worker and the simulated rotator hold still: the plot catches up with both.
    window.actions_by_name["pause"].trigger()
    paused_at = window.clock.now()
    held = rotator.position()
    qtbot.waitUntil(
        lambda: sky.rotator_position == held and sky.shown is not None and sky.shown.moment == paused_at,
        timeout=WAIT_MS,
    )
    assert error_deg(held, node_direction(element, station, paused_at)) < TOLERANCE_DEG
    x, y = sky.rotator.getData()
    node_x, node_y = sky.node.getData()
    rotator_xy = polar_xy(held.azimuth_deg % 360.0, held.elevation_deg)
    assert abs(x[0] - rotator_xy[0]) < SAME_POINT
    assert abs(y[0] - rotator_xy[1]) < SAME_POINT
    # Plot units are degrees from the zenith: near the horizon they stretch azimuth errors by up to π/2.
    assert math.hypot(x[0] - node_x[0], y[0] - node_y[0]) < 2 * TOLERANCE_DEG
    commanded = sky.engagement.commanded
    assert commanded is not None
    cx, cy = sky.commanded.getData()
    assert abs(cx[0] - polar_xy(commanded.azimuth_deg % 360.0, commanded.elevation_deg)[0]) < SAME_POINT
    assert "sent az" in sky.rotator_label.text()

    window.clock.set_speed(60.0)
    with qtbot.waitSignal(sky.engaged_changed, timeout=WAIT_MS) as disengaged:
        qtbot.mouseClick(sky.engage_button, Qt.MouseButton.LeftButton)
    assert disengaged.args == [False]
    assert not window.actions_by_name["engage"].isChecked()
    park = rotator.limits.park
    assert sky.engagement.commanded is None  # the session is gone
    assert track_log(window)[-2].startswith("park: ")
    assert track_log(window)[-1].startswith("disengage: ")
    qtbot.waitUntil(lambda: rotator.position() == park, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: sky.rotator_position == park, timeout=WAIT_MS)
    cx, cy = sky.commanded.getData()
    assert abs(cx[0]) < SAME_POINT  # the last place it was sent: the zenith
    assert abs(cy[0]) < SAME_POINT


def test_a_rotctld_that_dies_while_engaged_is_reported_and_disengaging_still_returns(qtbot):
    daemon = HamlibDaemon("rotctld", "-m", "1").start()  # Hamlib's dummy, at az 0 el 0
    try:
        settings = AppSettings(
            show_demo=True,
            stations=(StationSettings("Delft", 52.0, 4.37, 0.0, 0.0, rotator="dummy"),),
            rotators=(RotatorSettings("dummy", "rotctld", f"127.0.0.1:{daemon.port}"),),
        )
        scene = load_scene(settings, T0)
        element = scene.elements[DEMO_NODE]
        found = plan_sky(settings.stations[0], element, T0).tracks[0].pass_
        clock = SimulatedClock(found.aos + (found.los - found.aos) / 3, speed=1.0)
        selection = Selection()
        view = SkyPlotView(selection, load_theme("dark"))
        qtbot.addWidget(view)
        view.show()
        view.set_clock(clock, lambda: clock.speed)
        selection.select_station("Delft")
        view.set_scene(scene, settings)
        selection.select_node(element.norad_id)
        qtbot.waitUntil(view.engage_button.isEnabled, timeout=WAIT_MS)
        assert view.rotator_device is not None
        assert view.rotator_device.limits.azimuth_max_deg == 450.0  # asked of rotctld
        events = []
        view.tracker_event.connect(events.append)
        with qtbot.waitSignal(view.engaged_changed, timeout=WAIT_MS):
            assert view.engage()
        qtbot.waitUntil(lambda: any(e.kind == "move" for e in events), timeout=WAIT_MS)
        daemon.kill()
        qtbot.waitUntil(lambda: any(e.kind == "lost" for e in events), timeout=WAIT_MS)
        assert "lost: " in view.engage_label.text()
        with qtbot.waitSignal(view.engaged_changed, timeout=WAIT_MS) as disengaged:
            view.toggle_engage()
        assert disengaged.args == [False]
        assert any(e.kind == "warning" and "not parked" in e.message for e in events)
        assert [e.kind for e in events].count("lost") == 1
        view.shutdown()
    finally:
        daemon.kill()


def test_changing_station_while_engaged_disengages_and_parks_the_first_stations_rotator(qtbot, window):
    sky = window.sky_plot
    element = window.scene.elements[DEMO_NODE]
    window.selection.select_node(element.norad_id)
    qtbot.waitUntil(sky.engage_button.isEnabled, timeout=WAIT_MS)
    rotator = sky.rotator_device
    assert rotator is not None
    window.clock.set_speed(10.0)
    with qtbot.waitSignal(sky.engaged_changed, timeout=WAIT_MS):
        sky.engage()
    qtbot.waitUntil(lambda: any(t.startswith("plan: ") for t in track_log(window)), timeout=WAIT_MS)
    with qtbot.waitSignal(sky.engaged_changed, timeout=WAIT_MS) as disengaged:
        window.actions_by_name["next_station"].trigger()  # to a station without a rotator
    assert disengaged.args == [False]
    assert track_log(window)[-1].startswith("disengage: ")
    assert sky.rotator_device is None
    assert not sky.engage_button.isEnabled()
    assert sky.engage_label.text() == "Nothing to engage: no rotator or rig at this station"
    assert not sky.engage()  # refused, with a warning, not a crash
    assert not window.actions_by_name["engage"].isChecked()


def test_engaged_on_the_demo_station_the_loopback_sdr_follows_the_doppler_corrected_downlink(qtbot, window):
    sky, panel = window.sky_plot, window.radio
    station = window.settings.stations[0]  # Delft: simulated rotator, loopback SDR, roof mask
    element = window.scene.elements[DEMO_NODE]
    found = plan_sky(station, element, T0).tracks[0].pass_
    downlink_hz = window.settings.radios[0].downlink_hz  # no [[satellites]] entry: the radio's
    window.selection.select_node(element.norad_id)
    with qtbot.waitSignal(panel.update_applied, timeout=WAIT_MS):
        panel.start_button.click()
    panel.track_box.setChecked(False)  # the operator's choice, restored after disengaging
    qtbot.waitUntil(sky.engage_button.isEnabled, timeout=WAIT_MS)
    first = found.aos + (found.los - found.aos) / 3
    window.clock.jump_to(first)  # the clock stands still: each jump is one retune to check
    with qtbot.waitSignal(sky.engaged_changed, timeout=WAIT_MS):
        window.actions_by_name["engage"].trigger()
    # "Follow Doppler" shows that the engaged session drives the radio.
    qtbot.waitUntil(lambda: panel.track_box.isChecked() and not panel.track_box.isEnabled(), timeout=WAIT_MS)
    assert "engaged" in panel.track_box.text()
    radio = panel.sdr_slot.radio
    assert radio is not None

    def expected_rx_hz(moment) -> float:
        # The controller tunes for the middle of its coming retune interval.
        aim = moment + timedelta(seconds=DopplerSettings().interval_s / 2)
        look = look_angles(Propagator([element]).propagate(aim), station_location(station))
        return float(downlink_frequency_hz(downlink_hz, float(look.range_rate_m_s[0, 0])))

    second = first + timedelta(seconds=30)
    targets = [expected_rx_hz(first), expected_rx_hz(second)]
    assert abs(targets[1] - targets[0]) > 10 * THRESHOLD_HZ  # the radio must really follow
    qtbot.waitUntil(lambda: abs(radio.settings.frequency_hz - targets[0]) < THRESHOLD_HZ, timeout=WAIT_MS)
    window.clock.jump_to(second)
    qtbot.waitUntil(lambda: abs(radio.settings.frequency_hz - targets[1]) < THRESHOLD_HZ, timeout=WAIT_MS)
    assert any(t.startswith(f"tune: {radio.name} <- RX") for t in track_log(window))
    # The spectrum is centred where the session tuned (once a reading made after the tune is shown).
    updates = []
    panel.update_applied.connect(updates.append)
    qtbot.waitUntil(
        lambda: bool(updates) and abs(updates[-1].centre_hz - targets[1]) < THRESHOLD_HZ, timeout=WAIT_MS
    )

    with qtbot.waitSignal(sky.engaged_changed, timeout=WAIT_MS):
        sky.toggle_engage()
    qtbot.waitUntil(lambda: panel.track_box.isEnabled(), timeout=WAIT_MS)
    assert not panel.track_box.isChecked()
    assert panel.track_box.text() == "Follow Doppler"
    panel.stop()
