import csv

from PySide6.QtCore import QPointF, Qt

from groundstation.app_settings import AppSettings
from groundstation.scene import load_scene
from tests.ui.conftest import T0
from ui.selection import Selection
from ui.theme import load_theme
from ui.timeline_view import TimelineView

PLAN_TIMEOUT_MS = 60_000


def make_timeline(qtbot):
    selection = Selection()
    view = TimelineView(selection, load_theme("dark"))
    qtbot.addWidget(view)
    view.resize(1200, 300)
    view.show()
    settings = AppSettings.demo()
    view.set_scene(load_scene(settings, T0), settings)
    with qtbot.waitSignal(view.plan_ready, timeout=PLAN_TIMEOUT_MS) as blocker:
        view.show_time(T0)  # the first tick plans the next hours by itself
    return view, selection, blocker.args[0]


def test_first_tick_plans_and_draws_every_pass_and_contact(qtbot):
    view, _selection, network = make_timeline(qtbot)
    assert network.problem.start == T0
    timeline = view.timeline
    assert len(timeline.contacts) == len(network.plan.contacts)
    x0 = view.contacts.opts["x0"]
    assert len(x0) == len(network.plan.contacts)
    assert len(view.passes.opts["x0"]) == len(network.problem.opportunities)
    assert "contacts from" in view.status.text()
    assert view.export_button.isEnabled()
    labels = [text for _y, text in view.canvas.getPlotItem().getAxis("left")._tickLevels[0]]
    assert labels == [s.name for s in AppSettings.demo().stations]
    view.shutdown()


def test_filters_redraw_without_planning_again(qtbot):
    view, _selection, network = make_timeline(qtbot)
    everything = len(view.timeline.passes)
    with qtbot.waitSignal(view.timeline_applied) as blocker:
        view.station_box.setCurrentText("Delft")
    assert {r.station for r in blocker.args[0].rows} == {"Delft"}
    with qtbot.waitSignal(view.timeline_applied) as blocker:
        view.elevation_box.setValue(40.0)
    assert (blocker.args[0].passes.max_elevation_deg >= 40.0).all()
    with qtbot.waitSignal(view.timeline_applied) as blocker:
        view.node_box.setCurrentIndex(3)
    node = view.node_box.currentData()
    assert set(blocker.args[0].passes.norad_id.tolist()) <= {node}
    assert len(blocker.args[0].passes) < everything
    assert view.network is network  # filters never replan
    view.shutdown()


def test_clicking_a_contact_selects_its_node_and_highlights_its_bars(qtbot):
    view, selection, _network = make_timeline(qtbot)
    bars = view.timeline.contacts
    index = 0
    point = QPointF((bars.start_s[index] + bars.end_s[index]) / 2, bars.y0[index] + bars.height[index] / 2)
    scene_point = view.view_box.mapViewToScene(point)
    with qtbot.waitSignal(selection.node_changed):
        qtbot.mouseClick(
            view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=view.canvas.mapFromScene(scene_point)
        )
    assert selection.node == int(bars.norad_id[index])
    highlighted = len(view.highlight.opts["x0"])
    timeline = view.timeline
    expected = int(
        (timeline.passes.norad_id == selection.node).sum() + (bars.norad_id == selection.node).sum()
    )
    assert highlighted == expected
    view.shutdown()


def test_export_writes_the_plan_and_replanning_greedily_reports(qtbot, tmp_path):
    view, _selection, network = make_timeline(qtbot)
    path = tmp_path / "plan.csv"
    with qtbot.waitSignal(view.exported):
        assert view.export(path, "csv")
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert len(rows) == len(network.plan.contacts)
    assert not view.export(tmp_path / "missing" / "plan.csv", "csv")  # a one-line error, no crash
    view.solver_box.setCurrentText("greedy")
    with qtbot.waitSignal(view.plan_ready, timeout=PLAN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(view.plan_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].plan.solver == "greedy"
    assert "greedy" in view.status.text()
    view.shutdown()
