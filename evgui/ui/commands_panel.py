"""The commands panel: the seed's six commands, the permanent cable lock and OCPP extras.

Every control builds a Command and hands it to the dispatcher; it shows pending -> accepted /
rejected / timeout with the reason, is disabled (tooltip saying why) when the charger lacks the
command or its link is down, and never sends twice on a double click.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evgui.core.commands import Command, CommandStatus
from evgui.core.events import CommandEvent
from evgui.core.points import PointDef
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.theme import Theme
from evgui.ui.common import Card, UiContext, ask, value_text

STATUS_LOOK = {  # status -> (symbol, colour token)
    "pending": ("…", "muted"),
    "accepted": ("✓", "ok"),
    "rejected": ("✗", "alarm"),
    "timeout": ("⌛", "warn"),
    "verify-mismatch": ("≠", "warn"),
    "not-supported": ("✗", "muted"),
    "invalid": ("✗", "alarm"),
    "unavailable": ("✗", "warn"),
    "error": ("✗", "alarm"),
}


class CommandSender(QObject):
    """Send Commands through the dispatcher and follow their status (shared by all widgets)."""

    statusChanged = Signal(str, str, str, str)  # charger id, point id, status, message

    def __init__(self, ctx: UiContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.pending: set[tuple[str, str]] = set()
        self.last: dict[tuple[str, str], CommandEvent] = {}
        ctx.bridge.commandChanged.connect(self._on_event)

    def send(
        self, charger_id: str, point_id: str, value: Any = None, via: str | None = None
    ) -> bool:
        """Submit a command; return False (nothing sent) while the same point is still pending."""
        key = (charger_id, point_id)
        if key in self.pending:
            return False
        self.pending.add(key)
        self.statusChanged.emit(charger_id, point_id, "pending", tr("sending…"))
        command = Command(charger_id, point_id, value, via=via)
        self.ctx.spawn(self._submit(command), f"command-{point_id}")
        return True

    async def _submit(self, command: Command) -> None:
        try:
            await self.ctx.backend.dispatcher.submit(command)
        finally:
            self.pending.discard((command.charger_id, command.point_id))

    def _on_event(self, event: CommandEvent) -> None:
        key = (event.charger_id, event.point_id)
        self.last[key] = event
        if event.status != CommandStatus.PENDING.value:
            self.pending.discard(key)
        message = event.message + (
            f" (via {event.via})" if event.via and event.status != "pending" else ""
        )
        self.statusChanged.emit(event.charger_id, event.point_id, event.status, message)


@dataclass(frozen=True)
class RowSpec:
    """One line of the panel: which points it sends, with what control."""

    title: str
    control: str  # "buttons", "number", "choice"
    points: tuple[str, ...]  # buttons may send different points (cable_lock / cable_unlock)
    buttons: tuple[tuple[str, str, Any], ...] = ()  # (label, point id, value)
    via: str | None = None
    confirm: str = ""  # a question asked before sending
    danger: bool = False
    shows: str | None = None  # point whose current value is shown


ROWS = (
    RowSpec(QT_TR_NOOP("Charge enable"), "buttons", ("charge_enable",),
            ((QT_TR_NOOP("Enable"), "charge_enable", True),
             (QT_TR_NOOP("Disable"), "charge_enable", False)),
            shows="charge_enable"),
    RowSpec(QT_TR_NOOP("Max current"), "number", ("max_current_limit",),
            shows="max_current_limit"),
    RowSpec(QT_TR_NOOP("Charge mode"), "choice", ("charge_mode",), shows="charge_mode"),
    RowSpec(QT_TR_NOOP("Connector lock"), "buttons", ("connector_lock",),
            ((QT_TR_NOOP("Lock"), "connector_lock", "LOCK"),
             (QT_TR_NOOP("Unlock"), "connector_lock", "UNLOCK")),
            shows="connector_lock"),
    RowSpec(QT_TR_NOOP("Load management"), "buttons", ("load_management_enable",),
            ((QT_TR_NOOP("On"), "load_management_enable", True),
             (QT_TR_NOOP("Off"), "load_management_enable", False)),
            shows="load_management_enable"),
    RowSpec(QT_TR_NOOP("Remote stop"), "buttons", ("remote_stop",),
            ((QT_TR_NOOP("Stop session…"), "remote_stop", None),),
            confirm=QT_TR_NOOP("Stop the charging session now?"), danger=True),
    RowSpec(QT_TR_NOOP("Permanent cable lock"), "buttons", ("cable_lock", "cable_unlock"),
            ((QT_TR_NOOP("On"), "cable_lock", None), (QT_TR_NOOP("Off"), "cable_unlock", None)),
            shows="cable_locked_permanently"),
)  # fmt: skip
OCPP_ROWS = (
    RowSpec(QT_TR_NOOP("Reset"), "choice", ("reset",), via="ocpp",
            confirm=QT_TR_NOOP("Restart the charger?"), danger=True),
    RowSpec(QT_TR_NOOP("Unlock connector"), "buttons", ("connector_lock",),
            ((QT_TR_NOOP("Unlock"), "connector_lock", "UNLOCK"),), via="ocpp"),
    RowSpec(QT_TR_NOOP("Meter values"), "buttons", ("trigger_meter_values",),
            ((QT_TR_NOOP("Trigger now"), "trigger_meter_values", None),), via="ocpp"),
)  # fmt: skip


class CommandRow(QWidget):
    """A command's title, current value, controls and last result."""

    def __init__(self, spec: RowSpec, panel: CommandsPanel) -> None:
        super().__init__()
        self.spec = spec
        self.panel = panel
        self.point: PointDef | None = None
        self.buttons: list[QPushButton] = []
        self.synced: Any = None  # the charger's value the input last followed
        self.input: QDoubleSpinBox | QComboBox | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 2, 0, 2)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(1)
        self.title = QLabel(tr(spec.title))
        self.title.setMinimumWidth(118)
        self.now = QLabel("")
        self.now.setObjectName("Muted")
        grid.addWidget(self.title, 0, 0)
        controls = QHBoxLayout()
        controls.setSpacing(4)
        if spec.control == "number":
            self.input = QDoubleSpinBox()
            self.input.setDecimals(0)
            self.input.setMinimumWidth(82)
            controls.addWidget(self.input)
            self._button(controls, tr("Set"), spec.points[0], None)
        elif spec.control == "choice":
            self.input = QComboBox()
            controls.addWidget(self.input)
            label = tr("Send…") if spec.confirm else tr("Set")
            self._button(controls, label, spec.points[0], None)
        for label, point_id, value in spec.buttons:
            self._button(controls, tr(label), point_id, value)
        grid.addLayout(controls, 0, 1, Qt.AlignmentFlag.AlignRight)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setObjectName("CommandStatus")
        grid.addWidget(self.now, 1, 0)
        grid.addWidget(self.status, 1, 1)
        grid.setColumnStretch(1, 1)

    def _button(self, layout: QHBoxLayout, label: str, point_id: str, value: Any) -> None:
        button = QPushButton(label)
        if self.spec.danger:
            button.setObjectName("Danger")
        button.clicked.connect(lambda _=False: self.clicked(point_id, value))
        button.setProperty("point", point_id)
        layout.addWidget(button)
        self.buttons.append(button)

    def bind(self, point: PointDef | None, current: Any = None) -> None:
        """Adapt the input to the charger's point (range, step, labels) and its current value."""
        self.point = point
        if point is None:
            return
        if isinstance(self.input, QDoubleSpinBox):
            low, high = point.range or (0.0, 1000.0)
            self.input.setRange(low, high)
            step = point.resolution or 1
            self.input.setSingleStep(step)
            self.input.setDecimals(0 if float(step).is_integer() else 1)
            self.input.setSuffix(f" {point.unit}" if point.unit else "")
            self.input.setToolTip(tr("allowed") + f": {point.range_text()}")
            if isinstance(current, int | float) and not isinstance(current, bool):
                self.input.setValue(float(current))
            elif self.input.value() <= low:
                self.input.setValue(min(max(16.0, low), high))
        elif isinstance(self.input, QComboBox):
            previous = self.input.currentText()
            self.input.clear()
            self.input.addItems(list(point.labels))
            for choice in (current, previous):
                if isinstance(choice, str) and choice in point.labels:
                    self.input.setCurrentText(choice)
                    break

    def follow(self, value: Any) -> None:
        """Move the input to the charger's value when that value changes (not on every poll)."""
        if value is None or value == self.synced or self.input is None or self.input.hasFocus():
            return
        self.synced = value
        if isinstance(self.input, QDoubleSpinBox) and isinstance(value, int | float):
            self.input.setValue(float(value))
        elif isinstance(self.input, QComboBox) and isinstance(value, str):
            index = self.input.findText(value)
            if index >= 0:
                self.input.setCurrentIndex(index)

    def clicked(self, point_id: str, value: Any) -> None:
        """Build the value and send (after confirmation when the row asks for it)."""
        if value is None and self.input is not None:
            value = (
                self.input.value()
                if isinstance(self.input, QDoubleSpinBox)
                else self.input.currentText()
            )
        if self.spec.confirm:
            text = tr(self.spec.confirm)
            if value is not None:
                text += f"\n\n{tr(self.spec.title)}: {value}"
            ask(
                self,
                tr(self.spec.title),
                text,
                lambda: self.panel.send(point_id, value, self.spec.via),
            )
        else:
            self.panel.send(point_id, value, self.spec.via)

    def set_enabled(self, enabled: bool, why: str, pending: bool) -> None:
        """Enable the controls, or disable them saying why."""
        for widget in [*self.buttons, *([self.input] if self.input else [])]:
            widget.setEnabled(enabled and not pending)
            widget.setToolTip("" if enabled else why)
        self.title.setToolTip("" if enabled else why)
        self.title.setEnabled(enabled)

    def set_status(self, status: str, message: str, theme: Theme) -> None:
        """Show the last result of this row's command."""
        symbol, token = STATUS_LOOK.get(status, ("", "muted"))
        stamp = time.strftime("%H:%M:%S")
        text = f"{symbol} {tr(status)}" + (f": {message}" if message else "")
        if status != "pending":
            text += f" · {stamp}"
        self.status.setText(text)
        self.status.setToolTip(text)
        self.status.setStyleSheet(f"color: {theme.color(token).name()}; font-size: 8.5pt;")


class CommandsPanel(QWidget):
    """The selected charger's commands, enabled from the dispatcher's capabilities."""

    def __init__(self, ctx: UiContext, sender: CommandSender) -> None:
        super().__init__()
        self.ctx = ctx
        self.sender_ = sender
        self.charger_id: str | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.rows: list[CommandRow] = []
        for title, specs in ((tr("Commands"), ROWS), (tr("OCPP"), OCPP_ROWS)):
            card = Card(title)
            for spec in specs:
                row = CommandRow(spec, self)
                card.body.addWidget(row)
                self.rows.append(row)
            outer.addWidget(card)
        outer.addStretch(1)
        sender.statusChanged.connect(self._status)
        ctx.bridge.linkChanged.connect(lambda *_: self.refresh())
        ctx.bridge.readingsChanged.connect(self._readings)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)

    def row(self, point_id: str, via: str | None = None) -> CommandRow:
        """Return the row that sends a point (over a route)."""
        return next(r for r in self.rows if point_id in r.spec.points and r.spec.via == via)

    def set_charger(self, charger_id: str | None) -> None:
        """Show another charger's commands."""
        self.charger_id = charger_id
        view = self.ctx.backend.entries.get(charger_id) if charger_id else None
        for row in self.rows:
            row.status.setText("")
            point_id = row.spec.points[0]
            point = view.model.catalogue.get(point_id) if view else None
            row.bind(point, view.model.value(point_id) if view else None)
            for pid in row.spec.points:
                last = self.sender_.last.get((charger_id or "", pid))
                if last is not None:
                    row.set_status(last.status, last.message, self.ctx.theme)
        self._show_values()
        self.refresh()

    def send(self, point_id: str, value: Any, via: str | None) -> None:
        """Send a command to the selected charger."""
        if self.charger_id is not None:
            self.sender_.send(self.charger_id, point_id, value, via)
            self.refresh()

    def refresh(self) -> None:
        """Enable each row from the dispatcher's view of capabilities and links."""
        for row in self.rows:
            if self.charger_id is None:
                row.set_enabled(False, tr("no charger selected"), False)
                continue
            enabled, why = self.ctx.availability(self.charger_id, row.spec.points, row.spec.via)
            pending = any((self.charger_id, p) in self.sender_.pending for p in row.spec.points)
            row.set_enabled(enabled, why, pending)

    def _status(self, charger_id: str, point_id: str, status: str, message: str) -> None:
        if charger_id != self.charger_id:
            return
        for row in self.rows:
            if point_id in row.spec.points:
                row.set_status(status, message, self.ctx.theme)
        self.refresh()

    def _readings(self, charger_id: str, batch: dict[str, Any]) -> None:
        if charger_id == self.charger_id and any(r.spec.shows in batch for r in self.rows):
            self._show_values()

    def _show_values(self) -> None:
        view = self.ctx.backend.entries.get(self.charger_id) if self.charger_id else None
        for row in self.rows:
            if view is None or row.spec.shows is None:
                row.now.setText("")
                continue
            point = view.model.catalogue.get(row.spec.shows)
            reading = view.model.latest(row.spec.shows)
            row.now.setText(tr("now") + f": {value_text(point, reading)}" if reading else "")
            row.follow(reading.value if reading is not None and reading.usable else None)
