"""Dark and light themes: a Qt style sheet and plot colours, both plain files in resources/themes."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from groundstation.app_settings import THEMES

RESOURCES = Path(__file__).resolve().parent / "resources"
THEME_DIR = RESOURCES / "themes"

PLOT_COLOURS = (
    "background", "foreground", "grid", "coast", "night", "catalog", "node", "selected",
    "track_past", "track_future", "footprint", "station", "station_circle", "warning", "error",
    "mask", "rotator", "pass_current", "pass_next", "ok", "unknown", "contact", "pass_bar",
)  # fmt: skip


@dataclass(frozen=True)
class Theme:
    name: str
    stylesheet: str
    colours: dict[str, str]

    def colour(self, key: str) -> QColor:
        return parse_colour(self.colours[key])

    def rgba(self, key: str) -> tuple[int, int, int, int]:
        c = self.colour(key)
        return c.red(), c.green(), c.blue(), c.alpha()


def load_theme(name: str) -> Theme:
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r} (known: {', '.join(THEMES)})")
    stylesheet = (THEME_DIR / f"{name}.qss").read_text(encoding="utf-8")
    colours = tomllib.loads((THEME_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    missing = [key for key in PLOT_COLOURS if key not in colours]
    if missing:
        raise ValueError(f"{name}.toml: missing colours {', '.join(missing)}")
    for key in PLOT_COLOURS:
        if not parse_colour(str(colours[key])).isValid():
            raise ValueError(f"{name}.toml: {key}: not a colour: {colours[key]!r}")
    return Theme(name, stylesheet, {k: str(colours[k]) for k in PLOT_COLOURS})


def parse_colour(text: str) -> QColor:
    """'#rrggbb' or '#rrggbbaa' (CSS order; Qt's own 8-digit form puts alpha first)."""
    digits = text.removeprefix("#")
    if len(digits) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in digits):
        return QColor()
    values = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
    return QColor(*values)


def apply_theme(app: QApplication, theme: Theme) -> None:
    app.setStyleSheet(theme.stylesheet)
