"""Live world map: coastlines, day and night, every object, the selected node's ground track and
footprint, stations with their visibility circles; pan, zoom, click to select.

Positions come from a worker thread (`MapWorker`); at most one frame is in flight, and ticks that
arrive meanwhile collapse into the newest one, so a slow machine shows fewer frames, never a
backlog. Every drawn thing is one long-lived item updated with setData; the background catalog
(up to ~16,000 objects) arrives from the worker as a device-pixel raster and is blitted, not
stroked, and items whose data did not change are not touched.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPoint, QPointF, QRectF, QThread, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QTransform
from PySide6.QtWidgets import QGraphicsItem, QLabel, QStyleOptionGraphicsItem, QVBoxLayout, QWidget

from groundstation.scene import Scene
from groundstation.world_map import RasterView
from ui.map_worker import MapFrame, MapRequest, MapWorker
from ui.selection import Selection
from ui.theme import RESOURCES, Theme

COASTLINES = RESOURCES / "coastlines-110m.csv"
CLICK_RADIUS_PX = 8.0
NODE_SIZE_PX = 8
SELECTED_SIZE_PX = 13
STATION_SIZE_PX = 11


def load_coastlines(path: Path = COASTLINES) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) arrays with NaN between polylines, for one PlotDataItem with connect='finite'."""
    lon: list[float] = []
    lat: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            lon.append(math.nan)
            lat.append(math.nan)
            continue
        x, y = line.split(",")
        lon.append(float(x))
        lat.append(float(y))
    return np.array(lon), np.array(lat)


class MapCanvas(pg.PlotWidget):
    """The plot; says when it has painted, which is what 'a drawn window' means in tests."""

    painted = Signal()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        self.painted.emit()


class RasterItem(pg.GraphicsObject):
    """A premultiplied-ARGB image made for a rectangle of the view at device resolution; painted
    1:1 in device pixels (one blit), and scaled only while the view moves before the next one."""

    def __init__(self) -> None:
        super().__init__()
        self._pixels: NDArray[np.uint32] | None = None
        self._image = QImage()
        self._rect = QRectF()

    def set_raster(self, pixels: NDArray[np.uint32], rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._pixels = np.ascontiguousarray(pixels)  # the QImage borrows this buffer
        height, width = self._pixels.shape
        self._image = QImage(
            self._pixels.data, width, height, width * 4, QImage.Format.Format_ARGB32_Premultiplied
        )
        self._rect = rect
        self.update()

    def clear(self) -> None:
        self.prepareGeometryChange()
        self._pixels, self._image, self._rect = None, QImage(), QRectF()
        self.update()

    @property
    def pixels(self) -> NDArray[np.uint32] | None:
        return self._pixels

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self._image.isNull():
            return
        target = painter.transform().mapRect(self._rect)
        painter.save()
        painter.setTransform(QTransform())
        image_size = self._image.deviceIndependentSize()
        if (
            abs(target.width() - image_size.width()) < 0.5
            and abs(target.height() - image_size.height()) < 0.5
        ):
            painter.drawImage(target.topLeft().toPoint(), self._image)
        else:
            painter.drawImage(target, self._image)
        painter.restore()


def premultiplied_argb(colour: QColor) -> int:
    alpha = colour.alpha()
    red, green, blue = (round(c * alpha / 255) for c in (colour.red(), colour.green(), colour.blue()))
    return (alpha << 24) | (red << 16) | (green << 8) | blue


class MapView(QWidget):
    request_frame = Signal(object)  # MapRequest, to the worker
    load_scene = Signal(int, object, object, object)  # generation, elements, stations, own mask
    frame_applied = Signal(object)  # MapFrame, after the items were updated
    message = Signal(str, str)  # level, text: for the event log

    def __init__(self, selection: Selection, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("map_view")
        self._selection = selection
        self._scene: Scene | None = None
        self._generation = 0
        self._ready_generation = -1
        self._busy = False
        self._pending: datetime | None = None
        self._frame: MapFrame | None = None
        self._drawn: MapFrame | None = None  # the frame the items show (None: redo every item)
        self._own_mask = np.zeros(0, dtype=bool)  # per catalog index: one of our nodes?
        self._shut_down = False

        self.info = QLabel("")
        self.info.setObjectName("map_info")
        self.canvas = MapCanvas()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.info)
        layout.addWidget(self.canvas, 1)
        self._build_items()
        self.apply_theme(theme)

        self._thread = QThread(self)
        self._thread.setObjectName("map-worker")
        self._worker = MapWorker()
        self._worker.moveToThread(self._thread)
        self.request_frame.connect(self._worker.compute)
        self.load_scene.connect(self._worker.set_scene)
        self._worker.computed.connect(self._apply_frame)
        self._worker.scene_ready.connect(self._scene_ready)
        self._worker.failed.connect(self._worker_failed)
        self._thread.finished.connect(self._worker.deleteLater)
        self._thread.start()

        selection.node_changed.connect(self._selection_changed)
        selection.station_changed.connect(self._selection_changed)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)

    # Items --------------------------------------------------------------------------------
    def _build_items(self) -> None:
        plot = self.canvas.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.showGrid(x=True, y=True, alpha=0.25)
        for axis in ("bottom", "left"):
            plot.getAxis(axis).setTickSpacing(60, 30)
            # Axes and grid change only when the view does: repaint them from a cached pixmap.
            plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view_box = plot.getViewBox()
        # Not aspect-locked: like Gpredict's map, the world fills the panel whatever its shape.
        self.view_box.setLimits(xMin=-180, xMax=180, yMin=-90, yMax=90, minXRange=2, minYRange=1)
        self.view_box.setRange(xRange=(-180, 180), yRange=(-90, 90), padding=0)
        self.view_box.disableAutoRange()

        self.night = pg.ImageItem(axisOrder="row-major")
        self.night.setZValue(0)
        coast_lon, coast_lat = load_coastlines()
        self.coast = pg.PlotDataItem(coast_lon, coast_lat, connect="finite")
        self.coast.setZValue(1)
        self.station_circles = pg.PlotDataItem(connect="finite")
        self.station_circles.setZValue(2)
        # The background catalog: a raster from the worker (a path of 16,000 squares cost the GUI
        # thread ~8 ms a frame to stroke; the blit well under one).
        self.catalog = RasterItem()
        self.catalog.setZValue(3)
        self.nodes = pg.ScatterPlotItem(pxMode=True, size=NODE_SIZE_PX, symbol="o")
        self.nodes.setZValue(4)
        self.track_past = pg.PlotDataItem(connect="finite")
        self.track_future = pg.PlotDataItem(connect="finite")
        self.footprint = pg.PlotDataItem(connect="finite")
        for item in (self.track_past, self.track_future, self.footprint):
            item.setZValue(5)
        self.selected_marker = pg.ScatterPlotItem(pxMode=True, size=SELECTED_SIZE_PX, symbol="o")
        self.selected_marker.setZValue(6)
        self.stations = pg.ScatterPlotItem(pxMode=True, size=STATION_SIZE_PX, symbol="t1")
        self.stations.setZValue(7)
        self.station_labels: list[pg.TextItem] = []
        for item in (
            self.night, self.coast, self.station_circles, self.catalog, self.nodes, self.track_past,
            self.track_future, self.footprint, self.selected_marker, self.stations,
        ):  # fmt: skip
            plot.addItem(item)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.canvas.setBackground(theme.colour("background"))
        plot = self.canvas.getPlotItem()
        for axis in ("bottom", "left"):
            plot.getAxis(axis).setPen(theme.colour("grid"))
            plot.getAxis(axis).setTextPen(theme.colour("foreground"))
        self.coast.setPen(pg.mkPen(theme.colour("coast"), width=1))
        self._catalog_argb = premultiplied_argb(theme.colour("catalog"))
        self.nodes.setBrush(pg.mkBrush(theme.colour("node")))
        self.nodes.setPen(pg.mkPen(theme.colour("background"), width=1))
        self.selected_marker.setBrush(pg.mkBrush(None))
        self.selected_marker.setPen(pg.mkPen(theme.colour("selected"), width=2))
        self.track_past.setPen(
            pg.mkPen(theme.colour("track_past"), width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        self.track_future.setPen(pg.mkPen(theme.colour("track_future"), width=1.5))
        self.footprint.setPen(pg.mkPen(theme.colour("footprint"), width=1))
        self.station_circles.setPen(pg.mkPen(theme.colour("station_circle"), width=1))
        self.stations.setBrush(pg.mkBrush(theme.colour("station")))
        self.stations.setPen(pg.mkPen(theme.colour("background"), width=1))
        for label in self.station_labels:
            label.setColor(theme.colour("foreground"))
        self._night_rgb = theme.rgba("night")
        if self._frame is not None:
            self._apply_night(self._frame)
            self._apply_stations()
            self.show_time(self._frame.moment)  # the catalog's raster in the new colour

    # Scene --------------------------------------------------------------------------------
    def set_scene(self, scene: Scene) -> None:
        """Hand a new catalog to the worker (building it takes a moment for 16,000 objects)."""
        self._scene = scene
        self._own_mask = np.array([e.norad_id in scene.own_norad_ids for e in scene.elements], dtype=bool)
        self._generation += 1
        self._frame = self._drawn = None
        self.load_scene.emit(self._generation, scene.elements, scene.stations, self._own_mask)
        plot = self.canvas.getPlotItem()
        for label in self.station_labels:
            plot.removeItem(label)
        self.station_labels = []
        for station in scene.stations:
            label = pg.TextItem(station.name, color=self._theme.colour("foreground"), anchor=(0.5, -0.35))
            label.setPos(station.longitude_deg, station.latitude_deg)
            label.setZValue(8)
            plot.addItem(label)
            self.station_labels.append(label)
        self._apply_stations()

    def _scene_ready(self, generation: int, count: int) -> None:
        if generation == self._generation:
            self._ready_generation = generation
            self.message.emit("info", f"{count} objects loaded")
            if self._pending is not None:
                moment, self._pending = self._pending, None
                self.show_time(moment)

    def _apply_stations(self) -> None:
        if self._scene is None:
            return
        stations = self._scene.stations
        sizes = [STATION_SIZE_PX + (5 if s.name == self._selection.station else 0) for s in stations]
        self.stations.setData(
            x=[s.longitude_deg for s in stations], y=[s.latitude_deg for s in stations], size=sizes
        )

    # Frames -------------------------------------------------------------------------------
    def show_time(self, moment: datetime) -> None:
        """Slot for the clock's tick: ask the worker for a frame unless one is already coming."""
        if self._shut_down:
            return
        if self._busy or self._ready_generation != self._generation:
            self._pending = moment
            return
        self._busy = True
        node = self._selection.node
        index = self._scene.index_of(node) if (self._scene is not None and node is not None) else None
        self.request_frame.emit(
            MapRequest(self._generation, moment, index, self._raster_view(), self._catalog_argb)
        )

    def _raster_view(self) -> RasterView:
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        ratio = self.canvas.devicePixelRatioF()
        size = self.view_box.size()
        return RasterView(x0, x1, y0, y1, round(size.width() * ratio), round(size.height() * ratio))

    def _apply_frame(self, frame: MapFrame) -> None:
        self._busy = False
        if self._pending is not None:  # the worker computes the next frame while this one is drawn
            moment, self._pending = self._pending, None
            self.show_time(moment)
        if frame.generation == self._generation and not self._shut_down:
            self._frame = frame
            self._draw(frame)
            self.frame_applied.emit(frame)

    def _draw(self, frame: MapFrame) -> None:
        scene = self._scene
        assert scene is not None
        previous, self._drawn = self._drawn, frame
        own = frame.own_shown
        if frame.catalog_raster is not None and frame.raster_view is not None:
            v = frame.raster_view
            self.catalog.set_raster(
                frame.catalog_raster,
                QRectF(v.west_deg, v.south_deg, v.east_deg - v.west_deg, v.north_deg - v.south_deg),
            )
        else:
            self.catalog.clear()
        self.nodes.setData(x=frame.longitude_deg[own], y=frame.latitude_deg[own])
        if frame.night_changed or previous is None or previous.night_alpha is not frame.night_alpha:
            self._apply_night(frame)
        for item, line, before in (
            (self.track_past, frame.track_past, previous.track_past if previous else None),
            (self.track_future, frame.track_future, previous.track_future if previous else None),
            (self.footprint, frame.footprint, previous.footprint if previous else None),
            (self.station_circles, frame.station_circles, previous.station_circles if previous else None),
        ):
            if line is not before:  # the worker hands the same arrays back while nothing changed
                item.setData(line[1], line[0])
        if frame.selected is not None and frame.selected_index is not None:
            lat, lon, alt = frame.selected
            self.selected_marker.setData(x=[lon], y=[lat])
            element = scene.elements[frame.selected_index]
            self.info.setText(
                f"{element.name}  #{element.norad_id}   {abs(lat):.2f}°{'N' if lat >= 0 else 'S'} "
                f"{abs(lon):.2f}°{'E' if lon >= 0 else 'W'}   {alt:,.0f} km"
            )
        else:
            self.selected_marker.setData(x=[], y=[])
            self.info.setText(f"{len(frame.shown_index):,} objects — click one to select it")

    def _apply_night(self, frame: MapFrame) -> None:
        r, g, b, a = self._night_rgb
        rgba = np.empty((*frame.night_alpha.shape, 4), dtype=np.ubyte)
        rgba[..., 0], rgba[..., 1], rgba[..., 2] = r, g, b
        rgba[..., 3] = (frame.night_alpha * a).astype(np.ubyte)
        self.night.setImage(rgba, autoLevels=False)
        self.night.setRect(QRectF(-180, -90, 360, 180))  # scales by the image size: set after it

    # Interaction --------------------------------------------------------------------------
    def _selection_changed(self, *_: object) -> None:
        self._apply_stations()
        if self._frame is not None:
            self.show_time(self._frame.moment)

    def _clicked(self, event: object) -> None:
        position = event.scenePos()  # type: ignore[attr-defined]
        if not self.view_box.sceneBoundingRect().contains(position):
            return
        point = self.view_box.mapSceneToView(position)
        norad_id = self.object_near(point.x(), point.y())
        if norad_id is not None:
            self._selection.select_node(norad_id)

    def object_near(self, longitude_deg: float, latitude_deg: float) -> int | None:
        """NORAD id of the object drawn nearest to a map point, within CLICK_RADIUS_PX."""
        frame, scene = self._frame, self._scene
        if frame is None or scene is None or len(frame.shown_index) == 0:
            return None
        pixel = self.view_box.viewPixelSize()
        dx = (frame.longitude_deg - longitude_deg) / pixel[0]
        dy = (frame.latitude_deg - latitude_deg) / pixel[1]
        distance = np.hypot(dx, dy)
        nearest = int(np.argmin(distance))
        if distance[nearest] > CLICK_RADIUS_PX:
            return None
        return scene.elements[int(frame.shown_index[nearest])].norad_id

    def scene_position_of(self, longitude_deg: float, latitude_deg: float) -> QPoint:
        """Where a map point is in the canvas' viewport (for tests that click it)."""
        scene_point = self.view_box.mapViewToScene(QPointF(longitude_deg, latitude_deg))
        return self.canvas.mapFromScene(scene_point)

    @property
    def last_frame(self) -> MapFrame | None:
        return self._frame

    def _worker_failed(self, text: str) -> None:
        self._busy = False
        self.message.emit("error", text)

    # Layout state ---------------------------------------------------------------------------
    def view_state(self) -> str:
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        return f"{x0:.3f},{x1:.3f},{y0:.3f},{y1:.3f}"

    def restore_view_state(self, text: str) -> None:
        try:
            x0, x1, y0, y1 = (float(v) for v in text.split(","))
        except ValueError:
            return
        if -180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90:
            self.view_box.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def reset_view(self) -> None:
        self.view_box.setRange(xRange=(-180, 180), yRange=(-90, 90), padding=0)

    def shutdown(self) -> None:
        """Stop the worker thread (before the widget goes away)."""
        if not self._shut_down:
            self._shut_down = True
            self._thread.quit()
            self._thread.wait()

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
