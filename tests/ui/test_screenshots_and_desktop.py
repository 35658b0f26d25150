import numpy as np
from PySide6.QtGui import QImage

from ui.desktop import build_main_window, run_desktop
from ui.screenshots import SIZE, take_screenshots

# A rendered view has many colours and real contrast; a blank or single-colour one does not.
MIN_DISTINCT_COLOURS = 16
MIN_GREY_STD = 8.0


def pixels(path):
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(height, image.bytesPerLine() // 4, 4)[:, :width, :3].copy()  # outlive image


def test_screenshots_of_the_window_and_each_view_are_rendered(qapp, tmp_path, isolated_dirs):
    paths = take_screenshots(tmp_path / "shots")
    views = ("main-window", "map", "sky", "timeline", "fleet", "console", "radio", "event-log", "settings")
    assert {p.name for p in paths} == {f"{v}{suffix}.png" for v in views for suffix in ("", "-light")}
    for path in paths:
        rgb = pixels(path)
        distinct = len(np.unique(rgb.reshape(-1, 3), axis=0))
        assert distinct >= MIN_DISTINCT_COLOURS, path.name
        assert rgb.mean(axis=2).std() >= MIN_GREY_STD, path.name
    main = pixels(tmp_path / "shots" / "main-window.png")
    assert (main.shape[1], main.shape[0]) == SIZE
    # The screenshots left the user's layout alone.
    assert not (isolated_dirs / "config" / "layout.toml").exists()


def test_bad_settings_stop_the_app_with_one_line_and_exit_2(qapp, isolated_dirs, capsys):
    settings = isolated_dirs / "config" / "settings.toml"
    settings.write_text('[[stations]]\nname = "x"\nlatitude_deg = 91\nlongitude_deg = 0\n')
    assert run_desktop() == 2
    err = capsys.readouterr().err
    assert err == f"groundstation: error: {settings}:3: stations[0].latitude_deg: must be within [-90, 90]\n"
    assert settings.read_text().startswith("[[stations]]")


def test_first_start_opens_on_the_demo(qtbot, isolated_dirs, sim_clock):
    window = build_main_window(sim_clock)
    qtbot.addWidget(window)
    assert any("showing the built-in demo" in line for line in window.event_log.lines())
    assert window.scene.own_norad_ids
    window.close()


def test_the_operators_settings_file_brings_element_files_and_cached_sources(qtbot, isolated_dirs, sim_clock):
    catalog = isolated_dirs / "catalog.tle"
    catalog.write_text(
        "ISS (ZARYA)\n"
        "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927\n"
        "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537\n"
    )
    settings = isolated_dirs / "config" / "settings.toml"
    settings.write_text(
        f'element_files = ["{catalog}"]\n[[stations]]\nname = "Home"\nlatitude_deg = 48\nlongitude_deg = 11\n'
    )
    window = build_main_window(sim_clock)
    qtbot.addWidget(window)
    assert [e.norad_id for e in window.scene.elements] == [25544]
    assert window.selection.station == "Home"
    lines = window.event_log.lines()
    assert not any("built-in demo" in line for line in lines)
    assert any("WARNING" in line and "nothing cached yet" in line for line in lines)
    window.close()
