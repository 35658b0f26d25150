"""The settings dialog's Elements page (the demo constellation, element files, network sources) and
Keys page (operators' signing key files). Rows are checked by the core's own constructors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from groundstation.app_settings import FieldError, KeySettings, entry_from_values
from tracking.sources import DEFAULT_MIN_INTERVAL_S, DEFAULT_TIMEOUT_S, ElementSource
from ui.settings_form import ERROR_STYLE, dimmed, home_relative, number_text, number_value

BAD_CELL = QColor(224, 82, 74, 90)


class RowTable(QWidget):
    """An editable table whose rows each make one entry through `build(texts)` (raising ValueError
    with the one-line reason); the first bad row is named under the table and its cells tinted."""

    changed = Signal()

    def __init__(
        self,
        name: str,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        build: Callable[[list[str]], object],
        browse_column: int | None = None,
    ) -> None:
        super().__init__()
        self._build = build
        self._browse_column = browse_column
        self.problem = ""
        self.table = QTableWidget(0, len(headers))
        self.table.setObjectName(f"{name}_table")
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for row in rows:
            self._append(list(row))
        self.table.itemChanged.connect(lambda _item: self.check())
        self.error = QLabel()
        self.error.setObjectName(f"error_{name}")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QHBoxLayout()
        add = QPushButton("Add" if browse_column is None else "Add file…")
        add.setObjectName(f"add_{name}")
        add.clicked.connect(self._add)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table)
        column.addLayout(buttons)
        column.addWidget(self.error)

    def _append(self, texts: list[str]) -> None:
        self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column in range(self.table.columnCount()):
            self.table.setItem(row, column, QTableWidgetItem(texts[column] if column < len(texts) else ""))
        self.table.blockSignals(False)

    def add_row(self, texts: Sequence[str]) -> None:
        self._append(list(texts))
        self.check()

    def _add(self) -> None:
        texts = [""] * self.table.columnCount()
        if self._browse_column is not None:
            path, _filter = QFileDialog.getOpenFileName(self, "Choose a file")
            if not path:
                return
            texts[self._browse_column] = path
            texts[0] = texts[0] or Path(path).stem
        self.add_row(texts)

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.check()

    def texts(self, row: int) -> list[str]:
        cells = [self.table.item(row, column) for column in range(self.table.columnCount())]
        return [cell.text().strip() if cell is not None else "" for cell in cells]

    def entries(self) -> list[object]:
        """The rows' entries (blank rows skipped); ValueError naming the first bad row."""
        built = []
        for row in range(self.table.rowCount()):
            texts = self.texts(row)
            if not any(texts):
                continue
            try:
                built.append(self._build(texts))
            except ValueError as exc:
                raise _RowError(row, str(exc)) from None
        return built

    def check(self) -> None:
        self.table.blockSignals(True)
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                cell = self.table.item(row, column)
                if cell is not None:
                    cell.setBackground(QBrush())
        try:
            self.entries()
            self.problem = ""
        except _RowError as exc:
            self.problem = f"row {exc.row + 1}: {exc.message}"
            for column in range(self.table.columnCount()):
                cell = self.table.item(exc.row, column)
                if cell is not None:
                    cell.setBackground(BAD_CELL)
        self.table.blockSignals(False)
        self.error.setText(self.problem)
        self.error.setVisible(bool(self.problem))
        self.changed.emit()


class _RowError(ValueError):
    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


def _source(texts: list[str]) -> ElementSource:
    name, url, interval_h, timeout_s = texts
    interval = number_value(interval_h)
    timeout = number_value(timeout_s)
    if not isinstance(interval, float | None) or not isinstance(timeout, float | None):
        raise ValueError("minimum interval and timeout must be numbers")
    return ElementSource(
        name,
        url,
        min_interval_s=DEFAULT_MIN_INTERVAL_S if interval is None else interval * 3600.0,
        timeout_s=DEFAULT_TIMEOUT_S if timeout is None else timeout,
    )


def _key(texts: list[str]) -> KeySettings:
    try:
        return entry_from_values(KeySettings, {"name": texts[0], "path": texts[1]})
    except FieldError as exc:
        raise ValueError(f"{exc.key}: {exc.message}") from None


class ElementsPage(QWidget):
    changed = Signal()

    def __init__(
        self, show_demo: bool, files: Sequence[str], sources: Sequence[ElementSource], sources_path: Path
    ) -> None:
        super().__init__()
        self.demo_box = QCheckBox("Show the built-in demo constellation (simulated nodes)")
        self.demo_box.setObjectName("show_demo")
        self.demo_box.setChecked(show_demo)
        self.demo_box.toggled.connect(lambda _on: self.changed.emit())
        files_box = QGroupBox("Element files (TLE, 3LE, OMM XML/JSON/CSV)")
        self.files = QListWidget()
        self.files.setObjectName("element_files")
        self.files.addItems(list(files))
        add = QPushButton("Add file…")
        add.clicked.connect(self._add_file)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_file)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        files_column = QVBoxLayout(files_box)
        files_column.addWidget(self.files)
        files_column.addLayout(buttons)
        sources_box = QGroupBox(
            f"Network sources (fetched by `groundstation elements update`; {sources_path.name})"
        )
        self.sources = RowTable(
            "sources",
            ("Name", "URL", "Min interval h", "Timeout s"),
            [
                (s.name, s.url, number_text(s.min_interval_s / 3600.0), number_text(s.timeout_s))
                for s in sources
            ],
            _source,
        )
        self.sources.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.sources.changed.connect(self.changed)
        sources_column = QVBoxLayout(sources_box)
        sources_column.addWidget(self.sources)
        sources_column.addWidget(
            dimmed(f"Saved to {home_relative(sources_path)}; the app shows what they last fetched.")
        )
        column = QVBoxLayout(self)
        column.addWidget(self.demo_box)
        column.addWidget(files_box)
        column.addWidget(sources_box, 1)

    @property
    def problem(self) -> str:
        return f"sources {self.sources.problem}" if self.sources.problem else ""

    def element_files(self) -> tuple[str, ...]:
        return tuple(self.files.item(i).text() for i in range(self.files.count()))

    def source_list(self) -> tuple[ElementSource, ...]:
        return tuple(s for s in self.sources.entries() if isinstance(s, ElementSource))

    def add_file(self, path: str) -> None:
        self.files.addItem(path)
        self.changed.emit()

    def _add_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Element file")
        if path:
            self.add_file(path)

    def _remove_file(self) -> None:
        row = self.files.currentRow()
        if row >= 0:
            self.files.takeItem(row)
            self.changed.emit()


class KeysPage(QWidget):
    changed = Signal()

    def __init__(self, keys: Sequence[KeySettings], key_store: Path) -> None:
        super().__init__()
        self.keys = RowTable(
            "keys", ("Name", "Key file"), [(k.name, k.path) for k in keys], _key, browse_column=1
        )
        self.keys.changed.connect(self.changed)
        column = QVBoxLayout(self)
        column.addWidget(
            dimmed(
                "Operators' signing key files (never their passphrases). Keys made with "
                f"`groundstation keys generate` are in {home_relative(key_store)}."
            )
        )
        column.addWidget(self.keys, 1)

    @property
    def problem(self) -> str:
        return f"keys {self.keys.problem}" if self.keys.problem else ""

    def key_list(self) -> tuple[KeySettings, ...]:
        return tuple(k for k in self.keys.entries() if isinstance(k, KeySettings))
