"""Form pieces: a field with its inline error, and the OCPP server settings form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from evgui.core.config import ServerSettings, check_int
from evgui.qt.i18n import tr


class Field:
    """An input with an error line under it; bad input is explained there, never raised."""

    def __init__(self, widget: QWidget) -> None:
        self.widget = widget
        self.error = QLabel("")
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        self.box = QWidget()
        lay = QVBoxLayout(self.box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(widget)
        lay.addWidget(self.error)

    def show_error(self, message: str | None) -> None:
        """Show (or clear) the field's message and mark the widget invalid."""
        self.error.setText(tr(message) if message else "")
        self.error.setVisible(bool(message))
        self.widget.setProperty("invalid", bool(message))
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)


def line_edit(placeholder: str = "") -> QLineEdit:
    """Return a line edit with a placeholder."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    return edit


class ServerForm(QWidget):
    """The OCPP central system's settings, and the URLs to type into chargers."""

    def __init__(self) -> None:
        super().__init__()
        self.port = Field(line_edit("9000"))
        self.path = Field(line_edit("/ocpp"))
        self.cert = Field(line_edit(tr("certificate file (PEM) for wss://")))
        self.key = line_edit(tr("private key file (PEM)"))
        self.password = line_edit(tr("optional shared password (HTTP Basic)"))
        self.password.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.accept_unknown = QCheckBox(tr("Accept chargers with unknown ids (offered as new)"))
        self.tags = Field(
            line_edit(tr("empty: accept every tag; or the allowed tags, separated by commas"))
        )
        form = QFormLayout(self)
        form.addRow(tr("Port"), self.port.box)
        form.addRow(tr("Path"), self.path.box)
        for label, edit in ((tr("TLS certificate"), self.cert), (tr("TLS key"), self.key)):
            row = QHBoxLayout()
            target = edit.widget if isinstance(edit, Field) else edit
            row.addWidget(edit.box if isinstance(edit, Field) else edit, 1)
            browse = QPushButton(tr("Browse…"))
            browse.clicked.connect(lambda _=False, t=target: self._browse(t))
            row.addWidget(browse, 0, Qt.AlignmentFlag.AlignTop)
            form.addRow(label, row)
        form.addRow(tr("Password"), self.password)
        form.addRow("", self.accept_unknown)
        form.addRow(tr("RFID allow list"), self.tags.box)
        self.urls_box = QGroupBox(tr("Type one of these into the charger's backend / OCPP URL"))
        self.urls_layout = QVBoxLayout(self.urls_box)
        form.addRow(self.urls_box)
        self.state = QLabel("")
        self.state.setWordWrap(True)
        form.addRow(tr("Server"), self.state)

    def _browse(self, target: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, tr("Choose a PEM file"), "", "PEM (*.pem *.crt *.key);;*"
        )
        if path:
            target.setText(path)

    def load(self, settings: ServerSettings) -> None:
        """Fill the form."""
        for field, value in ((self.port, str(settings.port)), (self.path, settings.path),
                             (self.cert, settings.tls_cert),
                             (self.tags, settings.rfid_tags)):  # fmt: skip
            assert isinstance(field.widget, QLineEdit)
            field.widget.setText(value)
        self.key.setText(settings.tls_key)
        self.password.setText(settings.password)
        self.accept_unknown.setChecked(settings.accept_unknown)

    def read(self) -> tuple[ServerSettings | None, dict[str, str]]:
        """Return the settings, or None and field -> message."""
        texts = [f.widget.text().strip() for f in (self.port, self.path, self.cert, self.tags)
                 if isinstance(f.widget, QLineEdit)]  # fmt: skip
        port_text, path, cert, tags = texts
        errors: dict[str, str] = {}
        if (why := check_int(port_text, 1, 65535, "port")) is not None:
            errors["port"] = why
        settings = ServerSettings(
            port=int(port_text) if "port" not in errors else 9000, path=path or "/ocpp",
            tls_cert=cert, tls_key=self.key.text().strip(), password=self.password.text(),
            accept_unknown=self.accept_unknown.isChecked(), rfid_tags=tags,
        )  # fmt: skip
        for key, message in settings.problems().items():
            errors.setdefault(key, message)
        self.port.show_error(errors.get("port"))
        self.path.show_error(errors.get("path"))
        self.cert.show_error(errors.get("tls_cert"))
        self.tags.show_error(errors.get("rfid_tags"))
        return (None if errors else settings), errors

    def show_urls(self, urls: list[str], state: str, error: str) -> None:
        """List the URLs with a copy button each, and the server's state."""
        while self.urls_layout.count():
            item = self.urls_layout.takeAt(0)
            widget = item.widget() if item else None
            if widget is not None:
                widget.deleteLater()
        for url in urls or []:
            self.urls_layout.addWidget(url_row(url))
        if not urls:
            self.urls_layout.addWidget(QLabel(tr("the server is not running")))
        self.state.setText(tr(state) + (f": {error}" if error else ""))


def url_row(url: str) -> QWidget:
    """Return a selectable URL with a Copy button."""
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    text = QLineEdit(url)
    text.setReadOnly(True)
    copy = QPushButton(tr("Copy"))
    copy.setToolTip(tr("copy the URL to the clipboard"))
    copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(url))
    lay.addWidget(text, 1)
    lay.addWidget(copy)
    return row
