"""The event log: what happened, when (in the clock's time and the wall clock), and how serious."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.clock_controller import ClockController
from ui.theme import Theme

LEVELS = ("debug", "info", "warning", "error")
MAX_ENTRIES = 5000


@dataclass(frozen=True)
class LogEntry:
    moment: datetime  # the clock's time (simulated or real)
    level: str
    source: str
    text: str

    def line(self) -> str:
        return f"{self.moment:%Y-%m-%d %H:%M:%S}Z  {self.level.upper():7}  {self.source}: {self.text}"


class EventLog(QObject):
    """Holds the entries; any part of the app posts here, the panel shows them."""

    posted = Signal(object)  # LogEntry

    def __init__(self, clock: ClockController) -> None:
        super().__init__()
        self._clock = clock
        self.entries: list[LogEntry] = []

    def post(self, level: str, source: str, text: str) -> LogEntry:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}")
        entry = LogEntry(self._clock.now(), level, source, text)
        self.entries.append(entry)
        del self.entries[:-MAX_ENTRIES]
        self.posted.emit(entry)
        return entry


class EventLogPanel(QWidget):
    def __init__(self, log: EventLog, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("event_log")
        self._log = log
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_ENTRIES)
        self.level = QComboBox()
        self.level.addItems(list(LEVELS))
        self.level.setCurrentText("info")
        self.level.currentTextChanged.connect(self._refill)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.text.clear)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show from"))
        bar.addWidget(self.level)
        bar.addStretch(1)
        bar.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)
        self.apply_theme(theme)
        log.posted.connect(self._append)
        self._refill()

    def apply_theme(self, theme: Theme) -> None:
        self._colours = {
            "debug": theme.colour("grid"),
            "info": theme.colour("foreground"),
            "warning": theme.colour("warning"),
            "error": theme.colour("error"),
        }
        self._refill()

    def _shown(self, entry: LogEntry) -> bool:
        return LEVELS.index(entry.level) >= LEVELS.index(self.level.currentText())

    def _append(self, entry: LogEntry) -> None:
        if not self._shown(entry):
            return
        fmt = QTextCharFormat()
        fmt.setForeground(self._colours[entry.level])
        cursor = self.text.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        if not self.text.document().isEmpty():
            cursor.insertBlock()
        cursor.insertText(entry.line(), fmt)
        self.text.ensureCursorVisible()

    def _refill(self, *_: object) -> None:
        self.text.clear()
        for entry in self._log.entries:
            self._append(entry)

    def lines(self) -> list[str]:
        return self.text.toPlainText().splitlines()
