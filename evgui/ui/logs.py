"""The event log and the protocol log: bounded tables, filters, frame details, export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from evgui.core.events import TrafficEvent
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.models import (
    LOG_ROWS,
    TRAFFIC_ROWS,
    LogTableModel,
    RingTableModel,
    RowFilter,
    TrafficTableModel,
)
from evgui.qt.theme import Theme
from evgui.ui.common import UiContext

BATCH_MS = 250


class LogPanel(QWidget):
    """A filterable, exportable, self-scrolling table over a ring model."""

    kinds: tuple[tuple[str, str], ...] = ()  # (label, key) of the kind filter
    stretch_column = 0

    def __init__(self, ctx: UiContext, model: RingTableModel) -> None:
        super().__init__()
        self.ctx = ctx
        self.model = model
        self.proxy = RowFilter(self)
        self.proxy.setSourceModel(model)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.charger = QComboBox()
        self.charger.setMinimumWidth(140)
        self.kind = QComboBox()
        for label, key in self.kinds:
            self.kind.addItem(tr(label), key)
        self.search = QLineEdit()
        self.search.setPlaceholderText(tr("filter text…"))
        self.search.setClearButtonEnabled(True)
        bar.addWidget(self.charger)
        bar.addWidget(self.kind)
        bar.addWidget(self.search, 1)
        for text, slot in ((tr("Clear"), model.clear), (tr("Export…"), self._ask_export)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        lay.addLayout(bar)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self.stretch_column, QHeaderView.ResizeMode.Stretch)
        self.body = lay
        lay.addWidget(self.table, 1)
        self.charger.currentIndexChanged.connect(self._filter)
        self.kind.currentIndexChanged.connect(self._filter)
        self.search.textChanged.connect(self._filter)
        self.model.rowsAboutToBeInserted.connect(self._remember_bottom)
        self.model.rowsInserted.connect(self._follow_bottom)
        self._at_bottom = True
        self._incoming: list[Any] = []
        self._batch = QTimer(self)  # a log is read, not watched: 4 updates a second are enough
        self._batch.setSingleShot(True)
        self._batch.timeout.connect(self._append_batch)
        self.set_chargers([])

    def append(self, items: list[Any]) -> None:
        """Queue lines; the table takes them in one batch every BATCH_MS."""
        self._incoming.extend(self.compact(item) for item in items)
        if len(self._incoming) > self.model.limit:
            del self._incoming[: -self.model.limit]
        if not self._batch.isActive():
            self._batch.start(BATCH_MS)

    def compact(self, item: Any) -> Any:
        """Return what the log keeps of an event (the whole event by default)."""
        return item

    def _append_batch(self) -> None:
        items, self._incoming = self._incoming, []
        self.model.append(items)

    def set_chargers(self, chargers: list[tuple[str, str]]) -> None:
        """Offer these (id, name) chargers in the filter."""
        current = self.charger.currentData()
        self.charger.blockSignals(True)
        self.charger.clear()
        self.charger.addItem(tr("All chargers"), "")
        for charger_id, name in chargers:
            self.charger.addItem(name, charger_id)
        index = self.charger.findData(current)
        self.charger.setCurrentIndex(max(index, 0))
        self.charger.blockSignals(False)

    def set_theme(self, theme: Theme) -> None:
        """Recolour levels and errors."""
        self.model.colors = {
            "warning": theme.color("warn"), "error": theme.color("alarm"),
            "info": theme.color("text"),
        }  # fmt: skip
        self.table.viewport().update()

    def _filter(self) -> None:
        self.proxy.set_filters(
            self.charger.currentData() or "", self.kind.currentData() or "", self.search.text()
        )

    def _remember_bottom(self, *_: Any) -> None:
        bar = self.table.verticalScrollBar()
        self._at_bottom = bar.value() >= bar.maximum() - 2

    def _follow_bottom(self, *_: Any) -> None:
        if self._at_bottom:
            self.table.scrollToBottom()

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Export log"), "evgui-log.tsv", "Tab-separated (*.tsv *.txt)"
        )
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> int:
        """Write the rows that pass the filters as tab-separated text; return how many."""
        rows = [self.proxy.mapToSource(self.proxy.index(r, 0)).row()
                for r in range(self.proxy.rowCount())]  # fmt: skip
        header = "\t".join(self.model.headers)
        lines = self.model.export_lines(rows)
        path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
        return len(lines)


class EventLogPanel(LogPanel):
    """What happened: links, commands, warnings."""

    kinds = ((QT_TR_NOOP("All levels"), ""), (QT_TR_NOOP("Info"), "info"),
             (QT_TR_NOOP("Warnings"), "warning"), (QT_TR_NOOP("Errors"), "error"))  # fmt: skip
    stretch_column = 3

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx, LogTableModel(LOG_ROWS))
        for column, width in enumerate((96, 120, 70)):
            self.table.setColumnWidth(column, width)
        ctx.bridge.logsAppended.connect(self.append)


class ProtocolLogPanel(LogPanel):
    """Every OCPP frame and Modbus transaction, with the selected frame in full."""

    kinds = ((QT_TR_NOOP("All protocols"), ""), ("OCPP", "ocpp"), ("Modbus", "modbus"))
    stretch_column = 5

    def __init__(self, ctx: UiContext) -> None:
        super().__init__(ctx, TrafficTableModel(TRAFFIC_ROWS))
        for column, width in enumerate((96, 110, 76, 36, 170)):
            self.table.setColumnWidth(column, width)
        self.table.setColumnWidth(6, 64)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText(tr("select a line to see the whole frame"))
        split = QSplitter(Qt.Orientation.Horizontal)
        self.body.removeWidget(self.table)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.body.addWidget(split, 1)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        ctx.bridge.trafficAppended.connect(self.append)

    def compact(self, item: Any) -> Any:
        """Keep an OCPP frame as its text, not as its decoded payload (5x less memory)."""
        event: TrafficEvent = item
        if event.raw is not None:  # the summary is the frame, cut: keep the whole text if longer
            whole = event.raw if len(event.raw) > len(event.summary) else None
            return dataclasses.replace(event, payload=None, raw=whole)
        return event

    def _show_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        event = self.proxy.data(current, Qt.ItemDataRole.UserRole) if current.isValid() else None
        self.detail.setPlainText(frame_text(event) if event else "")


def frame_text(event: TrafficEvent) -> str:
    """Return a protocol event in full: header line, then its frame or payload pretty-printed."""
    head = f"{event.protocol} {event.direction} {event.action}"
    if event.rtt_ms is not None:
        head += f"\nround trip {event.rtt_ms:.1f} ms"
    if event.error:
        head += f"\nerror: {event.error}"
    payload = event.payload if event.payload is not None else event.raw or event.summary
    if payload is None:
        return head
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return f"{head}\n\n{payload}"
    try:
        body = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        body = repr(payload)
    return f"{head}\n\n{body}"
