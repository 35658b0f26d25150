"""What the desktop app shows: the objects to track and the stations, from the settings.

Qt-free so the headless CLI and the tests build the same scene the window draws. Elements come
from the demo constellation, the settings' element files and the cached copies of the network
sources of `sources.toml` (never fetched here: `groundstation elements update` does that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from groundstation.app_settings import AppSettings, StationSettings
from groundstation.clock import require_utc
from groundstation.demo import demo_constellation, demo_epoch
from groundstation.errors import InputError
from tracking.element_io import ElementsFileError, ElementsReadResult, read_elements
from tracking.elements import Elements
from tracking.sources import ElementCache, ElementSource

MAX_WARNINGS_PER_FILE = 5


@dataclass(frozen=True)
class Scene:
    title: str
    elements: tuple[Elements, ...]
    stations: tuple[StationSettings, ...]
    own_norad_ids: frozenset[int]  # our constellation's nodes (the rest is background catalog)
    warnings: tuple[str, ...] = ()  # rejected entries and unreadable sources, for the event log

    @cached_property
    def _index(self) -> dict[int, int]:
        return {e.norad_id: i for i, e in enumerate(self.elements)}

    def index_of(self, norad_id: int) -> int | None:
        return self._index.get(norad_id)


def load_scene(
    settings: AppSettings,
    at: datetime,
    sources: Iterable[ElementSource] = (),
    cache: ElementCache | None = None,
) -> Scene:
    """The scene at `at` (the demo's elements are that UTC day's). A missing or unusable element
    file is an InputError naming it; rejected entries inside a file, and sources with nothing
    cached, become warnings."""
    at = require_utc(at, "scene time")
    elements: dict[int, Elements] = {}  # by NORAD id; the first source naming an object wins
    own: set[int] = set()
    warnings: list[str] = []
    parts: list[str] = []
    if settings.show_demo:
        demo = demo_constellation(demo_epoch(at))  # the same elements all day, as `groundstation demo`
        own.update(e.norad_id for e in demo)
        _add(elements, demo)
        parts.append("demo")
    for name in settings.element_files:
        result = _read_file(Path(name).expanduser())
        _add(elements, result.elements)
        warnings.extend(_rejections(result))
        parts.append(Path(name).name)
    for source in sources:
        cached = _read_cached(source, cache, warnings.append)
        if cached is not None:
            _add(elements, cached.elements)
            warnings.extend(_rejections(cached))
            parts.append(source.name)
    title = " + ".join(parts) or "no elements"
    return Scene(title, tuple(elements.values()), settings.stations, frozenset(own), tuple(warnings))


def _add(into: dict[int, Elements], new: Iterable[Elements]) -> None:
    for element in new:
        into.setdefault(element.norad_id, element)


def _read_file(path: Path) -> ElementsReadResult:
    try:
        return read_elements(path)
    except ElementsFileError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def _read_cached(
    source: ElementSource, cache: ElementCache | None, warn: Callable[[str], None]
) -> ElementsReadResult | None:
    if cache is None:
        return None
    try:
        result = cache.read(source)
    except (ElementsFileError, OSError) as exc:
        warn(f"source {source.name}: cached copy unusable: {exc}")
        return None
    if result is None:
        warn(f"source {source.name}: nothing cached yet (run `groundstation elements update`)")
    return result


def _rejections(result: ElementsReadResult) -> list[str]:
    shown = [str(r) for r in result.rejected[:MAX_WARNINGS_PER_FILE]]
    more = len(result.rejected) - len(shown)
    return shown + ([f"{result.source}: {more} more entries rejected"] if more > 0 else [])
