"""The selected charger's dashboard: state, lock, gauges, per-phase tiles, status lights, trends."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from evgui.core.backend import ChargerView
from evgui.core.points import PointDef
from evgui.core.reading import Reading
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.theme import Theme
from evgui.ui.commands_panel import CommandSender
from evgui.ui.common import Card, ElidedLabel, UiContext, ask
from evgui.ui.gauge import GaugeWidget
from evgui.ui.indicators import (
    CableLockWidget,
    StatusIndicator,
    ValueTile,
    VehicleStateWidget,
)
from evgui.ui.trends import TrendsPanel

GAUGES = (
    "active_power", "output_current", "output_voltage", "charger_temperature", "power_factor",
    "frequency",
)  # fmt: skip
TILES = (  # (point id, title): Jeedom voltage_1..3 / current_1..3, then session figures
    ("output_voltage", "V1"), ("voltage_2", "V2"), ("voltage_3", "V3"),
    ("output_current", "I1"), ("current_2", "I2"), ("current_3", "I3"),
    ("energy_delivered", QT_TR_NOOP("Energy (session)")),
    ("charge_session_duration", QT_TR_NOOP("Session duration")),
    ("rfid_read_count", QT_TR_NOOP("RFID reads")),
)  # fmt: skip
INDICATORS = (  # the seed's 8 states
    ("charger_status", QT_TR_NOOP("Charger")), ("connector_status", QT_TR_NOOP("Connector")),
    ("session_status", QT_TR_NOOP("Session")), ("rfid_auth_status", QT_TR_NOOP("RFID auth")),
    ("fault_code", QT_TR_NOOP("Fault code")), ("ocpp_connection", QT_TR_NOOP("OCPP connection")),
    ("cable_connected", QT_TR_NOOP("Cable")), ("ground_fault", QT_TR_NOOP("Ground fault")),
)  # fmt: skip
LINK_LOOK = {  # link state -> colour token
    "online": "ok", "degraded": "warn", "connecting": "info", "offline": "alarm",
    "unconfigured": "stale",
}  # fmt: skip


class LinkBadge(QLabel):
    """'Modbus online' as a coloured pill, the detail as tooltip."""

    def __init__(self, link: str) -> None:
        super().__init__()
        self.link = link
        self.setObjectName("Badge")
        self.state = "unconfigured"
        self.detail = ""

    def set_state(self, state: str, detail: str, theme: Theme) -> None:
        """Show a link state."""
        self.state, self.detail = state, detail
        name = "Modbus" if self.link == "modbus" else "OCPP"
        self.setText(f"{name} · {tr(state)}")
        color = theme.color(LINK_LOOK.get(state, "stale"))
        tint = f"rgba({color.red()}, {color.green()}, {color.blue()}, 40)"
        self.setStyleSheet(f"background: {tint}; color: {color.name()};")
        self.setToolTip(detail or tr(state))


class DashboardPanel(QWidget):
    """Everything about one charger, updated from the bridge's coalesced signals."""

    def __init__(self, ctx: UiContext, sender: CommandSender) -> None:
        super().__init__()
        self.ctx = ctx
        self.sender_ = sender
        self.view: ChargerView | None = None
        theme = ctx.theme
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)
        outer.addWidget(self._header(theme))
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.setSpacing(8)
        gauges = Card(tr("Measures"))
        row = QHBoxLayout()
        row.setSpacing(4)
        self.gauges: dict[str, GaugeWidget] = {}
        self._gauge_row = row
        gauges.body.addLayout(row)
        top_lay.addWidget(gauges, 3)
        lower = QHBoxLayout()
        lower.setSpacing(8)
        self.tiles_card = Card(tr("Per phase and session"))
        self.tiles_grid = QGridLayout()
        self.tiles_grid.setSpacing(6)
        self.tiles_card.body.addLayout(self.tiles_grid)
        self.tiles_card.body.addStretch(1)
        self.tiles: dict[str, ValueTile] = {}
        lower.addWidget(self.tiles_card, 5)
        self.status_card = Card(tr("Status"))
        self.status_grid = QGridLayout()
        self.status_grid.setHorizontalSpacing(18)
        self.status_grid.setVerticalSpacing(0)
        self.status_card.body.addLayout(self.status_grid)
        self.status_card.body.addStretch(1)
        self.indicators: dict[str, StatusIndicator] = {}
        lower.addWidget(self.status_card, 3)
        top_lay.addLayout(lower, 2)
        split.addWidget(top)
        self.trends_card = Card(tr("Trends"))
        self.trends = TrendsPanel(theme)
        self.trends_card.body.addWidget(self.trends)
        split.addWidget(self.trends_card)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.splitter = split
        outer.addWidget(split, 1)
        self.lock.toggleRequested.connect(self._lock_clicked)
        ctx.bridge.readingsChanged.connect(self._readings)
        ctx.bridge.linkChanged.connect(self._link)
        ctx.bridge.identityChanged.connect(self._identity)
        ctx.themeChanged.connect(self.set_theme)
        ctx.lockStyleChanged.connect(self.lock.set_style)
        sender.statusChanged.connect(self._command_status)
        self._ages = QTimer(self)
        self._ages.timeout.connect(self.refresh_ages)
        self._ages.start(1000)
        self.set_charger(None)

    def _header(self, theme: Theme) -> QWidget:
        card = Card(tr("Charger"))
        card.title.hide()
        lay = QHBoxLayout()
        lay.setSpacing(16)
        self.state = VehicleStateWidget(theme)
        lay.addWidget(self.state)
        names = QVBoxLayout()
        names.setSpacing(2)
        self.name = ElidedLabel(tr("No charger selected"))
        self.name.setObjectName("ChargerTitle")
        self.identity = ElidedLabel()
        self.identity.setObjectName("Identity")
        self.identity.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        badges = QHBoxLayout()
        badges.setSpacing(6)
        self.badges = {link: LinkBadge(link) for link in ("modbus", "ocpp")}
        for badge in self.badges.values():
            badges.addWidget(badge)
        badges.addStretch(1)
        names.addWidget(self.name)
        names.addWidget(self.identity)
        names.addLayout(badges)
        lay.addLayout(names, 1)
        self.lock = CableLockWidget(theme, self.ctx.settings.lock_style)
        lay.addWidget(self.lock)
        card.body.addLayout(lay)
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        return card

    # ------------------------------------------------------------------ charger

    @property
    def charger_id(self) -> str | None:
        """Return the charger shown."""
        return self.view.config.id if self.view else None

    def set_charger(self, charger_id: str | None) -> None:
        """Show another charger (widgets are rebuilt for its profile's points)."""
        self.view = self.ctx.backend.entries.get(charger_id) if charger_id else None
        catalogue = self.view.model.catalogue if self.view else None

        def point(pid: str) -> PointDef | None:
            return catalogue.get(pid) if catalogue is not None else None

        theme = self.ctx.theme
        _clear(self._gauge_row)
        self.gauges = {}
        for pid in GAUGES:
            p = point(pid)
            if p is not None:
                self.gauges[pid] = GaugeWidget(p, theme)
                self._gauge_row.addWidget(self.gauges[pid])
        if not self.gauges:
            self._gauge_row.addWidget(QLabel(tr("This charger's profile has no measures.")))
        _clear(self.tiles_grid)
        self.tiles = {}
        for n, (pid, title) in enumerate(TILES):
            tile = ValueTile(point(pid), tr(title), theme)
            self.tiles[pid] = tile
            self.tiles_grid.addWidget(tile, n // 3, n % 3)
        _clear(self.status_grid)
        self.indicators = {}
        for n, (pid, title) in enumerate(INDICATORS):
            indicator = StatusIndicator(point(pid), tr(title), pid, theme)
            self.indicators[pid] = indicator
            self.status_grid.addWidget(indicator, n, 0)
        self.trends.set_model(self.view.model if self.view else None)
        self._show_header()
        self.show_all()

    def _show_header(self) -> None:
        view = self.view
        if view is None:
            self.name.setText(tr("No charger selected"))
            self.identity.setText(tr("Add one with Chargers ▸ Manage chargers…"))
            for badge in self.badges.values():
                badge.set_state("unconfigured", "", self.ctx.theme)
            return
        suffix = "  " + tr("(new: not saved yet)") if view.adopted else ""
        self.name.setText(view.config.name + suffix)
        self._identity(view.config.id, view.model.identity)
        for link, badge in self.badges.items():
            state, detail = view.model.link_state(link)
            badge.set_state(state.value, detail, self.ctx.theme)

    def show_all(self) -> None:
        """Show every current reading (after a charger switch)."""
        model = self.view.model if self.view else None
        self._show(model.snapshot() if model else {}, full=True)

    def _readings(self, charger_id: str, batch: dict[str, Reading]) -> None:
        if charger_id == self.charger_id:
            self._show(batch)

    def _show(self, batch: dict[str, Any], full: bool = False) -> None:
        for pid, gauge in self.gauges.items():
            if full or pid in batch:
                gauge.set_reading(batch.get(pid))
        for pid, tile in self.tiles.items():
            if full or pid in batch:
                tile.set_reading(batch.get(pid))
        for pid, indicator in self.indicators.items():
            if full or pid in batch:
                indicator.set_reading(batch.get(pid))
        if full or "state" in batch:
            self.state.set_reading(batch.get("state"), self._state_detail())
        if full or "cable_state" in batch:
            self.lock.set_reading(batch.get("cable_state"))
            self._lock_availability()

    def _state_detail(self) -> str:
        if self.view is None:
            return ""
        parts = []
        for pid, label in (("iec_state", "IEC"), ("ocpp_status", "OCPP")):
            value = self.view.model.value(pid)
            if value is not None:
                parts.append(f"{label} {value}")
        return " · ".join(parts)

    def _link(self, charger_id: str, link: str, state: str, detail: str) -> None:
        if charger_id == self.charger_id and link in self.badges:
            self.badges[link].set_state(state, detail, self.ctx.theme)
            self._lock_availability()

    def _identity(self, charger_id: str, identity: dict[str, str]) -> None:
        if charger_id != self.charger_id or self.view is None:
            return
        fields = [identity.get(k, "") for k in ("vendor", "model")]
        text = " ".join(f for f in fields if f)
        for key, label in (("serial", QT_TR_NOOP("S/N")), ("firmware", QT_TR_NOOP("firmware"))):
            if identity.get(key):
                text += f" · {tr(label)} {identity[key]}"
        profile = tr("profile") + f" {self.view.config.profile_id}"
        self.identity.setText(f"{text} · {profile}" if text else profile)

    def refresh_ages(self) -> None:
        """Refresh ages in footers and tooltips (once a second, not per reading)."""
        if not self.isVisible():
            return
        for gauge in self.gauges.values():
            gauge.refresh_tooltip()
            gauge.update()
        for tile in self.tiles.values():
            tile.refresh()
        self._lock_availability()

    # ---------------------------------------------------------------- cable lock

    def _lock_availability(self) -> None:
        if self.view is None:
            self.lock.set_available(False, tr("no charger selected"))
            return
        ok, why = self.ctx.availability(self.view.config.id, ("cable_lock", "cable_unlock"))
        self.lock.set_available(ok, why)

    def _lock_clicked(self, turn_on: bool) -> None:
        """Confirm, then send cable_lock / cable_unlock."""
        if self.view is None:
            return
        charger_id = self.view.config.id
        point_id = "cable_lock" if turn_on else "cable_unlock"
        question = (
            tr("Keep the cable locked even when no vehicle is charging?")
            if turn_on
            else tr("Release the permanent cable lock?")
        )
        ask(self, tr("Permanent cable lock"), question,
            lambda: self.sender_.send(charger_id, point_id))  # fmt: skip

    def _command_status(self, charger_id: str, point_id: str, status: str, message: str) -> None:
        if charger_id == self.charger_id and point_id in ("cable_lock", "cable_unlock"):
            self.lock.set_pending(status == "pending")

    # ------------------------------------------------------------------- theme

    def set_theme(self, theme: Theme) -> None:
        """Repaint every widget in another theme."""
        for gauge in self.gauges.values():
            gauge.set_theme(theme)
        for tile in self.tiles.values():
            tile.set_theme(theme)
        for indicator in self.indicators.values():
            indicator.set_theme(theme)
        self.state.set_theme(theme)
        self.lock.set_theme(theme)
        self.trends.set_theme(theme)
        self._show_header()


def _clear(layout: QHBoxLayout | QGridLayout) -> None:
    """Remove and delete every widget of a layout."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item else None
        if widget is not None:  # still parented: Qt deletes it once (no Python ownership)
            widget.hide()
            widget.deleteLater()
