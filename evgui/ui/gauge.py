"""A custom-painted round gauge: vector drawing, so it is crisp at any DPI and any size."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from evgui.core.points import PointDef
from evgui.core.reading import Quality, Reading
from evgui.qt.i18n import tr
from evgui.qt.latency import PAINT_LATENCY
from evgui.qt.theme import Theme
from evgui.ui.common import decimals_for, provenance, reading_tooltip

START_DEG = 225.0  # the arc starts bottom-left ...
SPAN_DEG = 270.0  # ... and sweeps clockwise to bottom-right


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Return round tick values covering low..high (at most ~count+1 of them)."""
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:g}" if abs(value) < 10000 else f"{value / 1000:g}k"


class GaugeWidget(QWidget):
    """One measure as a 270° dial: scale from the point's typical range, value and unit in text."""

    def __init__(self, point: PointDef, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.point = point
        self.theme = theme
        self.reading: Reading | None = None
        self._painted: Reading | None = None  # the last reading painted (latency is per reading)
        low, high = point.range or (0.0, 100.0)
        self.low, self.high = float(low), float(high)
        self.decimals = decimals_for(point)
        self.setMinimumSize(QSize(104, 104))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(point.name)
        self.refresh_tooltip()

    def sizeHint(self) -> QSize:
        """Return a comfortable size."""
        return QSize(150, 150)

    def hasHeightForWidth(self) -> bool:
        """Keep gauges round."""
        return True

    def heightForWidth(self, width: int) -> int:
        """Return the height for a width (square)."""
        return width

    def set_theme(self, theme: Theme) -> None:
        """Repaint in another theme."""
        self.theme = theme
        self.update()

    def set_reading(self, reading: Reading | None) -> None:
        """Show a new reading (repaints once; the bridge already coalesced per frame)."""
        self.reading = reading
        self.refresh_tooltip()
        self.update()

    def refresh_tooltip(self) -> None:
        """Update the tooltip (source and age change with time)."""
        self.setToolTip(reading_tooltip(self.point, self.reading))

    @property
    def value(self) -> float | None:
        """Return the numeric value shown, or None."""
        r = self.reading
        if r is None or isinstance(r.value, bool) or not isinstance(r.value, int | float):
            return None
        return float(r.value)

    def _value_color(self) -> QColor:
        t = self.theme
        r = self.reading
        if r is None or r.quality in (Quality.STALE, Quality.BAD):
            return t.color("stale")
        if r.quality is Quality.OUT_OF_RANGE:
            return t.color("alarm")
        return t.color("accent")

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw track, ticks, value arc, value, unit, name and provenance."""
        t = self.theme
        side = min(self.width(), self.height())
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.translate((self.width() - side) / 2, (self.height() - side) / 2)
        thick = max(6.0, side * 0.075)
        margin = thick / 2 + side * 0.06
        rect = QRectF(margin, margin, side - 2 * margin, side - 2 * margin)
        # track
        p.setPen(QPen(t.color("grid"), thick, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawArc(rect, int(START_DEG * 16), int(-SPAN_DEG * 16))
        # ticks and labels at both ends and in between
        self._draw_ticks(p, rect, side, thick)
        # value arc
        value = self.value
        color = self._value_color()
        if value is not None:
            frac = (min(max(value, self.low), self.high) - self.low) / (self.high - self.low or 1)
            pen = QPen(color, thick, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            if frac > 0.002:
                p.drawArc(rect, int(START_DEG * 16), int(-SPAN_DEG * frac * 16))
            else:
                p.drawPoint(self._at(rect, 0.0))
        self._draw_text(p, side, color, value)
        p.end()
        if self.reading is not self._painted:
            self._painted = self.reading
            PAINT_LATENCY.painted(self.reading, "gauge")

    def _at(self, rect: QRectF, frac: float, inset: float = 0.0) -> QPointF:
        angle = math.radians(START_DEG - SPAN_DEG * frac)
        radius = rect.width() / 2 - inset
        c = rect.center()
        return QPointF(c.x() + radius * math.cos(angle), c.y() - radius * math.sin(angle))

    def _draw_ticks(self, p: QPainter, rect: QRectF, side: float, thick: float) -> None:
        """Draw short marks at round values, and the scale's two ends as numbers."""
        t = self.theme
        p.setPen(QPen(t.color("muted"), max(1.0, side / 160)))
        span = self.high - self.low or 1
        for tick in nice_ticks(self.low, self.high, 8):
            frac = (tick - self.low) / span
            p.drawLine(self._at(rect, frac, thick / 2 + side * 0.015),
                       self._at(rect, frac, thick / 2 + side * 0.045))  # fmt: skip
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, side * 0.05))
        p.setFont(font)
        for frac, value in ((0.0, self.low), (1.0, self.high)):
            pos = self._at(rect, frac, thick / 2 + side * 0.1)
            box = QRectF(pos.x() - side * 0.15, pos.y() - side * 0.035, side * 0.3, side * 0.07)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, _tick_label(value))

    def _draw_text(self, p: QPainter, side: float, color: QColor, value: float | None) -> None:
        t = self.theme
        stale = self.reading is not None and self.reading.quality in (Quality.STALE, Quality.BAD)
        big = QFont(self.font())
        big.setPointSizeF(max(9.0, side * 0.13))
        big.setWeight(QFont.Weight.DemiBold)
        p.setFont(big)
        p.setPen(t.color("stale") if stale else t.color("text"))
        text = "—" if value is None else f"{value:.{self.decimals}f}"
        p.drawText(QRectF(0, side * 0.33, side, side * 0.2), Qt.AlignmentFlag.AlignCenter, text)
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, side * 0.06))
        p.setFont(small)
        p.setPen(t.color("muted"))
        p.drawText(
            QRectF(0, side * 0.52, side, side * 0.09), Qt.AlignmentFlag.AlignCenter, self.point.unit
        )
        if self.reading is not None and self.reading.quality is Quality.OUT_OF_RANGE:
            p.setPen(t.color("alarm"))
            p.drawText(
                QRectF(0, side * 0.23, side, side * 0.1),
                Qt.AlignmentFlag.AlignCenter,
                tr("out of range"),
            )
        name = QFont(self.font())
        name.setPointSizeF(max(7.0, side * 0.062))
        name.setWeight(QFont.Weight.DemiBold)
        p.setFont(name)
        p.setPen(t.color("text"))
        p.drawText(
            QRectF(0, side * 0.77, side, side * 0.1),
            Qt.AlignmentFlag.AlignCenter,
            tr(self.point.name),
        )
        p.setFont(small)
        p.setPen(t.color("muted"))
        p.drawText(
            QRectF(0, side * 0.87, side, side * 0.09),
            Qt.AlignmentFlag.AlignCenter,
            provenance(self.reading) if self.reading else "",
        )
