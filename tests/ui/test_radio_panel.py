from dataclasses import replace

from groundstation.app_settings import AppSettings, RadioSettings, SatelliteSettings, StationSettings
from groundstation.radio_monitor import doppler_view
from groundstation.scene import load_scene
from groundstation.sky_plot import plan_sky, station_location
from groundstation.station.doppler import DopplerSettings
from radios.registry import open_rig
from radios.rotator import Pointing
from tests.radios.hamlib_daemons import HamlibDaemon
from tests.ui.conftest import T0
from tracking.look import downlink_frequency_hz, look_angles
from tracking.propagation import Propagator
from ui.radio_panel import RadioPanel
from ui.selection import Selection
from ui.theme import load_theme

RADIO_MS = 30_000
THRESHOLD_HZ = DopplerSettings().threshold_hz  # Follow Doppler resends past this, as Engage does
OFFSET_HZ = 3_000.0  # the satellite's transmitter is this far off (calibration)
IN_PASS_NODE = 5  # a demo node that passes over Delft just after T0


def make_panel(qtbot, settings):
    selection = Selection()
    panel = RadioPanel(selection, load_theme("dark"))
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    scene = load_scene(settings, T0)
    selection.select_station(settings.stations[0].name)
    panel.set_scene(scene, settings)
    return panel, selection, scene


def test_a_frame_sent_through_the_loopback_radio_is_decoded_and_listed(qtbot):
    panel, _selection, _scene = make_panel(qtbot, AppSettings.demo())
    panel.show_time(T0)
    with qtbot.waitSignal(panel.update_applied, timeout=RADIO_MS) as blocker:
        panel.start_button.click()
    update = blocker.args[0]
    assert update.centre_hz == AppSettings.demo().radios[0].downlink_hz
    assert panel.running
    assert panel.test_button.isEnabled()
    with qtbot.waitSignal(panel.frame_received, timeout=RADIO_MS) as blocker:
        panel.send_test_frame()
    assert "GROUND>GSNET" in blocker.args[0]
    assert "test frame 12:00:00" in panel.frames.toPlainText()
    x, y = panel.trace.getData()
    assert len(x) == len(y) == 1024
    assert x[0] < 0 < x[-1]  # kHz around the tuned centre
    with qtbot.waitSignal(panel.running_changed) as blocker:
        panel.stop_button.click()
    assert blocker.args == [False]
    assert not panel.running
    panel.shutdown()


def test_doppler_and_rotator_are_shown_for_the_selection(qtbot):
    settings = AppSettings.demo()
    panel, selection, scene = make_panel(qtbot, settings)
    node = scene.elements[2]
    selection.select_node(node.norad_id)
    panel.show_time(T0)
    radio = settings.radios[0]
    expected = doppler_view(
        node, station_location(settings.stations[0]), T0, radio.downlink_hz, radio.uplink_hz
    )
    assert panel.doppler == expected
    assert f"RX {expected.downlink_hz / 1e6:.6f} MHz" in panel.doppler_label.text()
    panel.show_rotator(Pointing(123.4, 56.7))
    assert panel.rotator_label.text() == "Rotator: az 123.4°  el 56.7°"
    panel.shutdown()


def test_a_hamlib_rig_state_is_polled(qtbot):
    daemon = HamlibDaemon("rigctld", "-m", "1", "-P", "RIG").start()  # Hamlib's dummy rig, with PTT
    try:
        settings = AppSettings(
            show_demo=True,
            stations=(StationSettings("Home", 48.1, 11.6, 500.0, 5.0, radio="ft817"),),
            radios=(RadioSettings("ft817", "hamlib", f"127.0.0.1:{daemon.port}", 145.9e6, 435.8e6),),
        )
        panel, _selection, _scene = make_panel(qtbot, settings)
        assert not panel.start_button.isEnabled()  # no SDR at this station
        rig = open_rig(f"rigctld://127.0.0.1:{daemon.port}")
        rig.set_frequency(435_812_345.0)
        rig.close()
        qtbot.waitUntil(lambda: "435.812345 MHz" in panel.rig_label.text(), timeout=RADIO_MS)
        assert "PTT off" in panel.rig_label.text()
        panel.shutdown()
    finally:
        daemon.kill()


def test_follow_doppler_tunes_the_sdr_to_the_satellites_plan_with_its_calibration_offset(qtbot):
    demo = AppSettings.demo()
    element = load_scene(demo, T0).elements[IN_PASS_NODE]
    satellite = SatelliteSettings(element.norad_id, downlink_hz=435_800_000.0, downlink_offset_hz=OFFSET_HZ)
    settings = replace(demo, satellites=(satellite,))
    panel, selection, _scene = make_panel(qtbot, settings)
    station = settings.stations[0]
    found = plan_sky(station, element, T0).tracks[0].pass_
    moment = found.aos + (found.los - found.aos) / 2
    selection.select_node(element.norad_id)
    with qtbot.waitSignal(panel.update_applied, timeout=RADIO_MS):
        panel.start_button.click()
    panel.track_box.setChecked(True)
    look = look_angles(Propagator([element]).propagate(moment), station_location(station))
    expected = float(downlink_frequency_hz(435_800_000.0 + OFFSET_HZ, float(look.range_rate_m_s[0, 0])))
    radio = panel.sdr_slot.radio
    assert radio is not None

    def tuned() -> bool:
        panel.show_time(moment)  # a clock tick
        return abs(radio.settings.frequency_hz - expected) < THRESHOLD_HZ

    qtbot.waitUntil(tuned, timeout=RADIO_MS)
    assert f"{expected / 1e6:.6f} MHz" in panel.doppler_label.text()
    panel.shutdown()
