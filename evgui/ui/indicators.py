"""Value tiles, status lights, the vehicle-state widget and the cable-lock widget."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from evgui.core.points import PointDef
from evgui.core.reading import Quality, Reading
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.theme import Theme, icon_pixmap
from evgui.ui.common import provenance, reading_tooltip, value_text

# Status words -> theme colour token. Tables, not ifs (DESIGN.md rule 5).
SEVERITY: dict[str, dict[object, str]] = {
    "charger_status": {"AVAILABLE": "ok", "CHARGING": "accent", "ERROR": "alarm",
                       "OFFLINE": "muted"},
    "connector_status": {"AVAILABLE": "ok", "OCCUPIED": "accent", "FAULTED": "alarm",
                         "UNAVAILABLE": "warn"},
    "session_status": {"IDLE": "muted", "CHARGING": "accent", "COMPLETE": "ok", "FAULT": "alarm"},
    "rfid_auth_status": {"PENDING": "warn", "SUCCESS": "ok", "FAILED": "alarm"},
    "ocpp_connection": {"CONNECTED": "ok", "DISCONNECTED": "alarm"},
    "cable_connected": {True: "accent", False: "muted"},
    "ground_fault": {True: "alarm", False: "ok"},
}  # fmt: skip
BOOL_WORDS = {
    "cable_connected": (QT_TR_NOOP("plugged in"), QT_TR_NOOP("not plugged")),
    "ground_fault": (QT_TR_NOOP("FAULT"), QT_TR_NOOP("none")),
}
NO_FAULT = {"", "NoError", "0", "none", "None"}

VEHICLE_STATES: dict[int, tuple[str, str, str]] = {  # code -> icon, colour token, label
    1: ("state_unplugged", "muted", QT_TR_NOOP("Unplugged")),
    2: ("state_waiting", "warn", QT_TR_NOOP("Waiting")),
    3: ("state_charging", "accent", QT_TR_NOOP("Charging")),
    4: ("state_finished", "ok", QT_TR_NOOP("Finished")),
    5: ("state_error", "alarm", QT_TR_NOOP("Error")),
    6: ("state_ready", "info", QT_TR_NOOP("Ready")),
}
CABLE_STATES = {
    0: QT_TR_NOOP("Cable unlocked, permanent lock off"),
    1: QT_TR_NOOP("Cable locked, permanent lock off"),
    2: QT_TR_NOOP("Cable unlocked, permanent lock on"),
    3: QT_TR_NOOP("Cable locked, permanent lock on"),
}


def severity(point_id: str, value: object) -> str:
    """Return the colour token of a status value."""
    if point_id == "fault_code":
        return "ok" if value is None or str(value) in NO_FAULT else "alarm"
    return SEVERITY.get(point_id, {}).get(value, "text")


def status_word(point_id: str, value: object) -> str:
    """Return a status value as words ('plugged in', 'none', 'AVAILABLE')."""
    if value is None:
        return "—"
    if isinstance(value, bool) and point_id in BOOL_WORDS:
        return tr(BOOL_WORDS[point_id][0 if value else 1])
    if point_id == "fault_code" and str(value) in NO_FAULT:
        return tr("none")
    return tr(str(value))


def _is_dim(reading: Reading | None) -> bool:
    return reading is None or reading.quality in (Quality.STALE, Quality.BAD)


class ValueTile(QFrame):
    """A number with its unit, name, source and age (greyed when stale)."""

    def __init__(self, point: PointDef | None, title: str, theme: Theme) -> None:
        super().__init__()
        self.setObjectName("Tile")
        self.point = point
        self.theme = theme
        self.reading: Reading | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(0)
        self.title = QLabel(title)
        self.title.setObjectName("Muted")
        self.value = QLabel("—")
        self.value.setObjectName("TileValue")
        big = self.value.font()
        big.setPointSizeF(13.5)
        big.setWeight(big.Weight.DemiBold)
        self.value.setFont(big)
        self.value.setTextFormat(Qt.TextFormat.RichText)
        self.footer = QLabel("")
        self.footer.setObjectName("TileFooter")
        small = self.footer.font()
        small.setPointSizeF(8)
        self.footer.setFont(small)
        for w in (self.title, self.value, self.footer):
            lay.addWidget(w)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.refresh()

    def set_reading(self, reading: Reading | None) -> None:
        """Show a reading."""
        self.reading = reading
        self.refresh()

    def set_theme(self, theme: Theme) -> None:
        """Recolour."""
        self.theme = theme
        self.refresh()

    def refresh(self) -> None:
        """Redraw text, colour, age and tooltip."""
        point, r = self.point, self.reading
        if point is None:
            self.value.setText("n/a")
            self.footer.setText(tr("not on this charger"))
            self.setToolTip(tr("this charger's profile has no such point"))
            color = self.theme.stale
        else:
            unit = (
                f" <span style='font-size:9pt; font-weight:400'>{point.unit}</span>"
                if point.unit
                else ""
            )
            self.value.setText(value_text(point, r) + (unit if r and r.value is not None else ""))
            self.footer.setText(provenance(r) if r else tr("waiting for data"))
            self.setToolTip(reading_tooltip(point, r))
            color = self.theme.stale if _is_dim(r) else self.theme.text
            if r is not None and r.quality is Quality.OUT_OF_RANGE:
                color = self.theme.alarm
        self.value.setStyleSheet(f"color: {color};")


class StatusIndicator(QWidget):
    """A coloured light, the status's name and its value in words."""

    def __init__(self, point: PointDef | None, title: str, point_id: str, theme: Theme) -> None:
        super().__init__()
        self.point = point
        self.point_id = point_id
        self.theme = theme
        self.reading: Reading | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 1, 0, 1)
        lay.setSpacing(8)
        self.light = _Light(theme)
        self.name = QLabel(title)
        self.name.setObjectName("Muted")
        self.word = QLabel("—")
        self.word.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        lay.addWidget(self.light)
        lay.addWidget(self.name, 1)
        lay.addWidget(self.word)
        self.refresh()

    def set_reading(self, reading: Reading | None) -> None:
        """Show a reading."""
        self.reading = reading
        self.refresh()

    def set_theme(self, theme: Theme) -> None:
        """Recolour."""
        self.theme = theme
        self.light.theme = theme
        self.refresh()

    @property
    def token(self) -> str:
        """Return the colour token shown."""
        r = self.reading
        if self.point is None or _is_dim(r):
            return "stale"
        assert r is not None
        return severity(self.point_id, r.value)

    def refresh(self) -> None:
        """Redraw."""
        r = self.reading
        if self.point is None:
            self.word.setText("n/a")
            self.setToolTip(tr("this charger's profile has no such point"))
        else:
            self.word.setText(status_word(self.point_id, r.value if r else None))
            self.setToolTip(reading_tooltip(self.point, r))
        token = self.token
        self.light.color = self.theme.color(token)
        text = self.theme.stale if token == "stale" else self.theme.color(token).name()
        if token in ("text", "muted"):
            text = self.theme.text
        self.word.setStyleSheet(f"color: {text}; font-weight: 600;")
        self.light.update()


class _Light(QWidget):
    def __init__(self, theme: Theme) -> None:
        super().__init__()
        self.theme = theme
        self.color = theme.color("stale")
        self.setFixedSize(12, 12)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        glow = QColor(self.color)
        glow.setAlpha(70)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(glow)
        p.drawEllipse(QRectF(0, 0, 12, 12))
        p.setBrush(self.color)
        p.drawEllipse(QRectF(2, 2, 8, 8))
        p.end()


class VehicleStateWidget(QWidget):
    """Jeedom's compact EVcharger widget: the vehicle state 1..6 as an icon and a word."""

    def __init__(self, theme: Theme) -> None:
        super().__init__()
        self.theme = theme
        self.reading: Reading | None = None
        self.detail = ""
        self.setMinimumSize(QSize(210, 64))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    @property
    def code(self) -> int | None:
        """Return the vehicle state shown (1..6), or None."""
        raw = self.reading.raw if self.reading else None
        return raw if isinstance(raw, int) and raw in VEHICLE_STATES else None

    def set_reading(self, reading: Reading | None, detail: str = "") -> None:
        """Show the derived vehicle state; detail says what it came from (IEC / OCPP)."""
        self.reading, self.detail = reading, detail
        label = VEHICLE_STATES[self.code][2] if self.code else QT_TR_NOOP("Unknown")
        self.setAccessibleName(tr("Vehicle state") + ": " + tr(label))
        self.setToolTip(
            tr("Vehicle state") + f" {self.code or '?'}: {tr(label)}"
            + (f"<br>{detail}" if detail else "")
            + (f"<br><i>{self.reading.reason}</i>" if self.reading and self.reading.reason else "")
        )  # fmt: skip
        self.update()

    def set_theme(self, theme: Theme) -> None:
        """Recolour."""
        self.theme = theme
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the state's icon in a tinted disc, then its label."""
        t = self.theme
        icon_name, token, label = VEHICLE_STATES.get(
            self.code or 0, ("state_unknown", "stale", QT_TR_NOOP("Unknown"))
        )
        if _is_dim(self.reading):
            token = "stale"
        color = t.color(token)
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height()
        disc = QRectF(2, 2, h - 4, h - 4)
        tint = QColor(color)
        tint.setAlpha(40)
        p.setPen(QPen(color, 2))
        p.setBrush(tint)
        p.drawEllipse(disc)
        size = int(h * 0.62)
        pix = icon_pixmap(icon_name, color.name(), size, self.devicePixelRatioF())
        p.drawPixmap(int(disc.center().x() - size / 2), int(disc.center().y() - size / 2), pix)
        font = self.font()
        font.setPointSizeF(14)
        font.setBold(True)
        p.setFont(font)
        p.setPen(color if token != "stale" else t.color("stale"))
        text_rect = QRectF(h + 8, 4, self.width() - h - 8, h * 0.55)
        p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, tr(label))
        font.setPointSizeF(8.5)
        font.setBold(False)
        p.setFont(font)
        p.setPen(t.color("muted"))
        sub = QRectF(h + 8, h * 0.58, self.width() - h - 8, h * 0.4)
        number = tr("state") + f" {self.code}" if self.code else tr("no data yet")
        p.drawText(
            sub,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            self.detail or number,
        )
        p.end()


class CableLockWidget(QWidget):
    """Jeedom's EVcharger/Cable_lock widget: cable_state 0..3; a click toggles the permanent lock.

    Four renderings: dark or light theme x colour or black-and-white (a setting).
    """

    toggleRequested = Signal(bool)  # True: turn the permanent lock on (cable_lock)

    def __init__(self, theme: Theme, style: str = "color") -> None:
        super().__init__()
        self.theme = theme
        self.style_name = style
        self.reading: Reading | None = None
        self.pending = False
        self.available = True
        self.why_not = ""
        self.setMinimumSize(QSize(200, 64))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    @property
    def state(self) -> int | None:
        """Return cable_state 0..3, or None when unknown."""
        raw = self.reading.raw if self.reading else None
        return raw if isinstance(raw, int) and raw in CABLE_STATES else None

    def set_reading(self, reading: Reading | None) -> None:
        """Show a new cable_state."""
        self.reading = reading
        self._tooltip()
        self.update()

    def set_style(self, style: str) -> None:
        """Switch between 'color' and 'bw'."""
        self.style_name = style
        self.update()

    def set_theme(self, theme: Theme) -> None:
        """Recolour."""
        self.theme = theme
        self.update()

    def set_available(self, available: bool, why: str = "") -> None:
        """Enable or disable the click (capability / link), with the reason as tooltip."""
        self.available, self.why_not = available, why
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if available else Qt.CursorShape.ForbiddenCursor
        )
        self._tooltip()
        self.update()

    def set_pending(self, pending: bool) -> None:
        """Show that a lock command is on its way."""
        self.pending = pending
        self.update()

    def _tooltip(self) -> None:
        state = self.state
        text = tr(CABLE_STATES[state]) if state is not None else tr("Cable lock state unknown")
        if not self.available:
            text += "<br>" + tr("cannot change now") + f": {self.why_not}"
        elif state is not None:
            action = (
                tr("click to turn the permanent lock off")
                if state >= 2
                else tr("click to turn the permanent lock on")
            )
            text += "<br>" + action
        self.setToolTip(text)

    def colors(self) -> tuple[QColor, QColor, QColor]:
        """Return (lock, pin, text) colours of the current rendering."""
        t = self.theme
        state = self.state
        if state is None or not self.available or _is_dim(self.reading):
            dim = t.color("stale")
            return dim, dim, t.color("muted")
        if self.style_name == "bw":
            ink = QColor("#ffffff") if t.dark else QColor("#000000")
            return ink, ink, ink
        lock = t.color("ok") if state & 1 else t.color("muted")
        pin = t.color("warn") if state & 2 else t.color("grid")
        return lock, pin, t.color("text")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Ask to toggle the permanent lock (the owner confirms and sends)."""
        if event.button() != Qt.MouseButton.LeftButton or not self.available or self.pending:
            return
        if self.state is not None:
            self.toggleRequested.emit(self.state < 2)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw a padlock (closed when the cable is locked) with a pin badge (permanent lock)."""
        lock, pin, ink = self.colors()
        state = self.state
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        h = self.height()
        frame = QRectF(1, 1, h - 2, h - 2)
        p.setPen(QPen(lock if state is not None else ink, 1.5, Qt.PenStyle.DashLine
                      if self.pending else Qt.PenStyle.SolidLine))  # fmt: skip
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(frame, 10, 10)
        ratio = self.devicePixelRatioF()
        size = int(h * 0.62)
        name = "lock_closed" if state is not None and state & 1 else "lock_open"
        p.drawPixmap(int(h / 2 - size / 2), int(h / 2 - size / 2),
                     icon_pixmap(name, lock.name(), size, ratio))  # fmt: skip
        badge = int(h * 0.36)
        if state is not None and (state & 2 or self.style_name == "color"):
            bx, by = int(h - badge * 0.9), int(-badge * 0.1 + 2)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(self.theme.color("surface"))
            p.drawEllipse(QRectF(bx - 2, by - 2, badge + 4, badge + 4))
            p.drawPixmap(bx, by, icon_pixmap("pin", pin.name(), badge, ratio))
        font = self.font()
        font.setPointSizeF(10.5)
        font.setBold(True)
        p.setFont(font)
        p.setPen(ink)
        top = tr("Locked") if state is not None and state & 1 else tr("Unlocked")
        if state is None:
            top = tr("Lock unknown")
        p.drawText(QRectF(h + 10, 4, self.width() - h - 10, h * 0.5),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, top)  # fmt: skip
        font.setPointSizeF(8.5)
        font.setBold(False)
        p.setFont(font)
        p.setPen(self.theme.color("muted"))
        if self.pending:
            sub = tr("sending…")
        elif state is None:
            sub = tr("no data yet")
        else:
            sub = tr("permanent lock on") if state & 2 else tr("permanent lock off")
        p.drawText(QRectF(h + 10, h * 0.54, self.width() - h - 10, h * 0.42),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, sub)  # fmt: skip
        p.end()
