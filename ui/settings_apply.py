"""Applying edited settings to the running app: in a worker, build the scene they describe (which
also proves their element files load), then save them; only then hand them to the window. A
failure leaves both the running app and the saved files as they were."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from groundstation.app_settings import AppSettings, save_settings, settings_path
from groundstation.cli.elements import element_cache, save_sources
from groundstation.clock import Clock
from groundstation.scene import Scene, load_scene
from tracking.sources import ElementSource
from ui.background import Background


@dataclass(frozen=True)
class Applied:
    settings: AppSettings
    scene: Scene
    path: Path  # where the settings were saved


def apply_settings(
    settings: AppSettings, sources: Sequence[ElementSource], sources_changed: bool, clock: Clock
) -> Applied:
    """Load the scene, then save (sources.toml only when edited). Raises InputError / OSError."""
    scene = load_scene(settings, clock.now(), sources, element_cache())
    path = save_settings(settings, settings_path())
    if sources_changed:
        save_sources(sources)
    return Applied(settings, scene, path)


class SettingsApplier(QObject):
    applied = Signal(object)  # Applied
    failed = Signal(str)  # one line

    def __init__(self, clock: Clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._worker = Background("settings", self)
        self._worker.done.connect(lambda _key, result: self.applied.emit(result))
        self._worker.failed.connect(lambda _key, text: self.failed.emit(text))

    def apply(self, settings: AppSettings, sources: Sequence[ElementSource], sources_changed: bool) -> None:
        clock, sources = self._clock, tuple(sources)
        self._worker.submit("apply", lambda: apply_settings(settings, sources, sources_changed, clock))

    def busy(self) -> bool:
        return self._worker.busy()

    def shutdown(self) -> None:
        self._worker.stop()
