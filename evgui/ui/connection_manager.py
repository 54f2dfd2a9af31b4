"""The connection manager: chargers (add, edit, duplicate, remove, test) and the OCPP server."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from evgui.core.backend import ProfileChoice
from evgui.core.config import (
    BAUDS,
    ChargerConfig,
    ServerSettings,
    check_host,
    check_int,
    check_unit_id,
)
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.ui.common import UiContext, ask
from evgui.ui.forms import Field, ServerForm, line_edit

LINK_KINDS = (
    ("none", QT_TR_NOOP("No Modbus (OCPP only)")), ("tcp", QT_TR_NOOP("Modbus TCP")),
    ("rtu", QT_TR_NOOP("Modbus RTU (RS-485)")),
    ("rtu-tcp", QT_TR_NOOP("Modbus RTU over TCP (gateway)")),
)  # fmt: skip


def serial_ports() -> list[tuple[str, str]]:
    """Return the serial ports present as (device, description)."""
    try:
        from serial.tools import list_ports
    except ImportError:  # pragma: no cover - pyserial ships with pymodbus[serial]
        return []
    return [(p.device, p.description or "") for p in sorted(list_ports.comports())]


class ChargerForm(QWidget):
    """Edit one charger; every field validated as you type."""

    def __init__(self, choices: list[ProfileChoice], on_change: Callable[[], object]) -> None:
        super().__init__()
        self.choices = {c.id: c for c in choices}
        self.editing_id = ""
        self.name = Field(line_edit(tr("e.g. Garage left")))
        self.profile = QComboBox()
        for choice in choices:
            self.profile.addItem(f"{choice.title}  [{choice.confidence}]", choice.id)
        self.kind = QComboBox()
        for key, label in LINK_KINDS:
            self.kind.addItem(tr(label), key)
        self.host = Field(line_edit("192.168.1.20"))
        self.port = Field(line_edit("502"))
        self.unit = Field(line_edit("1"))
        self.serial = Field(QComboBox())
        combo = self.serial_combo
        combo.setEditable(True)
        editor = combo.lineEdit()
        if editor is not None:
            editor.setPlaceholderText("/dev/ttyUSB0, COM3")
        refresh = QPushButton(tr("Refresh"))
        refresh.clicked.connect(self.refresh_ports)
        self.baud = QComboBox()
        self.baud.addItems([str(b) for b in BAUDS])
        self.parity = QComboBox()
        for key, label in (("N", QT_TR_NOOP("None")), ("E", QT_TR_NOOP("Even")),
                           ("O", QT_TR_NOOP("Odd"))):  # fmt: skip
            self.parity.addItem(tr(label), key)
        self.stopbits = QComboBox()
        self.stopbits.addItems(["1", "2"])
        self.cp_id = Field(line_edit(tr("as typed in the charger, e.g. CP001")))
        self.password = line_edit(tr("optional (HTTP Basic, security profile 1)"))
        self.password.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.version = QComboBox()
        self.version.addItems(["1.6", "2.0.1"])
        self.profile_note = QLabel("")
        self.profile_note.setObjectName("Muted")
        self.profile_note.setWordWrap(True)

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(tr("Name"), self.name.box)
        form.addRow(tr("Profile"), self.profile)
        form.addRow("", self.profile_note)
        form.addRow(tr("Modbus link"), self.kind)
        self.modbus_stack = QStackedWidget()
        tcp = QWidget()
        tcp_form = QFormLayout(tcp)
        tcp_form.setContentsMargins(0, 0, 0, 0)
        tcp_form.addRow(tr("Host / IP"), self.host.box)
        tcp_form.addRow(tr("Port"), self.port.box)
        rtu = QWidget()
        rtu_form = QFormLayout(rtu)
        rtu_form.setContentsMargins(0, 0, 0, 0)
        ports = QHBoxLayout()
        ports.addWidget(self.serial.box, 1)
        ports.addWidget(refresh, 0, Qt.AlignmentFlag.AlignTop)
        rtu_form.addRow(tr("Serial port"), ports)
        serial_row = QHBoxLayout()
        for label, widget in ((tr("Baud"), self.baud), (tr("Parity"), self.parity),
                              (tr("Stop bits"), self.stopbits)):  # fmt: skip
            serial_row.addWidget(QLabel(label))
            serial_row.addWidget(widget)
        rtu_form.addRow("", serial_row)
        self.modbus_stack.addWidget(QWidget())
        self.modbus_stack.addWidget(tcp)
        self.modbus_stack.addWidget(rtu)
        form.addRow("", self.modbus_stack)
        form.addRow(tr("Unit id"), self.unit.box)
        ocpp = QGroupBox(tr("OCPP (the charger dials in)"))
        ocpp_form = QFormLayout(ocpp)
        ocpp_form.addRow(tr("Charge point id"), self.cp_id.box)
        ocpp_form.addRow(tr("Password"), self.password)
        ocpp_form.addRow(tr("Version"), self.version)
        form.addRow(ocpp)
        self.refresh_ports()
        for edit in (self.name, self.host, self.port, self.unit, self.cp_id):
            assert isinstance(edit.widget, QLineEdit)
            edit.widget.textChanged.connect(on_change)
        combo.currentTextChanged.connect(on_change)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.kind.currentIndexChanged.connect(on_change)
        self.profile.currentIndexChanged.connect(self._profile_changed)
        self._kind_changed()

    @property
    def serial_combo(self) -> QComboBox:
        """Return the serial port picker."""
        assert isinstance(self.serial.widget, QComboBox)
        return self.serial.widget

    def refresh_ports(self) -> None:
        """List the serial ports present now (the text typed is kept)."""
        combo = self.serial_combo
        text = combo.currentText()
        combo.clear()
        for device, description in serial_ports():
            combo.addItem(device)
            combo.setItemData(combo.count() - 1, description, Qt.ItemDataRole.ToolTipRole)
        combo.setEditText(text)

    def _kind_changed(self) -> None:
        kind = self.kind.currentData()
        self.modbus_stack.setCurrentIndex({"none": 0, "tcp": 1, "rtu-tcp": 1, "rtu": 2}[kind])
        self.unit.box.setEnabled(kind != "none")

    def _profile_changed(self) -> None:
        """Take the profile's link defaults (port, unit id, serial settings)."""
        choice = self.choices.get(self.profile.currentData())
        if choice is None:
            return
        notes = "; ".join(choice.notes[:2])
        kinds = ", ".join(choice.modbus_kinds) or tr("OCPP only")
        self.profile_note.setText(f"{tr('links')}: {kinds}" + (f" · {notes}" if notes else ""))
        if not self.port_edit.text() or self.port_edit.text() == "502":
            self.port_edit.setText(str(choice.port))
        self.baud.setCurrentText(str(choice.baudrate))
        self.parity.setCurrentIndex(max(0, self.parity.findData(choice.parity)))
        self.stopbits.setCurrentText(str(choice.stopbits))

    @property
    def port_edit(self) -> QLineEdit:
        """Return the TCP port input."""
        assert isinstance(self.port.widget, QLineEdit)
        return self.port.widget

    def _int(self, field: Field, default: int) -> int:
        """Return a field's number (the default when it is not one: read() reports it)."""
        try:
            return int(self._text(field))
        except ValueError:
            return default

    def _text(self, field: Field) -> str:
        widget = field.widget
        return widget.text().strip() if isinstance(widget, QLineEdit) else ""

    def load(self, config: ChargerConfig) -> None:
        """Fill the form from a saved charger."""
        self.editing_id = config.id
        self.profile.blockSignals(True)
        self.profile.setCurrentIndex(max(0, self.profile.findData(config.profile_id)))
        self.profile.blockSignals(False)
        self._text_of(self.name).setText(config.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(config.modbus_kind)))
        self._text_of(self.host).setText(config.host)
        self.port_edit.setText(str(config.port))
        self._text_of(self.unit).setText(str(config.unit_id))
        self.serial_combo.setEditText(config.serial_port)
        self.baud.setCurrentText(str(config.baudrate))
        self.parity.setCurrentIndex(max(0, self.parity.findData(config.parity)))
        self.stopbits.setCurrentText(str(config.stopbits))
        self._text_of(self.cp_id).setText(config.ocpp_id)
        self.password.setText(config.ocpp_password)
        self.version.setCurrentText(config.ocpp_version)
        choice = self.choices.get(config.profile_id)
        if choice is not None:
            self.profile_note.setText(", ".join(choice.modbus_kinds))

    @staticmethod
    def _text_of(field: Field) -> QLineEdit:
        assert isinstance(field.widget, QLineEdit)
        return field.widget

    def read(self) -> tuple[ChargerConfig | None, dict[str, str]]:
        """Return the charger described by the form, or None and field -> message."""
        kind = self.kind.currentData()
        errors: dict[str, str] = {}
        if kind in ("tcp", "rtu-tcp"):
            if (why := check_host(self._text(self.host))) is not None:
                errors["host"] = why
            if (why := check_int(self._text(self.port), 1, 65535, "port")) is not None:
                errors["port"] = why
        if kind != "none" and (why := check_unit_id(self._text(self.unit), kind)) is not None:
            errors["unit_id"] = why
        config = ChargerConfig(
            id=self.editing_id or "new", name=self._text(self.name),
            profile_id=self.profile.currentData() or "generic-l2", modbus_kind=kind,
            host=self._text(self.host), port=self._int(self.port, 502),
            unit_id=self._int(self.unit, 1), serial_port=self.serial_combo.currentText().strip(),
            baudrate=int(self.baud.currentText()), parity=self.parity.currentData(),
            stopbits=int(self.stopbits.currentText()), ocpp_id=self._text(self.cp_id),
            ocpp_password=self.password.text(), ocpp_version=self.version.currentText(),
        )  # fmt: skip
        for key, message in config.problems().items():
            errors.setdefault(key, message)
        return (None if errors else config), errors

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put each message next to its field."""
        fields = {
            "name": self.name, "host": self.host, "port": self.port, "unit_id": self.unit,
            "serial_port": self.serial, "ocpp_id": self.cp_id,
        }  # fmt: skip
        for key, field in fields.items():
            field.show_error(errors.get(key))
        general = errors.get("modbus_kind")
        self.kind.setToolTip(tr(general) if general else "")
        self.kind.setProperty("invalid", bool(general))


class ConnectionManagerDialog(QDialog):
    """Add, edit, duplicate, remove and test chargers; set up the OCPP server."""

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(tr("Connection manager"))
        self.resize(860, 620)
        self.drafts: dict[str, ChargerConfig] = {}  # added here, not saved yet
        tabs = QTabWidget()
        tabs.addTab(self._chargers_tab(), tr("Chargers"))
        self.server = ServerForm()
        server_page = QWidget()
        server_lay = QVBoxLayout(server_page)
        server_lay.addWidget(self.server)
        apply_server = QPushButton(tr("Apply and restart the server"))
        apply_server.setObjectName("Primary")
        apply_server.clicked.connect(self.apply_server)
        server_lay.addWidget(apply_server, 0, Qt.AlignmentFlag.AlignRight)
        server_lay.addStretch(1)
        tabs.addTab(server_page, tr("OCPP server"))
        self.tabs = tabs
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(tabs)
        lay.addWidget(buttons)
        self.server.load(ctx.backend.server_settings)
        self.refresh_server()
        ctx.backend.on_change(self._backend_changed)
        self.refresh_list()

    def _chargers_tab(self) -> QWidget:
        page = QWidget()
        lay = QHBoxLayout(page)
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setMinimumWidth(200)
        self.list.currentItemChanged.connect(self._selected)
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        for text, slot in ((tr("Add"), self.add), (tr("Duplicate"), self.duplicate),
                           (tr("Remove…"), self.remove)):  # fmt: skip
            button = QPushButton(text)
            button.clicked.connect(slot)
            row.addWidget(button)
        left.addLayout(row)
        lay.addLayout(left)
        right = QVBoxLayout()
        self.form = ChargerForm(self.ctx.backend.profile_choices(), self.validate)
        right.addWidget(self.form)
        self.general = QLabel("")
        self.general.setObjectName("FieldError")
        self.general.setWordWrap(True)
        right.addWidget(self.general)
        actions = QHBoxLayout()
        self.test_button = QPushButton(tr("Test connection"))
        self.test_button.clicked.connect(self.test)
        self.save_button = QPushButton(tr("Save"))
        self.save_button.setObjectName("Primary")
        self.save_button.clicked.connect(self.save)
        actions.addStretch(1)
        actions.addWidget(self.test_button)
        actions.addWidget(self.save_button)
        right.addLayout(actions)
        self.results = QLabel("")
        self.results.setWordWrap(True)
        self.results.setTextFormat(Qt.TextFormat.RichText)
        right.addWidget(self.results)
        right.addStretch(1)
        lay.addLayout(right, 1)
        return page

    # ------------------------------------------------------------------ list

    def _configs(self) -> dict[str, ChargerConfig]:
        configs = {cid: view.config for cid, view in self.ctx.backend.entries.items()}
        return {**configs, **self.drafts}

    def refresh_list(self, select: str | None = None) -> None:
        """List saved, new and adopted chargers."""
        current = select or (self.list.currentItem().data(Qt.ItemDataRole.UserRole)
                             if self.list.currentItem() else None)  # fmt: skip
        self.list.blockSignals(True)
        self.list.clear()
        entries = self.ctx.backend.entries
        for cid, config in self._configs().items():
            view = entries.get(cid)
            mark = ""
            if cid in self.drafts:
                mark = "  " + tr("(unsaved)")
            elif view is not None and view.adopted:
                mark = "  " + tr("(new: connected, not saved)")
            item = QListWidgetItem(config.name + mark)
            item.setData(Qt.ItemDataRole.UserRole, cid)
            self.list.addItem(item)
            if cid == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._selected()

    def _backend_changed(self) -> None:
        if self.isVisible():
            self.refresh_list()

    def _selected(self, *_: object) -> None:
        item = self.list.currentItem()
        config = self._configs().get(item.data(Qt.ItemDataRole.UserRole)) if item else None
        self.form.setEnabled(config is not None)
        self.results.setText("")
        if config is not None:
            self.form.load(config)
            self.validate()

    def selected_id(self) -> str | None:
        """Return the charger being edited."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def add(self) -> None:
        """Start a new charger (saved on Save)."""
        name = tr("New charger")
        config = ChargerConfig(id=self._free_id(name), name=name, modbus_kind="tcp")
        self.drafts[config.id] = config
        self.refresh_list(select=config.id)

    def duplicate(self) -> None:
        """Copy the selected charger (its OCPP id is cleared: ids must be unique)."""
        source = self._configs().get(self.selected_id() or "")
        if source is None:
            return
        name = source.name + " " + tr("(copy)")
        copy = dataclasses.replace(source, id=self._free_id(name), name=name, ocpp_id="")
        self.drafts[copy.id] = copy
        self.refresh_list(select=copy.id)

    def _free_id(self, name: str) -> str:
        base = self.ctx.backend.new_id(name)
        candidate, n = base, 1
        while candidate in self.drafts:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def remove(self) -> None:
        """Forget the selected charger, after confirmation."""
        charger_id = self.selected_id()
        if charger_id is None:
            return
        if charger_id in self.drafts:
            del self.drafts[charger_id]
            self.refresh_list()
            return
        name = self._configs()[charger_id].name
        question = tr("Stop talking to this charger and forget it?") + f"\n\n{name}"
        ask(self, tr("Remove charger"), question,
            lambda: self.ctx.spawn(self._remove(charger_id), "remove-charger"))  # fmt: skip

    async def _remove(self, charger_id: str) -> None:
        await self.ctx.backend.remove(charger_id)
        self.ctx.save()
        self.refresh_list()

    # ------------------------------------------------------------- validation

    def validate(self) -> ChargerConfig | None:
        """Check the form; show every problem next to its field; return the config when valid."""
        config, errors = self.form.read()
        if config is not None and config.ocpp_id:
            for cid, other in self._configs().items():
                if cid != config.id and other.ocpp_id == config.ocpp_id:
                    errors["ocpp_id"] = f"charge point id already used by '{other.name}'"
                    config = None
                    break
        self.form.show_errors(errors)
        general = errors.get("modbus_kind", "")
        self.general.setText(tr(general))
        self.save_button.setEnabled(not errors)
        self.test_button.setEnabled(not errors)
        return config

    def save(self) -> None:
        """Apply the form to the charger (it reconnects) and save the settings."""
        config = self.validate()
        if config is not None:
            self.save_button.setEnabled(False)
            self.ctx.spawn(self._save(config), "save-charger")

    async def _save(self, config: ChargerConfig) -> None:
        try:
            if config.id in self.drafts:  # a new charger: its id comes from its final name
                del self.drafts[config.id]
                config = dataclasses.replace(config, id=self.ctx.backend.new_id(config.name))
                await self.ctx.backend.add(config)
            else:
                await self.ctx.backend.update(config)
        except ValueError as exc:
            self.general.setText(str(exc))
            return
        finally:
            self.save_button.setEnabled(True)
        self.ctx.save()
        self.results.setText("✓ " + tr("saved"))
        self.refresh_list(select=config.id)

    def test(self) -> None:
        """Try the form's settings without saving them."""
        config = self.validate()
        if config is not None:
            self.test_button.setEnabled(False)
            self.results.setText(tr("testing…"))
            self.ctx.spawn(self._test(config), "test-connection")

    async def _test(self, config: ChargerConfig) -> None:
        try:
            lines = await self.ctx.backend.test_connection(config)
        finally:
            self.test_button.setEnabled(True)
        theme = self.ctx.theme
        html = []
        for ok, text in lines:
            color = theme.ok if ok else theme.alarm
            html.append(f"<span style='color:{color}'>{'✓' if ok else '✗'}</span> {text}")
        self.results.setText("<br>".join(html) or tr("nothing to test: no link configured"))

    # ----------------------------------------------------------------- server

    def refresh_server(self) -> None:
        """Show the running server's URLs and state."""
        backend = self.ctx.backend
        self.server.show_urls(backend.server_urls(), backend.server_state, backend.server_error)

    def apply_server(self) -> None:
        """Validate and restart the OCPP server with the new settings."""
        settings, _problems = self.server.read()
        if settings is not None:
            self.ctx.spawn(self._apply_server(settings), "restart-ocpp-server")

    async def _apply_server(self, settings: ServerSettings) -> None:
        await self.ctx.backend.apply_server_settings(settings)
        self.ctx.save()
        self.refresh_server()
