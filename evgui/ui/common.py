"""What every window shares: translation, the UI context (backend, bridge, theme), cards, text."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from evgui.core.backend import ConsoleBackend
from evgui.core.config import AppSettings
from evgui.core.events import Level
from evgui.core.points import PointDef
from evgui.core.reading import Quality, Reading, Source
from evgui.core.tasks import BackgroundTasks
from evgui.qt.bridge import QtBridge, short_age
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.theme import Theme, palette, resolve, stylesheet

SOURCE_NAMES = {
    Source.MODBUS: QT_TR_NOOP("Modbus"),
    Source.OCPP: QT_TR_NOOP("OCPP"),
    Source.BACNET: QT_TR_NOOP("BACnet"),
    Source.SIMULATOR: QT_TR_NOOP("simulator"),
    Source.DERIVED: QT_TR_NOOP("derived"),
}


class UiContext(QObject):
    """The console's shared state: backend, bridge, settings, theme, background tasks."""

    themeChanged = Signal(object)  # Theme
    lockStyleChanged = Signal(str)

    def __init__(
        self,
        backend: ConsoleBackend,
        bridge: QtBridge,
        settings: AppSettings,
        save: Callable[[AppSettings], None],
    ) -> None:
        super().__init__()
        self.backend = backend
        self.bridge = bridge
        self.settings = settings
        self._save = save
        self.theme: Theme = resolve(settings.theme)
        self.tasks = BackgroundTasks(
            on_error=lambda text: backend.hub.log(None, Level.ERROR, f"console: {text}")
        )

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a coroutine on the loop with a strong reference; errors go to the event log."""
        return self.tasks.spawn(coro, name)

    def save(self) -> None:
        """Persist the settings (chargers, server, theme, window layout)."""
        self.settings.chargers = self.backend.configs()
        self.settings.server = self.backend.server_settings
        try:
            self._save(self.settings)
        except OSError as exc:
            self.backend.hub.log(None, Level.ERROR, f"settings not saved: {exc}")

    def apply_theme(self, name: str | None = None, remember: bool = True) -> None:
        """Switch theme ('dark', 'light', 'system'), restyle the application, tell widgets."""
        if name is not None:
            if remember:
                self.settings.theme = name
            self.theme = resolve(name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setPalette(palette(self.theme))
            app.setStyleSheet(stylesheet(self.theme))
        self.themeChanged.emit(self.theme)

    def availability(
        self, charger_id: str, point_ids: tuple[str, ...], via: str | None = None
    ) -> tuple[bool, str]:
        """Return whether every one of these commands can be sent now, and why not."""
        dispatcher = self.backend.dispatcher
        results = [dispatcher.availability(charger_id, p, via) for p in point_ids]
        why = "; ".join(dict.fromkeys(w for ok, w in results if not ok))
        return all(ok for ok, _ in results), why

    def set_lock_style(self, style: str) -> None:
        """Switch the cable-lock widget between colour and black-and-white."""
        self.settings.lock_style = style
        self.lockStyleChanged.emit(style)


class Card(QFrame):
    """A titled panel with the theme's surface colour."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Card")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(12, 8, 12, 10)
        self.body.setSpacing(6)
        self.title = QLabel(title.upper(), self)
        self.title.setObjectName("CardTitle")
        self.body.addWidget(self.title)


def decimals_for(point: PointDef | None, default: int = 1) -> int:
    """Return how many decimals to show for a point (from its resolution, 0..3)."""
    if point is None or not point.resolution:
        return default
    return max(0, min(3, -math.floor(math.log10(point.resolution) + 1e-9)))


def provenance(reading: Reading | None, now: float | None = None) -> str:
    """Return 'Modbus · 2 s' for a reading: where it came from and how old it is."""
    if reading is None:
        return tr("no data")
    now = time.time() if now is None else now
    source = tr(SOURCE_NAMES.get(reading.source, reading.source.value))
    return f"{source} · {short_age(now - reading.ts)}"


def reading_tooltip(point: PointDef | None, reading: Reading | None) -> str:
    """Return a tooltip: unit, range, Haystack tags, register / measurand, source, age, quality."""
    if point is None:
        return ""
    lines = [f"<b>{point.name}</b>" + (f" ({point.unit})" if point.unit else "")]
    if point.description:
        lines.append(point.description)
    if point.range:
        lines.append(tr("typical range") + f": {point.range_text()}")
    if point.haystack:
        lines.append("Haystack: " + " ".join(point.haystack))
    if point.modbus:
        lines.append("Modbus: " + point.modbus.describe())
    if point.ocpp:
        lines.append("OCPP: " + point.ocpp.describe())
    if point.derived:
        lines.append(tr("derived by the console from the charger's states"))
    if reading is not None:
        when = time.strftime("%H:%M:%S", time.localtime(reading.ts))
        lines.append(tr("source") + f": {provenance(reading)} ({when})")
        if reading.quality is not Quality.GOOD:
            lines.append(f"<i>{tr(reading.quality.value)}: {reading.reason or ''}</i>")
    return "<br>".join(lines)


def value_text(point: PointDef | None, reading: Reading | None) -> str:
    """Return a reading's value as shown in a tile ('—' when there is none)."""
    if reading is None or reading.value is None:
        return "—"
    value = reading.value
    if isinstance(value, bool):
        return tr("yes") if value else tr("no")
    if isinstance(value, float):
        return f"{value:.{decimals_for(point)}f}"
    return tr(str(value))


class ElidedLabel(QLabel):
    """A one-line label that elides its text with '…' to its width; the full text is the tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        """Keep the full text and show it elided to the current width."""
        self._full = text
        self.setToolTip(text)
        self._elide()

    def text(self) -> str:
        """Return the full text, not the elided rendering."""
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Elide again for the new width."""
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        """Elide again when a stylesheet or theme changes the font."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()

    def showEvent(self, event: QShowEvent) -> None:
        """Elide for the width the label is shown at."""
        super().showEvent(event)
        self._elide()

    def _elide(self) -> None:
        if not self.isVisible():  # measured when shown (font metrics are costly before polish)
            return
        width = max(40, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        super().setText(shown)


def ask(parent: QWidget, title: str, text: str, on_yes: Callable[[], object]) -> QMessageBox:
    """Ask a yes/no question without a nested event loop; call on_yes if the user agrees."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.accepted.connect(on_yes)  # Yes is the accept role
    box.open()
    return box
