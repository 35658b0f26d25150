"""Form pieces of the settings dialog: fields that show the core's one-line message beside them, and
a list-and-form page for one kind of settings entry.

The rules live in `groundstation.app_settings` (`entry_from_values` and the entries' own checks);
these widgets only turn text into values, ask the core, and show its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from groundstation.app_settings import FieldError, entry_from_values

_E = TypeVar("_E")
ERROR_STYLE = "color: #e0524a;"  # readable on both themes
NUMBER_WIDTH = 140


def number_value(text: str, whole: bool = False) -> object:
    """A typed number for the core, the text itself when it is not one (the core then says 'must be
    a number, got ...'), or None when empty (the field's default)."""
    text = text.strip()
    if not text:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        return text


def number_text(value: float | int | None) -> str:
    return (
        ""
        if value is None
        else f"{value:g}"
        if isinstance(value, float) and abs(value) < 1e15
        else str(value)
    )


class FieldForm(QWidget):
    """Labelled fields, each with a unit and an error line under it; keys are the entry's field names."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.editors: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}
        self._kinds: dict[str, str] = {}

    def _row(self, key: str, label: str, editor: QWidget, unit: str, hint: str) -> None:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        line = QHBoxLayout()
        line.addWidget(editor)
        if unit:
            line.addWidget(QLabel(unit))
        if hint:
            line.addSpacing(8)
            hint_label = QLabel(f"({hint})")
            hint_label.setEnabled(False)  # dimmed
            line.addWidget(hint_label)
        line.addStretch(1)
        column.addLayout(line)
        error = QLabel()
        error.setObjectName(f"error_{key}")
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.errors[key] = error
        editor.setObjectName(f"field_{key}")
        self.layout_.addRow(label, box)

    def add_text(self, key: str, label: str, placeholder: str = "", hint: str = "") -> QLineEdit:
        editor = QLineEdit()
        editor.setPlaceholderText(placeholder)
        editor.textEdited.connect(lambda _text: self.edited.emit())
        self.editors[key], self._kinds[key] = editor, "text"
        self._row(key, label, editor, "", hint)
        return editor

    def add_number(
        self, key: str, label: str, unit: str = "", hint: str = "", whole: bool = False, placeholder: str = ""
    ) -> QLineEdit:
        editor = QLineEdit()
        editor.setMaximumWidth(NUMBER_WIDTH)
        editor.setPlaceholderText(placeholder)
        editor.textEdited.connect(lambda _text: self.edited.emit())
        self.editors[key], self._kinds[key] = editor, "int" if whole else "number"
        self._row(key, label, editor, unit, hint)
        return editor

    def add_choice(
        self, key: str, label: str, choices: Sequence[tuple[str, str]], hint: str = ""
    ) -> QComboBox:
        """`choices`: (value, text shown)."""
        editor = QComboBox()
        for value, text in choices:
            editor.addItem(text, value)
        editor.activated.connect(lambda _index: self.edited.emit())
        self.editors[key], self._kinds[key] = editor, "choice"
        self._row(key, label, editor, "", hint)
        return editor

    def values(self) -> dict[str, Any]:
        """The fields as the core takes them; an empty number is left out (its default)."""
        values: dict[str, Any] = {}
        for key, editor in self.editors.items():
            kind = self._kinds[key]
            if isinstance(editor, QComboBox):
                values[key] = editor.currentData()
            elif kind == "text":
                values[key] = editor.text().strip()
            else:
                value = number_value(editor.text(), whole=kind == "int")
                if value is not None:
                    values[key] = value
        return values

    def load(self, entry: object) -> None:
        for key, editor in self.editors.items():
            value = getattr(entry, key, None)
            if isinstance(editor, QComboBox):
                index = editor.findData(value if value is not None else "")
                editor.setCurrentIndex(max(index, 0))
            elif self._kinds[key] == "text":
                editor.setText("" if value is None else str(value))
            else:
                editor.setText(number_text(value))

    def clear(self) -> None:
        for editor in self.editors.values():
            if isinstance(editor, QComboBox):
                editor.setCurrentIndex(0)
            else:
                editor.clear()
        self.show_error(None)

    def show_error(self, key: str | None, message: str = "") -> bool:
        """Show `message` beside field `key` (clearing the others); False when the form has no such field."""
        for name, label in self.errors.items():
            label.setText(message if name == key else "")
            label.setVisible(name == key)
        return key in self.errors

    def error_text(self, key: str) -> str:
        return self.errors[key].text()

    def build(self, cls: type[_E], extra: Mapping[str, Any] | None = None) -> _E | FieldError:
        """The entry the fields make, or the core's complaint (shown beside its field)."""
        try:
            entry = entry_from_values(cls, {**self.values(), **(extra or {})})
        except FieldError as exc:
            self.show_error(exc.key, exc.message)
            return exc
        self.show_error(None)
        return entry


class EntryListPage(QWidget, Generic[_E]):
    """A list of entries on the left, the selected one's form on the right; add and remove.

    Each edit is checked by the core at once: a valid entry replaces the one in the list, a bad one
    shows its message and locks the list (so switching away cannot drop the edit unnoticed) until
    it is fixed. `valid` says whether the page can be saved."""

    changed = Signal()

    def __init__(
        self,
        entries: Sequence[_E],
        label: Callable[[_E], str],
        new_entry: Callable[[Sequence[_E]], _E],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.entries: list[_E] = list(entries)
        self._label = label
        self._new_entry = new_entry
        self.problem = ""  # the current form's message, "" when valid
        self.list = QListWidget()
        self.list.setObjectName("entry_list")
        self.list.setMaximumWidth(240)
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("add_entry")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("remove_entry")
        self.form_area = QWidget()
        self.form_column = QVBoxLayout(self.form_area)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_area)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.list)
        left.addLayout(buttons)
        row = QHBoxLayout(self)
        row.addLayout(left)
        row.addWidget(scroll, 1)
        self.add_button.clicked.connect(self.add_entry)
        self.remove_button.clicked.connect(self.remove_entry)
        self.list.currentRowChanged.connect(self._row_changed)
        self._loading = False

    def finish(self) -> None:
        """Call once the subclass has built its form: fills the list and shows the first entry."""
        self.form_column.addStretch(1)
        for entry in self.entries:
            self.list.addItem(self._label(entry))
        if self.entries:
            self.list.setCurrentRow(0)
        else:
            self._row_changed(-1)

    @property
    def valid(self) -> bool:
        return not self.problem

    def current(self) -> int:
        return self.list.currentRow()

    def add_entry(self) -> None:
        self.entries.append(self._new_entry(self.entries))
        self.list.addItem(self._label(self.entries[-1]))
        self.list.setCurrentRow(len(self.entries) - 1)
        self.changed.emit()

    def remove_entry(self) -> None:
        row = self.current()
        if row < 0:
            return
        del self.entries[row]
        self.list.takeItem(row)
        self.problem = ""
        self._locked(False)
        self._row_changed(self.current())
        self.changed.emit()

    def _row_changed(self, row: int) -> None:
        self._loading = True
        try:
            self.form_area.setEnabled(row >= 0)
            self.remove_button.setEnabled(row >= 0)
            self.load_entry(self.entries[row] if row >= 0 else None)
        finally:
            self._loading = False

    def edited(self) -> None:
        """A field changed: rebuild the entry through the core."""
        row = self.current()
        if self._loading or row < 0:
            return
        result = self.build_entry()
        if isinstance(result, str):
            self.problem = result
        else:
            self.problem = ""
            self.entries[row] = result
            item = self.list.item(row)
            if item is not None:
                item.setText(self._label(result))
        self._locked(bool(self.problem))
        self.changed.emit()

    def _locked(self, locked: bool) -> None:
        self.list.setEnabled(not locked)
        self.add_button.setEnabled(not locked)

    # For subclasses ---------------------------------------------------------------------------
    def load_entry(self, entry: _E | None) -> None:
        raise NotImplementedError

    def build_entry(self) -> _E | str:
        """The entry the form shows, or the one-line problem (already shown beside its field)."""
        raise NotImplementedError


def field_names(cls: type[Any]) -> list[str]:
    return [f.name for f in fields(cls)]


def hint_range(bounds: tuple[float, float], closed_top: bool = True) -> str:
    low, high = bounds
    return f"{low:g} … {high:g}" if closed_top else f"{low:g} … <{high:g}"


def home_relative(path: Path) -> str:
    """`path` with the home folder as ~ (shorter, and no user name in screenshots)."""
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def dimmed(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setEnabled(False)
    return label
