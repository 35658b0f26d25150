"""The settings dialog (Edit ▸ Settings…, Ctrl+,): stations with their rotators and radios,
satellites' radio settings, element files and sources, key files.

Every field is checked by the core as it is typed (its one-line message beside the field); the
whole is checked as the loader would check the saved file (duplicates, references). OK and Apply
stay disabled while anything is wrong. Applying loads the new scene in a worker, then saves (the
old file kept as `settings.toml.bak`), then the window switches to it; OK closes once that worked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from groundstation.app_settings import AppSettings, settings_path, settings_problem
from groundstation.clock import Clock
from tracking.sources import ElementSource
from ui.device_test import DeviceTester
from ui.settings_apply import Applied, SettingsApplier
from ui.settings_elements import ElementsPage, KeysPage
from ui.settings_form import ERROR_STYLE, home_relative
from ui.settings_satellites import SatellitesPage
from ui.settings_stations import StationsPage

DIALOG_SIZE = (900, 660)  # inside 1366x768 with a task bar and the window's title


class SettingsDialog(QDialog):
    saved = Signal(object)  # Applied

    def __init__(
        self,
        settings: AppSettings,
        sources: Sequence[ElementSource],
        sources_path: Path,
        key_store: Path,
        applier: SettingsApplier,
        clock: Clock,
        selected_norad_id: int | None = None,
        sources_problem: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings_dialog")
        self.setWindowTitle("Settings")
        self.resize(*DIALOG_SIZE)
        self._base = settings
        self._sources = tuple(sources)
        self._applier = applier
        self._closing = self._finished = False
        self.problem = ""
        self.tester = DeviceTester(clock, self)
        self.stations = StationsPage(settings.stations, settings.rotators, settings.radios, self.tester)
        self.satellites = SatellitesPage(settings.satellites, selected_norad_id)
        self.elements = ElementsPage(settings.show_demo, settings.element_files, sources, sources_path)
        self.keys = KeysPage(settings.keys, key_store)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.stations, "&Stations")
        self.tabs.addTab(self.satellites, "S&atellites")
        self.tabs.addTab(self.elements, "&Elements")
        self.tabs.addTab(self.keys, "&Keys")
        self.status = QLabel()
        self.status.setObjectName("settings_status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self._button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = self._button(QDialogButtonBox.StandardButton.Apply)
        self.ok_button.clicked.connect(self.accept_and_apply)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(self.tabs, 1)
        column.addWidget(self.status)
        column.addWidget(self.buttons)
        for page in (self.stations, self.satellites, self.elements, self.keys):
            page.changed.connect(self.refresh)
        applier.applied.connect(self._applied)
        applier.failed.connect(self._failed)
        self._sources_note = sources_problem
        self.refresh()

    def _button(self, which: QDialogButtonBox.StandardButton) -> QPushButton:
        button = self.buttons.button(which)
        assert button is not None
        return button

    def edited_settings(self) -> AppSettings:
        """The settings as edited (each page's last valid state)."""
        return AppSettings(
            show_demo=self.elements.demo_box.isChecked(),
            element_files=self.elements.element_files(),
            stations=tuple(self.stations.entries),
            radios=tuple(self.stations.radios),
            rotators=tuple(self.stations.rotators),
            keys=self.keys.key_list() if not self.keys.problem else self._base.keys,
            satellites=tuple(self.satellites.entries),
        )

    def edited_sources(self) -> tuple[ElementSource, ...]:
        return self.elements.source_list() if not self.elements.problem else self._sources

    def refresh(self) -> None:
        """Recheck the whole; OK and Apply only when it would load."""
        pages = (
            ("Stations", self.stations.problem),
            ("Satellites", self.satellites.problem),
            ("Elements", self.elements.problem),
            ("Keys", self.keys.problem),
        )
        problem = next((f"{name}: {text}" for name, text in pages if text), "")
        if not problem:
            problem = settings_problem(self.edited_settings()) or ""
        self.problem = problem
        busy = self._applier.busy()
        self.ok_button.setEnabled(not problem and not busy)
        self.apply_button.setEnabled(not problem and not busy)
        if problem:
            self._show(problem, error=True)
        elif not busy:
            self._show(
                self._sources_note or f"Saves to {home_relative(settings_path())}",
                error=bool(self._sources_note),
            )

    def _show(self, text: str, error: bool) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)

    def apply(self) -> None:
        if self.problem or self._applier.busy():
            return
        sources = self.edited_sources()
        self._applier.apply(self.edited_settings(), sources, sources != self._sources)
        self.ok_button.setEnabled(False)
        self.apply_button.setEnabled(False)
        self._show("Loading the new settings…", error=False)

    def accept_and_apply(self) -> None:
        self._closing = True
        self.apply()

    def _applied(self, applied: Applied) -> None:
        self._base = applied.settings
        self._sources = self.edited_sources()
        self._sources_note = ""
        self.saved.emit(applied)
        if self._closing:
            self.accept()
            return
        self.refresh()
        self._show(f"Saved to {home_relative(applied.path)}", error=False)

    def _failed(self, message: str) -> None:
        self._closing = False
        self.refresh()
        self._show(f"Not applied, nothing saved: {message}", error=True)

    def done(self, result: int) -> None:
        if not self._finished:
            self._finished = True
            self.tester.shutdown()
            self._applier.applied.disconnect(self._applied)
            self._applier.failed.disconnect(self._failed)
        super().done(result)
