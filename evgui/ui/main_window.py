"""The main window: fleet table, dashboard, commands, logs, status bar, menus, remembered layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from evgui import __version__
from evgui.core.backend import ChargerView
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.models import FleetTableModel
from evgui.qt.theme import Theme, icon
from evgui.ui.commands_panel import CommandSender, CommandsPanel
from evgui.ui.common import UiContext
from evgui.ui.connection_manager import ConnectionManagerDialog
from evgui.ui.dashboard import DashboardPanel
from evgui.ui.indicators import NO_FAULT, VEHICLE_STATES
from evgui.ui.logs import EventLogPanel, ProtocolLogPanel

STATE_NAMES = {code: label for code, (_icon, _token, label) in VEHICLE_STATES.items()}


def fleet_row(view: ChargerView) -> dict[str, Any]:
    """Return what the fleet table shows for a charger."""
    m = view.model
    state = m.latest("state")
    alarms = []
    if state is not None and state.raw == 5:
        alarms.append("error")
    if m.value("ground_fault") is True:
        alarms.append("ground fault")
    fault = m.value("fault_code")
    if fault is not None and str(fault) not in NO_FAULT:
        alarms.append(str(fault))
    modbus, modbus_detail = m.link_state("modbus")
    ocpp, ocpp_detail = m.link_state("ocpp")
    power_reading = m.latest("active_power")
    power = power_reading.value if power_reading is not None and power_reading.usable else None
    name = view.config.name + (" ★" if view.adopted else "")
    return {
        "id": view.config.id, "name": name, "modbus": modbus.value, "ocpp": ocpp.value,
        "modbus_detail": modbus_detail, "ocpp_detail": ocpp_detail,
        "state": STATE_NAMES.get(state.raw) if state is not None else None,
        "power": power if isinstance(power, int | float) else None,
        "power_reading": power_reading,  # for the receipt-to-paint latency (bench)
        "alarms": ", ".join(alarms),
    }  # fmt: skip


class MainWindow(QMainWindow):
    """The console's one window."""

    def __init__(self, ctx: UiContext, on_closed: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.on_closed = on_closed
        self.manager: ConnectionManagerDialog | None = None
        self.setWindowTitle(f"evgui {__version__}")
        self.setObjectName("MainWindow")
        self.sender_ = CommandSender(ctx)
        self.dashboard = DashboardPanel(ctx, self.sender_)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(8, 8, 8, 0)
        self.banner = self._banner()
        lay.addWidget(self.banner)
        lay.addWidget(self.dashboard, 1)
        self.setCentralWidget(central)
        self.fleet_model = FleetTableModel(
            lambda: list(ctx.backend.entries), lambda cid: fleet_row(ctx.backend.entries[cid])
        )
        self.fleet = self._fleet_dock()
        self.commands = CommandsPanel(ctx, self.sender_)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.commands)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(300)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.commands_dock = self._dock(tr("Commands"), "CommandsDock", scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.commands_dock)
        self.events = EventLogPanel(ctx)
        self.protocol = ProtocolLogPanel(ctx)
        self.log_tabs = QTabWidget()
        self.log_tabs.setMinimumHeight(170)
        self.log_tabs.addTab(self.events, tr("Event log"))
        self.log_tabs.addTab(self.protocol, tr("Protocol log"))
        self.logs_dock = self._dock(tr("Logs"), "LogsDock", self.log_tabs)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.logs_dock)
        self._status_bar()
        self._menus()
        ctx.bridge.readingsChanged.connect(self._fleet_values)
        ctx.bridge.linkChanged.connect(lambda cid, *_: self._row_changed(cid))
        ctx.bridge.flushed.connect(self._refresh_rows)
        self._changed_rows: set[str] = set()
        ctx.themeChanged.connect(self.set_theme)
        ctx.backend.on_change(self._fleet_changed)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start(1000)
        self.set_theme(ctx.theme)
        self._fleet_changed()
        self.refresh_status()

    # ------------------------------------------------------------------ layout

    def default_layout(self) -> None:
        """Give the docks sensible sizes (first run, or no remembered layout)."""
        self.resizeDocks(
            [self.fleet_dock, self.commands_dock], [330, 340], Qt.Orientation.Horizontal
        )
        self.resizeDocks([self.logs_dock], [190], Qt.Orientation.Vertical)

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return dock

    def _fleet_dock(self) -> QTableView:
        table = QTableView()
        table.setModel(self.fleet_model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        # Fixed column widths: ResizeToContents would ask every row for its size on each update,
        # O(chargers) per reading (bench/site_load.py: 60 % of a core with 200 chargers).
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        metrics = table.fontMetrics()
        for column, sample in ((1, "Links"), (2, "Charging"), (3, "22.00"), (4, "Alarms")):
            title = tr(str(self.fleet_model.headers[column]))
            width = max(metrics.horizontalAdvance(tr(sample)), metrics.horizontalAdvance(title))
            table.setColumnWidth(column, width + 20)
        table.setMinimumWidth(350)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.selectionModel().currentRowChanged.connect(lambda *_: self._selected())
        table.doubleClicked.connect(lambda *_: self.open_manager())
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(table, 1)
        manage = QPushButton(tr("Manage chargers…"))
        manage.clicked.connect(lambda _=False: self.open_manager())
        lay.addWidget(manage)
        dock = self._dock(tr("Chargers"), "ChargersDock", holder)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.fleet_dock = dock
        return table

    def _banner(self) -> QWidget:
        """Return the bar that offers to save a charger that connected with an unknown id."""
        bar = QWidget()
        bar.setObjectName("Banner")
        lay = QHBoxLayout(bar)
        lay.setContentsMargins(10, 6, 10, 6)
        self.banner_text = QLabel("")
        lay.addWidget(self.banner_text, 1)
        save = QPushButton(tr("Review and save…"))
        save.setObjectName("Primary")
        save.clicked.connect(lambda: self.open_manager(self._adopted_id()))
        lay.addWidget(save)
        bar.hide()
        return bar

    def _status_bar(self) -> None:
        bar = self.statusBar()
        self.server_label = QLabel("")
        self.url_label = QLabel("")
        self.url_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.copy_url = QPushButton(tr("Copy URL"))
        self.copy_url.setFlat(True)
        self.copy_url.clicked.connect(self._copy_url)
        self.rate_label = QLabel("")
        bar.addWidget(self.server_label)
        bar.addWidget(self.url_label, 1)
        bar.addPermanentWidget(self.copy_url)
        bar.addPermanentWidget(self.rate_label)

    def _menus(self) -> None:
        menu = self.menuBar()
        file = menu.addMenu(tr("&File"))
        for text, panel in ((tr("Export event log…"), self.events),
                            (tr("Export protocol log…"), self.protocol)):  # fmt: skip
            action = file.addAction(text)
            action.triggered.connect(panel._ask_export)
        file.addSeparator()
        quit_action = file.addAction(tr("&Quit"))
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        chargers = menu.addMenu(tr("&Chargers"))
        manage = chargers.addAction(tr("&Manage chargers…"))
        manage.setShortcut(QKeySequence("Ctrl+M"))
        manage.triggered.connect(lambda _=False: self.open_manager())
        view = menu.addMenu(tr("&View"))
        themes = view.addMenu(tr("Theme"))
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        choices = (("system", QT_TR_NOOP("Follow the system")), ("dark", QT_TR_NOOP("Dark")),
                   ("light", QT_TR_NOOP("Light")))  # fmt: skip
        for key, label in choices:
            action = themes.addAction(tr(label))
            action.setCheckable(True)
            action.setChecked(self.ctx.settings.theme == key)
            action.triggered.connect(lambda _=False, k=key: self.ctx.apply_theme(k))
            group.addAction(action)
            self.theme_actions[key] = action
        locks = view.addMenu(tr("Cable lock widget"))
        lock_group = QActionGroup(self)
        for key, label in (("color", QT_TR_NOOP("Colour")), ("bw", QT_TR_NOOP("Black and white"))):
            action = locks.addAction(tr(label))
            action.setCheckable(True)
            action.setChecked(self.ctx.settings.lock_style == key)
            action.triggered.connect(lambda _=False, k=key: self.ctx.set_lock_style(k))
            lock_group.addAction(action)
        view.addSeparator()
        for dock in (self.fleet_dock, self.commands_dock, self.logs_dock):
            view.addAction(dock.toggleViewAction())
        help_menu = menu.addMenu(tr("&Help"))
        about = help_menu.addAction(tr("About evgui"))
        about.triggered.connect(self._about)

    # ------------------------------------------------------------------- fleet

    def _fleet_changed(self) -> None:
        """Chargers were added, removed or adopted: refresh the table, filters, banner."""
        selected = self.selected_id()
        self.fleet_model.refresh()
        entries = self.ctx.backend.entries
        chargers = [(cid, v.config.name) for cid, v in entries.items()]
        self.events.set_chargers(chargers)
        self.protocol.set_chargers(chargers)
        target = selected if selected in entries else next(iter(entries), None)
        self.select(target)
        adopted = self._adopted_id()
        if adopted is not None:
            cp_id = entries[adopted].config.ocpp_id
            self.banner_text.setText(
                tr("A charger with an unknown id connected over OCPP") + f": <b>{cp_id}</b>"
            )
        self.banner.setVisible(adopted is not None)

    def _adopted_id(self) -> str | None:
        return next((cid for cid, v in self.ctx.backend.entries.items() if v.adopted), None)

    def _fleet_values(self, charger_id: str, batch: dict[str, Any]) -> None:
        if {"active_power", "state", "ground_fault", "fault_code"} & batch.keys():
            self._row_changed(charger_id)

    def _row_changed(self, charger_id: str) -> None:
        """Note a row to refresh; the rows changed in one bridge flush update together."""
        self._changed_rows.add(charger_id)

    def _refresh_rows(self) -> None:
        if self._changed_rows:
            rows, self._changed_rows = self._changed_rows, set()
            self.fleet_model.update_rows(rows)

    def selected_id(self) -> str | None:
        """Return the charger shown on the dashboard."""
        return self.dashboard.charger_id

    def select(self, charger_id: str | None) -> None:
        """Show a charger on the dashboard and the commands panel."""
        for n, row in enumerate(self.fleet_model.rows):
            if row["id"] == charger_id:
                self.fleet.selectionModel().setCurrentIndex(
                    self.fleet_model.index(n, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
        if charger_id != self.dashboard.charger_id or charger_id is None:
            self.dashboard.set_charger(charger_id)
            self.commands.set_charger(charger_id)

    def _selected(self) -> None:
        index = self.fleet.selectionModel().currentIndex()
        if index.isValid():
            self.select(self.fleet_model.rows[index.row()]["id"])

    def open_manager(self, charger_id: str | None = None) -> ConnectionManagerDialog:
        """Show the connection manager (non-modal), on a charger when given."""
        if self.manager is None:
            self.manager = ConnectionManagerDialog(self.ctx, self)
        self.manager.refresh_list(select=charger_id or self.selected_id())
        self.manager.refresh_server()
        self.manager.show()
        self.manager.raise_()
        return self.manager

    # ------------------------------------------------------------------ status

    def refresh_status(self) -> None:
        """Show the OCPP server's state and the URL chargers must use."""
        backend = self.ctx.backend
        theme = self.ctx.theme
        if backend.server_state == "listening":
            self.server_label.setText(
                tr("OCPP server listening on port") + f" {backend.server_port()}"
            )
            self.server_label.setStyleSheet(f"color: {theme.ok};")
        else:
            text = tr("OCPP server") + f": {tr(backend.server_state)}"
            self.server_label.setText(
                text + (f" — {backend.server_error}" if backend.server_error else "")
            )
            self.server_label.setStyleSheet(f"color: {theme.alarm};")
        urls = backend.server_urls()
        self.url_label.setText(tr("chargers connect to") + f"  {urls[0]}" if urls else "")
        self.url_label.setToolTip("\n".join(urls))
        self.copy_url.setVisible(bool(urls))
        entries = backend.entries.values()
        online = sum(
            any(v.model.link_state(link)[0].value == "online" for link in ("modbus", "ocpp"))
            for v in entries
        )
        self.rate_label.setText(tr("chargers online") + f": {online} / {len(entries)}")

    def _copy_url(self) -> None:
        urls = self.ctx.backend.server_urls()
        if urls:
            QGuiApplication.clipboard().setText(urls[0])
            self.statusBar().showMessage(tr("URL copied"), 2000)

    def _about(self) -> None:
        QMessageBox.about(
            self, tr("About evgui"),
            f"evgui {__version__}<br>"
            + tr("Console for Level-2 AC EV chargers: Modbus, OCPP, simulator."),
        )  # fmt: skip

    # ------------------------------------------------------------------- theme

    def set_theme(self, theme: Theme) -> None:
        """Recolour the window's own parts."""
        for key, action in self.theme_actions.items():
            action.setChecked(self.ctx.settings.theme == key)
        colors = {
            "online": theme.color("ok"), "degraded": theme.color("warn"),
            "offline": theme.color("alarm"), "connecting": theme.color("info"),
            "unconfigured": theme.color("stale"), "alarm": theme.color("alarm"),
        }  # fmt: skip
        self.fleet_model.set_colors(colors)
        self.events.set_theme(theme)
        self.protocol.set_theme(theme)
        self.banner.setStyleSheet(
            f"QWidget#Banner {{ background: {theme.surface_alt}; border: 1px solid {theme.warn};"
            " border-radius: 6px; }"
        )
        self.setWindowIcon(icon("evgui", theme.accent, 64))
        self.refresh_status()

    # ------------------------------------------------------------------ layout

    def save_layout(self) -> None:
        """Remember geometry, docks and splitter sizes."""
        window = self.ctx.settings.window
        window["geometry"] = bytes(self.saveGeometry().toBase64().data()).decode()
        window["state"] = bytes(self.saveState().toBase64().data()).decode()
        window["dashboard"] = bytes(self.dashboard.splitter.saveState().toBase64().data()).decode()

    def restore_layout(self) -> bool:
        """Restore the remembered layout; return False when there is none (or it is broken)."""
        window = self.ctx.settings.window
        try:
            ok = bool(window.get("geometry")) and self.restoreGeometry(
                QByteArray.fromBase64(window["geometry"].encode())
            )
            if window.get("state"):
                self.restoreState(QByteArray.fromBase64(window["state"].encode()))
            if window.get("dashboard"):
                self.dashboard.splitter.restoreState(
                    QByteArray.fromBase64(window["dashboard"].encode())
                )
        except (ValueError, TypeError):
            return False
        return ok

    def shutdown(self) -> None:
        """Stop every timer of the window and schedule its deletion (the console is stopping)."""
        for timer in self.findChildren(QTimer):
            timer.stop()
        if self.manager is not None:
            self.manager.close()
        self.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Remember the layout, save settings, and let the application shut down cleanly."""
        self.save_layout()
        self.ctx.save()
        if self.manager is not None:
            self.manager.close()
        event.accept()
        if self.on_closed is not None:
            self.on_closed()
