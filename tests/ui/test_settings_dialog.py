"""The settings dialog on the demo window: edits checked by the core, saved so the core loader reads
them back, applied to the running views, and device tests against Hamlib's daemons."""

import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from groundstation.app_settings import backup_path, load_settings, parse_settings, settings_path
from groundstation.errors import InputError
from tests.conftest import require_tool
from tests.radios.hamlib_daemons import HamlibDaemon

SCREEN = (1366, 768)
APPLY_TIMEOUT_MS = 20_000
DEVICE_TIMEOUT_MS = 10_000


def hamlib_client(tool: str, port: int, *command: str) -> list[str]:
    """Hamlib's own client (model 2: NET) talking to the daemon, as the reference reading."""
    result = subprocess.run(
        [require_tool(tool), "-m", "2", "-r", f"127.0.0.1:{port}", *command],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return result.stdout.split()


def field(page, form, key: str) -> QLineEdit:
    editor = form.editors[key]
    assert isinstance(editor, QLineEdit)
    return editor


def retype(qtbot, editor: QLineEdit, text: str) -> None:
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor, text)


def add_station(qtbot, dialog, name: str, latitude: str, longitude: str) -> None:
    page = dialog.stations
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    retype(qtbot, field(page, page.form, "name"), name)
    retype(qtbot, field(page, page.form, "latitude_deg"), latitude)
    retype(qtbot, field(page, page.form, "longitude_deg"), longitude)


def press_ok(qtbot, dialog) -> None:
    assert dialog.ok_button.isEnabled(), dialog.status.text()
    with qtbot.waitSignal(dialog.saved, timeout=APPLY_TIMEOUT_MS):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)


def test_a_station_added_appears_in_the_window_and_round_trips_through_the_loader(qtbot, window):
    assert load_settings() is None  # the demo: no settings file yet
    dialog = window.open_settings()
    add_station(qtbot, dialog, "Roof", "51.5", "-0.12")
    press_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    names = [window.station_box.itemText(i) for i in range(window.station_box.count())]
    assert names[-1] == "Roof"
    assert window.timeline.station_box.findData("Roof") >= 0
    saved = load_settings()  # the core loader, from the config folder the test points at
    assert saved is not None
    assert saved.station("Roof").latitude_deg == pytest.approx(51.5)
    assert saved.station("Roof").longitude_deg == pytest.approx(-0.12)
    assert saved.show_demo  # saving from the demo keeps it running from the operator's own file
    assert saved == window.settings
    assert parse_settings(settings_path().read_text(encoding="utf-8")) == saved
    window.station_box.setCurrentText("Roof")
    qtbot.waitUntil(
        lambda: window.sky_plot.station() is not None and window.sky_plot.station().name == "Roof"
    )


def test_a_bad_latitude_shows_the_cores_message_and_blocks_ok(qtbot, window):
    dialog = window.open_settings()
    page = dialog.stations
    latitude = field(page, page.form, "latitude_deg")
    retype(qtbot, latitude, "91")
    with pytest.raises(InputError) as refused:  # what the loader says of the same value
        parse_settings('[[stations]]\nname = "x"\nlatitude_deg = 91\nlongitude_deg = 0\n', "s.toml")
    core_message = str(refused.value).split("latitude_deg: ", 1)[1]
    assert page.form.error_text("latitude_deg") == core_message
    assert page.form.errors["latitude_deg"].isVisibleTo(dialog)
    assert not dialog.ok_button.isEnabled()
    assert not dialog.apply_button.isEnabled()
    assert not page.list.isEnabled()  # the edit cannot be dropped by switching station
    retype(qtbot, latitude, "north")
    assert page.form.error_text("latitude_deg") == "must be a number, got 'north'"
    retype(qtbot, latitude, "48.2")
    assert page.form.error_text("latitude_deg") == ""
    assert dialog.ok_button.isEnabled()


def test_a_satellite_offset_is_read_back_by_the_loader_and_the_old_file_kept(qtbot, window):
    first = window.open_settings()
    press_ok(qtbot, first)  # the demo saved as it is
    qtbot.waitUntil(lambda: not first.isVisible())
    before = settings_path().read_text(encoding="utf-8")
    dialog = window.open_settings()
    page = dialog.satellites
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    retype(qtbot, field(page, page.form, "norad_id"), "43017")
    retype(qtbot, field(page, page.form, "downlink_hz"), "145960000")
    retype(qtbot, field(page, page.form, "downlink_offset_hz"), "-1250")
    mode = page.form.editors["mode"]
    mode.setCurrentIndex(mode.findData("FM"))
    mode.activated.emit(mode.currentIndex())
    assert page.list.item(0).text() == "#43017"
    press_ok(qtbot, dialog)
    saved = load_settings()
    assert saved is not None
    satellite = saved.satellite(43017)
    assert satellite is not None
    assert satellite.downlink_offset_hz == pytest.approx(-1250.0)
    assert satellite.downlink_hz == pytest.approx(145.96e6)
    assert satellite.mode == "FM"
    assert backup_path(settings_path()).read_text(encoding="utf-8") == before


def test_settings_whose_element_file_is_missing_are_neither_applied_nor_saved(qtbot, window, tmp_path):
    dialog = window.open_settings()
    dialog.elements.add_file(str(tmp_path / "absent.tle"))
    with qtbot.waitSignal(window.settings_applier.failed, timeout=APPLY_TIMEOUT_MS):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "absent.tle" in dialog.status.text()
    assert dialog.isVisible()
    assert not settings_path().exists()
    assert window.settings.element_files == ()


def test_a_horizon_mask_file_is_imported_and_checked_by_the_core(qtbot, window, tmp_path):
    dialog = window.open_settings()
    page = dialog.stations
    good = tmp_path / "mask.txt"
    good.write_text("# az el\n0 3\n90, 12.5\n180 4\n", encoding="utf-8")
    page.import_mask(good)
    assert page.mask_values() == [[0.0, 3.0], [90.0, 12.5], [180.0, 4.0]]
    assert page.entries[0].horizon_mask == ((0.0, 3.0), (90.0, 12.5), (180.0, 4.0))
    bad = tmp_path / "bad.txt"
    bad.write_text("0 3\n400 5\n", encoding="utf-8")
    page.import_mask(bad)
    assert page.mask_error.text() == "azimuths must be distinct and within [0, 360)"
    assert not dialog.ok_button.isEnabled()
    unreadable = tmp_path / "words.txt"
    unreadable.write_text("0 3\nnorth 5\n", encoding="utf-8")
    page.import_mask(unreadable)
    assert page.mask_error.text().startswith(f"{unreadable}:2: expected")


def test_rotator_test_reads_rotctld_position(qtbot, window):
    daemon = HamlibDaemon("rotctld", "-m", "1").start()  # Hamlib's dummy rotator, at az 0 el 0
    try:
        dialog = window.open_settings()
        page = dialog.stations
        driver = page.rotator_form.editors["driver"]
        driver.setCurrentIndex(driver.findData("rotctld"))
        driver.activated.emit(driver.currentIndex())
        retype(qtbot, field(page, page.rotator_form, "address"), f"127.0.0.1:{daemon.port}")
        with qtbot.waitSignal(dialog.tester.result, timeout=DEVICE_TIMEOUT_MS) as result:
            qtbot.mouseClick(page.rotator_test, Qt.MouseButton.LeftButton)
        kind, ok, text = result.args
        assert (kind, ok) == ("rotator", True), text
        azimuth, elevation = (float(v) for v in hamlib_client("rotctl", daemon.port, "p"))
        assert page.rotator_result.text().startswith(f"az {azimuth:.1f}°  el {elevation:.1f}°  (az ")
        daemon.kill()
        with qtbot.waitSignal(dialog.tester.result, timeout=DEVICE_TIMEOUT_MS) as result:
            qtbot.mouseClick(page.rotator_test, Qt.MouseButton.LeftButton)
        assert result.args[1] is False
        assert page.rotator_result.text().startswith(f"rotctld://127.0.0.1:{daemon.port}: cannot connect")
        assert "\n" not in page.rotator_result.text()
    finally:
        daemon.kill()


def test_rig_test_reads_rigctld_frequency(qtbot, window):
    daemon = HamlibDaemon("rigctld", "-m", "1").start()  # Hamlib's dummy rig
    try:
        dialog = window.open_settings()
        page = dialog.stations
        driver = page.radio_form.editors["driver"]
        driver.setCurrentIndex(driver.findData("hamlib"))
        driver.activated.emit(driver.currentIndex())
        retype(qtbot, field(page, page.radio_form, "device"), f"127.0.0.1:{daemon.port}")
        assert page.rig_test.isEnabled()
        hamlib_client("rigctl", daemon.port, "F", "436795000", "M", "USB", "2400")
        with qtbot.waitSignal(dialog.tester.result, timeout=DEVICE_TIMEOUT_MS) as result:
            qtbot.mouseClick(page.rig_test, Qt.MouseButton.LeftButton)
        kind, ok, text = result.args
        assert (kind, ok) == ("rig", True), text
        frequency, mode, _passband = hamlib_client("rigctl", daemon.port, "f", "m")
        assert (frequency, mode) == ("436795000", "USB")
        assert page.rig_result.text() == "436.795000 MHz  USB"
    finally:
        daemon.kill()


def test_sources_and_keys_edited_are_saved_and_read_back_by_the_core(qtbot, window, tmp_path):
    from groundstation.cli.elements import load_sources
    from tracking.sources import DEFAULT_SOURCES, ElementSource

    dialog = window.open_settings()
    assert dialog.width() <= SCREEN[0]  # usable at 1366x768
    assert dialog.height() <= SCREEN[1]
    sources = dialog.elements.sources
    sources.add_row(["local", "ftp://example.org/x.tle", "", ""])
    assert sources.problem == "row 2: source local: URL 'ftp://example.org/x.tle' must be http(s) or file"
    assert not dialog.ok_button.isEnabled()
    sources.table.item(1, 1).setText(f"file://{tmp_path}/x.tle")
    sources.table.item(1, 2).setText("0.5")
    assert sources.problem == ""
    keys = dialog.keys.keys
    keys.add_row(["alice", ""])
    assert keys.problem == "row 1: path: must not be empty"
    keys.table.item(0, 1).setText(str(tmp_path / "alice.key"))
    press_ok(qtbot, dialog)
    assert load_sources() == (
        *DEFAULT_SOURCES,
        ElementSource("local", f"file://{tmp_path}/x.tle", min_interval_s=1800.0),
    )
    saved = load_settings()
    assert saved is not None
    assert [(k.name, k.path) for k in saved.keys] == [("alice", str(tmp_path / "alice.key"))]
