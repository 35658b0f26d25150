"""Command console: compose a governance action for a node or a group, collect council approvals
(each member's key unlocked by their passphrase), see the packet's size on the link and the quorum,
queue it for the next pass, and follow every command through its lifecycle (queued, released,
sent, delivered, accepted or rejected with the node's reason, retried, expired).

Signing and the command store live on the operations thread; the view only composes and shows.
Critical actions ask a second time before they are queued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from groundstation.commanding import CommandRecord, Transition
from groundstation.console import (
    ACTIONS,
    COMMAND_COLUMNS,
    DEFAULT_VALIDITY,
    CommandLine,
    ComposeError,
    PacketFacts,
    action,
    approve_with,
    command_lines,
    compose,
    next_sequence,
    packet_facts,
    transition_text,
)
from groundstation.governance.keystore import KeyStore, KeyStoreError
from groundstation.governance.packet import Packet, Target, TargetKind
from groundstation.governance.roster import Roster
from groundstation.scene import Scene
from groundstation.sim.events import CommandChanged
from groundstation.sim.scenario import FLEET_GROUP
from groundstation.sim.simulation import Simulation
from ui.operations import Operations
from ui.selection import Selection
from ui.theme import Theme

GROUP_PREFIX = "group: "


def ask_twice(parent: QWidget, text: str) -> bool:
    """The second confirmation of a critical action (a dialog; tests hand in their own answer)."""
    answer = QMessageBox.warning(
        parent,
        "Critical action",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class ConsoleView(QWidget):
    composed = Signal(object)  # PacketFacts of the draft (after composing and each approval)
    queued = Signal(object)  # list[CommandRecord]
    commands_applied = Signal(object)  # tuple[CommandLine, ...]
    transition = Signal(object)  # Transition, as the lifecycle moves
    message = Signal(str, str)

    def __init__(
        self, selection: Selection, operations: Operations, theme: Theme, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("console")
        self._selection = selection
        self._operations = operations
        self._theme = theme
        self._scene: Scene | None = None
        self._roster: Roster | None = None
        self._keys: KeyStore | None = None
        self._nodes: tuple[str, ...] = ()
        self._norad_ids: dict[str, int] = {}
        self._draft: Packet | None = None
        self._facts: PacketFacts | None = None
        self._moment: datetime | None = None
        self._lines: tuple[CommandLine, ...] = ()
        self.confirm: Callable[[str], bool] = lambda text: ask_twice(self, text)

        # Compose
        self.target_box = QComboBox()
        self.target_box.setObjectName("console_target")
        self.action_box = QComboBox()
        self.action_box.setObjectName("console_action")
        for item in ACTIONS:
            self.action_box.addItem(item.label + ("  (critical)" if item.critical else ""), item.name)
        self.fields_box = QWidget()
        self.fields_layout = QFormLayout(self.fields_box)
        self.fields_layout.setContentsMargins(0, 0, 0, 0)
        self.field_inputs: dict[str, QComboBox | QLineEdit] = {}
        self.validity_box = QDoubleSpinBox()
        self.validity_box.setRange(0.1, 72.0)
        self.validity_box.setValue(DEFAULT_VALIDITY.total_seconds() / 3600)
        self.validity_box.setSuffix(" h")
        self.compose_button = QPushButton("Compose")
        self.compose_button.setObjectName("console_compose")
        compose_box = QGroupBox("1. Compose")
        form = QFormLayout(compose_box)
        form.addRow("Target", self.target_box)
        form.addRow("Action", self.action_box)
        form.addRow(self.fields_box)
        form.addRow("Valid for", self.validity_box)
        form.addRow(self.compose_button)

        # Approve
        self.facts_label = QLabel("No packet composed")
        self.facts_label.setObjectName("console_facts")
        self.facts_label.setWordWrap(True)
        self.member_box = QComboBox()
        self.member_box.setObjectName("console_member")
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("console_passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("the member's passphrase")
        self.approve_button = QPushButton("Approve")
        self.approve_button.setObjectName("console_approve")
        self.approvals = QListWidget()
        self.approvals.setObjectName("console_approvals")
        self.approvals.setMaximumHeight(80)
        self.quorum_label = QLabel("")
        self.quorum_label.setObjectName("console_quorum")
        self.queue_button = QPushButton("Queue for the next pass")
        self.queue_button.setObjectName("console_queue")
        approve_box = QGroupBox("2. Approve and queue")
        approve_layout = QFormLayout(approve_box)
        approve_layout.addRow(self.facts_label)
        approve_layout.addRow("Member", self.member_box)
        approve_layout.addRow("Passphrase", self.passphrase)
        approve_layout.addRow(self.approve_button)
        approve_layout.addRow(self.approvals)
        approve_layout.addRow(self.quorum_label)
        approve_layout.addRow(self.queue_button)

        # Follow
        self.table = QTableWidget(0, len(COMMAND_COLUMNS))
        self.table.setObjectName("console_commands")
        self.table.setHorizontalHeaderLabels(list(COMMAND_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.history = QPlainTextEdit()
        self.history.setObjectName("console_history")
        self.history.setReadOnly(True)
        self.history.setMaximumBlockCount(2000)
        follow = QSplitter(Qt.Orientation.Vertical)
        follow.addWidget(self.table)
        follow.addWidget(self.history)
        follow.setSizes([260, 120])

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(compose_box)
        left_layout.addWidget(approve_box)
        left_layout.addStretch(1)
        scroll = QScrollArea()  # the form scrolls on a small screen rather than growing the window
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(scroll)
        split.addWidget(follow)
        split.setSizes([380, 600])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.action_box.currentIndexChanged.connect(lambda _i: self._show_fields())
        self.compose_button.clicked.connect(self.compose_draft)
        self.approve_button.clicked.connect(self.approve_draft)
        self.passphrase.returnPressed.connect(self.approve_draft)
        self.queue_button.clicked.connect(self.queue_draft)
        self.table.itemSelectionChanged.connect(self._command_selected)
        selection.node_changed.connect(self._node_selected)
        operations.simulation_ready.connect(self._simulation_ready)
        operations.event.connect(self._event)
        self._show_fields()
        self._set_draft(None)
        self.setEnabled(False)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme

    # Sources ------------------------------------------------------------------------------
    def set_scene(self, scene: Scene) -> None:
        self._scene = scene
        self._norad_ids = {e.name: e.norad_id for e in scene.elements if e.norad_id in scene.own_norad_ids}

    def show_time(self, moment: datetime) -> None:
        self._moment = moment

    def _simulation_ready(self, simulation: Simulation) -> None:
        council = self._operations.council
        if council is None:
            return
        self._roster, self._keys = council.roster, KeyStore(council.keys)
        self._nodes = tuple(node.name for node in simulation.nodes)
        self.target_box.clear()
        for name in self._nodes:
            self.target_box.addItem(name, name)
        self.target_box.addItem(f"{GROUP_PREFIX}{FLEET_GROUP} (every node)", f"{GROUP_PREFIX}{FLEET_GROUP}")
        self.member_box.clear()
        self.member_box.addItems([m.name for m in self._roster.members])
        self._show_fields()
        self._node_selected(self._selection.node)
        self.setEnabled(True)
        self.refresh()
        self.message.emit(
            "info",
            f"council: {len(self._roster.members)} members, quorum {self._roster.quorum}, epoch "
            f"{self._roster.epoch}; demo keys in {council.keys} ({council.hint})",
        )

    def _node_selected(self, norad_id: int | None) -> None:
        name = next((n for n, i in self._norad_ids.items() if i == norad_id), None)
        if name is not None and name in self._nodes:
            self.target_box.setCurrentIndex(self._nodes.index(name))

    # Compose ------------------------------------------------------------------------------
    def _show_fields(self) -> None:
        while self.fields_layout.rowCount():
            self.fields_layout.removeRow(0)
        self.field_inputs = {}
        chosen = action(self.action_box.currentData())
        for spec in chosen.fields:
            widget: QComboBox | QLineEdit
            if spec.name == "member" and self._roster is not None:
                widget = QComboBox()
                widget.addItems([m.name for m in self._roster.members])
            elif spec.choices:
                widget = QComboBox()
                widget.addItems(list(spec.choices))
                widget.setCurrentText(spec.default)
            else:
                widget = QLineEdit(spec.default)
            widget.setObjectName(f"console_field_{spec.name}")
            self.field_inputs[spec.name] = widget
            self.fields_layout.addRow(spec.label, widget)

    def values(self) -> dict[str, str]:
        return {
            name: widget.currentText() if isinstance(widget, QComboBox) else widget.text()
            for name, widget in self.field_inputs.items()
        }

    def _target(self) -> Target:
        data = str(self.target_box.currentData() or "")
        return (
            Target.group(data.removeprefix(GROUP_PREFIX))
            if data.startswith(GROUP_PREFIX)
            else Target.node(data)
        )

    def compose_draft(self) -> None:
        roster, moment = self._roster, self._moment
        if roster is None or moment is None:
            return
        chosen = action(self.action_box.currentData())
        values, target = self.values(), self._target()
        valid_for = timedelta(hours=self.validity_box.value())

        def build(sim: Simulation) -> Packet:
            sequence = next_sequence(sim.store.commands(), roster.epoch)
            return compose(chosen, values, target, roster, sequence, moment, valid_for)

        self._operations.request(build, self._set_draft, key="console-compose", needs_simulation=True)

    def _set_draft(self, packet: Packet | None) -> None:
        self._draft = packet
        self.approvals.clear()
        if packet is None or self._roster is None:
            self._facts = None
            self.facts_label.setText("No packet composed")
            self.quorum_label.setText("")
            self.approve_button.setEnabled(False)
            self.queue_button.setEnabled(False)
            return
        facts = packet_facts(packet, self._roster)
        self._facts = facts
        self.approvals.addItems(list(facts.approvers))
        self.facts_label.setText(
            f"{self._target()} · {self.action_box.currentText()} · epoch {facts.epoch} sequence "
            f"{facts.sequence} · valid until {facts.valid_until:%Y-%m-%d %H:%M}Z\n{facts.size_text}"
        )
        self.quorum_label.setText(facts.quorum_text)
        self.approve_button.setEnabled(not facts.has_quorum)
        self.queue_button.setEnabled(facts.has_quorum)
        self.composed.emit(facts)

    @property
    def draft(self) -> Packet | None:
        return self._draft

    @property
    def facts(self) -> PacketFacts | None:
        return self._facts

    # Approve ------------------------------------------------------------------------------
    def approve_draft(self) -> None:
        packet, keys, roster = self._draft, self._keys, self._roster
        if packet is None or keys is None or roster is None:
            return
        member, passphrase = self.member_box.currentText(), self.passphrase.text().encode("utf-8")
        self.passphrase.clear()  # never kept in the widget
        self.approve_button.setEnabled(False)

        def sign() -> Packet | str:
            try:
                return approve_with(packet, keys, member, passphrase, roster)
            except (KeyStoreError, ComposeError) as exc:
                return str(exc)

        def signed(result: Packet | str) -> None:
            if isinstance(result, str):
                self.message.emit("warning", f"approval by {member} refused: {result}")
                self.approve_button.setEnabled(True)
                return
            if result.header != (self._draft.header if self._draft else None):
                return  # the draft was replaced meanwhile
            self.message.emit("info", f"approved by {member}")
            self._set_draft(result)
            index = self.member_box.currentIndex()
            if index + 1 < self.member_box.count():
                self.member_box.setCurrentIndex(index + 1)

        self._operations.request(sign, signed)

    # Queue --------------------------------------------------------------------------------
    def queue_draft(self) -> None:
        packet, facts = self._draft, self._facts
        if packet is None or facts is None or not facts.has_quorum:
            return
        chosen = action(self.action_box.currentData())
        target = self._target()
        nodes = self._nodes if target.kind == TargetKind.GROUP else (target.name,)
        if chosen.critical and not self.confirm(
            f"{chosen.label} for {target} ({len(nodes)} node{'s' if len(nodes) != 1 else ''}) is a critical "
            "action. Queue it for the next pass?"
        ):
            self.message.emit("info", f"{chosen.label} for {target}: not queued (not confirmed)")
            return

        def queue(sim: Simulation) -> list[CommandRecord]:
            return [sim.commander.queue(packet, node, sim.now) for node in nodes]

        def done(records: list[CommandRecord]) -> None:
            self.message.emit(
                "info", f"queued {chosen.label} for {target}: command {', '.join(str(r.id) for r in records)}"
            )
            self._set_draft(None)
            self.queued.emit(records)
            self.refresh()

        self._operations.request(queue, done, needs_simulation=True)

    # Follow -------------------------------------------------------------------------------
    def _event(self, event: object) -> None:
        if isinstance(event, CommandChanged):
            step = event.transition
            self.history.appendPlainText(transition_text(step))
            self.transition.emit(step)
            self.refresh()

    def refresh(self) -> None:
        self._operations.request(
            lambda sim: sim.store.commands(),
            self._show_commands,
            key="console-commands",
            needs_simulation=True,
        )

    def _show_commands(self, records: list[CommandRecord]) -> None:
        lines = command_lines(records)
        self._lines = lines
        self.table.setRowCount(len(lines))
        colours = {"accepted": "ok", "rejected": "error", "expired": "warning"}
        for row, line in enumerate(lines):
            for column, text in enumerate(line.cells):
                item = QTableWidgetItem(text)
                if column == 4 and line.state in colours:
                    item.setForeground(self._theme.colour(colours[line.state]))
                self.table.setItem(row, column, item)
        self.commands_applied.emit(lines)

    @property
    def lines(self) -> tuple[CommandLine, ...]:
        return self._lines

    def _command_selected(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self._lines):
            return
        command_id = self._lines[row].id

        def steps(sim: Simulation) -> list[Transition]:
            return sim.store.transitions(command_id)

        def show(found: list[Transition]) -> None:
            self.history.setPlainText("\n".join(transition_text(step) for step in found))

        self._operations.request(steps, show, key="console-history", needs_simulation=True)
