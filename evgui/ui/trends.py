"""Trends: chosen measures over 1 min .. 24 h, one y axis per unit, crosshair, PNG/CSV export.

Data come from the charger model's bounded ring buffers; the plot redraws on a display timer
(never per reading), fetching only the visible window and peak-downsampling it to the width.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from evgui.core.model import ChargerModel
from evgui.core.points import PointDef, PointKind, ValueType
from evgui.core.series import peak_downsample
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.theme import Theme
from evgui.ui.common import decimals_for

if TYPE_CHECKING:
    import pyqtgraph as pg

# pyqtgraph and numpy (~0.45 s of imports) load when the plot is first needed, after the window
# is on screen (bench/startup.py): the redraw timer builds it within REDRAW_MS of the first show.

WINDOWS = ((QT_TR_NOOP("1 min"), 60), (QT_TR_NOOP("10 min"), 600), (QT_TR_NOOP("1 h"), 3600),
           (QT_TR_NOOP("24 h"), 86_400))  # fmt: skip
DEFAULT_POINTS = ("active_power", "output_current", "output_voltage", "charger_temperature")
REDRAW_MS = 500


def trendable(point: PointDef) -> bool:
    """Return True for numeric measures (the ones with a series)."""
    return point.kind is PointKind.MEASURE and point.value_type in (ValueType.FLOAT, ValueType.INT)


class _UnitAxis:
    """One y axis with its own view box, shared by every curve of one unit."""

    def __init__(self, unit: str, view: pg.ViewBox, axis: pg.AxisItem, *, own_view: bool,
                 own_axis: bool) -> None:  # fmt: skip
        self.unit = unit
        self.view = view
        self.axis = axis
        self.own_view = own_view  # created here (removed on rebuild), not the plot's own
        self.own_axis = own_axis


class TrendsPanel(QWidget):
    """Pick measures, choose a window, follow live or pause, zoom, read values, export."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.model: ChargerModel | None = None
        self.window_s = 60
        self.follow = True
        self.redraws = 0
        self.last_redraw_ms = 0.0
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._axes: dict[str, _UnitAxis] = {}
        self._axes_of_curve: dict[str, _UnitAxis] = {}
        self._chosen: list[str] = list(DEFAULT_POINTS)
        self._build()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.redraw)
        self._timer.start(REDRAW_MS)

    # ------------------------------------------------------------------- layout

    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(split)
        self.picker = QListWidget()
        self.picker.setToolTip(tr("tick the measures to plot"))
        self.picker.itemChanged.connect(self._picked)
        self.picker.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.picker.setTextElideMode(Qt.TextElideMode.ElideRight)
        split.addWidget(self.picker)
        right = QWidget()
        lay = QVBoxLayout(right)
        lay.setContentsMargins(4, 0, 0, 0)
        bar = QHBoxLayout()
        self.window_group = QButtonGroup(self)
        for label, seconds in WINDOWS:
            button = QPushButton(tr(label))
            button.setCheckable(True)
            button.setChecked(seconds == self.window_s)
            button.clicked.connect(lambda _=False, s=seconds: self.set_window(s))
            self.window_group.addButton(button, seconds)
            bar.addWidget(button)
        bar.addSpacing(12)
        self.follow_button = QPushButton(tr("Live"))
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip(tr("follow live values; pan or zoom pauses"))
        self.follow_button.toggled.connect(self.set_follow)
        bar.addWidget(self.follow_button)
        bar.addStretch(1)
        for text, slot in ((tr("Export PNG…"), self._ask_png), (tr("Export CSV…"), self._ask_csv)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        lay.addLayout(bar)
        self.readout = QLabel(" ")
        self.readout.setObjectName("Muted")
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.readout)
        self.plot: pg.PlotWidget | None = None
        self.plot_area = QVBoxLayout()
        self.placeholder = QLabel(tr("loading trends…"))
        self.placeholder.setObjectName("Muted")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setMinimumHeight(160)
        self.plot_area.addWidget(self.placeholder)
        lay.addLayout(self.plot_area, 1)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([200, 800])
        self.set_theme(self.theme)

    def _ensure_plot(self) -> pg.PlotWidget:
        """Build the plot on first use (pyqtgraph is imported here)."""
        if self.plot is not None:
            return self.plot
        import pyqtgraph as pg

        plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        plot.setMinimumHeight(160)
        item = plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.vb.sigRangeChangedManually.connect(self._manual_range)
        item.vb.sigResized.connect(self._sync_views)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setVisible(False)
        item.addItem(self.crosshair, ignoreBounds=True)
        self._mouse = pg.SignalProxy(plot.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._mouse_moved)  # fmt: skip
        self.plot_area.removeWidget(self.placeholder)
        self.placeholder.hide()
        self.placeholder.deleteLater()
        self.plot_area.addWidget(plot, 1)
        self.plot = plot
        self.set_theme(self.theme)
        self._rebuild()
        return plot

    # ------------------------------------------------------------------ control

    def set_model(self, model: ChargerModel | None) -> None:
        """Show another charger's series (or none)."""
        self.model = model
        self.picker.blockSignals(True)
        self.picker.clear()
        if model is not None:
            for point in model.catalogue:
                if not trendable(point):
                    continue
                label = tr(point.name) + (f" ({point.unit})" if point.unit else "")
                row = QListWidgetItem(label)
                row.setData(Qt.ItemDataRole.UserRole, point.id)
                row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                on = point.id in self._chosen
                row.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                self.picker.addItem(row)
        self.picker.blockSignals(False)
        self._rebuild()

    def chosen(self) -> list[str]:
        """Return the point ids plotted, in catalogue order."""
        if self.model is None:
            return []
        return [p.id for p in self.model.catalogue if p.id in self._chosen and trendable(p)]

    def choose(self, point_ids: list[str]) -> None:
        """Plot exactly these points."""
        self._chosen = list(point_ids)
        self._ensure_plot()
        self.set_model(self.model)

    def set_window(self, seconds: int) -> None:
        """Show the last `seconds` (1 min, 10 min, 1 h, 24 h) and follow live."""
        self.window_s = seconds
        button = self.window_group.button(seconds)
        if button is not None:
            button.setChecked(True)
        self.follow_button.setChecked(True)
        self.redraw()

    def set_follow(self, follow: bool) -> None:
        """Follow live values, or hold the view still."""
        self.follow = follow
        if self.follow_button.isChecked() != follow:
            self.follow_button.setChecked(follow)
        self.follow_button.setText(tr("Live") if follow else tr("Paused"))
        if follow:
            self.redraw()

    def set_theme(self, theme: Theme) -> None:
        """Recolour background, axes, grid and curves."""
        self.theme = theme
        if self.plot is None:
            return
        import pyqtgraph as pg

        self.plot.setBackground(theme.surface)
        item = self.plot.getPlotItem()
        for name in ("bottom", "left", "right"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(theme.border))
            axis.setTextPen(pg.mkPen(theme.muted))
        for unit_axis in self._axes.values():
            unit_axis.axis.setPen(pg.mkPen(theme.border))
            unit_axis.axis.setTextPen(pg.mkPen(theme.muted))
        self.crosshair.setPen(pg.mkPen(theme.muted, style=Qt.PenStyle.DashLine))
        for n, curve in enumerate(self._curves.values()):
            curve.setPen(pg.mkPen(self._color(n), width=2))
        self._rebuild_labels()

    def _color(self, n: int) -> str:
        return self.theme.curves[n % len(self.theme.curves)]

    # ---------------------------------------------------------------- plumbing

    def _picked(self, row: QListWidgetItem) -> None:
        pid = row.data(Qt.ItemDataRole.UserRole)
        on = row.checkState() == Qt.CheckState.Checked
        if on and pid not in self._chosen:
            self._chosen.append(pid)
        elif not on and pid in self._chosen:
            self._chosen.remove(pid)
        self._rebuild()

    def _rebuild(self) -> None:
        """Recreate curves and one axis per unit for the chosen points."""
        if self.plot is None:
            return
        import pyqtgraph as pg

        item = self.plot.getPlotItem()
        for pid, curve in self._curves.items():
            self._axes_of_curve[pid].view.removeItem(curve)
        for unit_axis in self._axes.values():
            if unit_axis.own_axis:
                item.layout.removeItem(unit_axis.axis)
                item.scene().removeItem(unit_axis.axis)
            if unit_axis.own_view:
                item.scene().removeItem(unit_axis.view)
        self._axes_of_curve.clear()
        self._curves.clear()
        self._axes.clear()
        item.hideAxis("right")
        if self.model is None:
            return
        for n, pid in enumerate(self.chosen()):
            point = self.model.catalogue[pid]
            unit_axis = self._axis_for(point.unit or "—")
            # No pyqtgraph clip/downsampling: redraw() already fetches only the visible window
            # and peak-downsamples it (pyqtgraph would clip the extra axes' curves against a
            # view box whose range is not linked yet).
            curve = pg.PlotDataItem(pen=pg.mkPen(self._color(n), width=2), name=point.name)
            unit_axis.view.addItem(curve)
            self._curves[pid] = curve
            self._axes_of_curve[pid] = unit_axis
        self._sync_views()
        self._rebuild_labels()
        self.redraw()

    def _axis_for(self, unit: str) -> _UnitAxis:
        found = self._axes.get(unit)
        if found is not None:
            return found
        import pyqtgraph as pg

        item = self._ensure_plot().getPlotItem()
        if not self._axes:
            axis = _UnitAxis(unit, item.vb, item.getAxis("left"), own_view=False, own_axis=False)
        else:
            view = pg.ViewBox()
            item.scene().addItem(view)
            view.setXLink(item.vb)
            own_axis = len(self._axes) > 1
            if own_axis:  # a third, fourth... unit: one more axis column on the right
                ax = pg.AxisItem("right")
                ax.setPen(pg.mkPen(self.theme.border))
                ax.setTextPen(pg.mkPen(self.theme.muted))
                item.layout.addItem(ax, 2, 1 + len(self._axes))
            else:
                item.showAxis("right")
                ax = item.getAxis("right")
            ax.linkToView(view)
            axis = _UnitAxis(unit, view, ax, own_view=True, own_axis=own_axis)
        axis.view.enableAutoRange(axis=pg.ViewBox.YAxis)
        self._axes[unit] = axis
        return axis

    def _rebuild_labels(self) -> None:
        """Label each axis with its unit, in the colour of its first curve."""
        if self.model is None:
            return
        for unit, unit_axis in self._axes.items():
            first = next(
                (n for n, pid in enumerate(self._curves)
                 if (self.model.catalogue[pid].unit or "—") == unit), 0,
            )  # fmt: skip
            unit_axis.axis.setLabel(unit, color=self._color(first))

    def _sync_views(self) -> None:
        if self.plot is None:
            return
        main = self.plot.getPlotItem().vb
        for unit_axis in self._axes.values():
            if unit_axis.view is not main:
                unit_axis.view.setGeometry(main.sceneBoundingRect())
                unit_axis.view.linkedViewChanged(main, unit_axis.view.XAxis)

    def _manual_range(self, *_: object) -> None:
        """Panning or zooming by hand pauses the live view."""
        self.set_follow(False)

    # ------------------------------------------------------------------ drawing

    def visible_range(self) -> tuple[float, float]:
        """Return the time span shown."""
        if self.follow or self.plot is None:
            now = time.time()
            return now - self.window_s, now
        (x0, x1), _ = self.plot.getPlotItem().vb.viewRange()
        return float(x0), float(x1)

    def redraw(self) -> None:
        """Fetch each chosen series' visible window, downsample it to the width, draw."""
        if self.model is None or not self.isVisible():
            return
        import numpy as np

        plot = self._ensure_plot()
        started = time.perf_counter()
        t0, t1 = self.visible_range()
        width = max(200, plot.width())
        for pid, curve in self._curves.items():
            series = self.model.series.get(pid)
            if series is None:
                curve.setData([], [])
                continue
            window_ts, window_values = series.window(t0, t1, copy=False)  # views, read now
            ts, values = peak_downsample(window_ts, window_values, 2 * width)
            if ts is window_ts:  # not reduced: still views of the ring, which moves on
                ts = ts.copy()
            curve.setData(ts, values.astype(np.float64), connect="finite")
        if self.follow:
            plot.getPlotItem().vb.setXRange(t0, t1, padding=0)
        self.redraws += 1
        self.last_redraw_ms = (time.perf_counter() - started) * 1000

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        """Move the crosshair and read out every curve at that time."""
        pos = event[0]
        if self.plot is None:
            return
        vb = self.plot.getPlotItem().vb
        if self.model is None or not vb.sceneBoundingRect().contains(pos):
            self.crosshair.setVisible(False)
            return
        x = float(vb.mapSceneToView(pos).x())
        self.crosshair.setPos(x)
        self.crosshair.setVisible(True)
        self.readout.setText(self.readout_at(x))

    def readout_at(self, x: float) -> str:
        """Return the values of every plotted curve nearest to time x, as rich text."""
        parts = [time.strftime("%H:%M:%S", time.localtime(x))]
        if self.model is None:
            return parts[0]
        import numpy as np

        for n, (pid, curve) in enumerate(self._curves.items()):
            xs, ys = curve.getData()
            if xs is None or not len(xs):
                continue
            i = int(np.clip(np.searchsorted(xs, x), 0, len(xs) - 1))
            if i > 0 and abs(xs[i - 1] - x) < abs(xs[i] - x):
                i -= 1
            point = self.model.catalogue[pid]
            value = f"{ys[i]:.{decimals_for(point)}f} {point.unit}".strip()
            parts.append(f"<span style='color:{self._color(n)}'>{tr(point.name)} {value}</span>")
        return " · ".join(parts)

    # ------------------------------------------------------------------- export

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export PNG"), "trend.png", "PNG (*.png)")
        if path:
            self.export_png(Path(path))

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("Export CSV"), "trend.csv", "CSV (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_png(self, path: Path) -> bool:
        """Save the plot as a PNG."""
        return bool(self._ensure_plot().grab().save(str(path), "PNG"))

    def export_csv(self, path: Path) -> int:
        """Save the visible samples of every plotted point as CSV; return the rows written."""
        if self.model is None:
            return 0
        t0, t1 = self.visible_range()
        rows = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(("time_utc", "epoch_s", "charger", "point", "value", "unit"))
            for pid in self._curves:
                series = self.model.series.get(pid)
                if series is None:
                    continue
                unit = self.model.catalogue[pid].unit
                ts, values = series.window(t0, t1)
                keep = (ts >= t0) & (ts <= t1)
                for t, v in zip(ts[keep], values[keep], strict=True):
                    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
                    out.writerow((stamp + f".{int(t % 1 * 1000):03d}Z", f"{t:.3f}",
                                  self.model.charger_id, pid, f"{v:g}", unit))  # fmt: skip
                    rows += 1
        return rows
