"""Item models: the fleet table, the event log and the protocol log (bounded, filterable)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QPainter, QPixmap

from evgui.core.events import LogEvent, TrafficEvent
from evgui.qt.i18n import QT_TR_NOOP, tr
from evgui.qt.latency import PAINT_LATENCY

Index = QModelIndex | QPersistentModelIndex
LOG_ROWS = 5000
TRAFFIC_ROWS = 10_000  # ~25 s of a 200-charger site, an hour of one charger: ~12 MB at most
TRIM_SHARE = 10  # when full, drop a tenth at once: one row removal per many appends


def clock(ts: float) -> str:
    """Format a time of day with milliseconds."""
    return time.strftime("%H:%M:%S", time.localtime(ts)) + f".{int(ts % 1 * 1000):03d}"


class RowsTableModel(QAbstractTableModel):
    """A table over a list of rows with fixed, translatable column titles."""

    headers: tuple[str, ...] = ()
    rows: Sequence[Any]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Return the number of rows."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Return the number of columns."""
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Return column titles (and their tooltips)."""
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return tr(self.headers[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tip(section)
        return None

    def header_tip(self, section: int) -> str | None:
        """Return a column title's tooltip (none by default)."""
        return None


class RingTableModel(RowsTableModel):
    """A table of at most `limit` rows; the oldest rows go first."""

    headers: tuple[str, ...] = ()

    def __init__(self, limit: int, parent: Any = None) -> None:
        super().__init__(parent)
        self.limit = limit
        self.rows: list[Any] = []
        self.colors: dict[str, QColor] = {}

    def append(self, items: Sequence[Any]) -> None:
        """Add rows at the bottom, dropping the oldest beyond the limit."""
        if not items:
            return
        items = list(items)[-self.limit :]
        overflow = len(self.rows) + len(items) - self.limit
        if overflow > 0:  # trim in chunks: removing rows at the top re-maps every view/proxy
            overflow = min(len(self.rows), max(overflow, self.limit // TRIM_SHARE))
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.rows[:overflow]
            self.endRemoveRows()
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self.rows.extend(items)
        self.endInsertRows()

    def clear(self) -> None:
        """Remove every row."""
        self.beginResetModel()
        self.rows.clear()
        self.endResetModel()

    def keys(self, row: int) -> tuple[str, str, str]:
        """Return (charger id, kind, searchable text) of a row, for RowFilter."""
        raise NotImplementedError

    def export_lines(self, rows: Sequence[int] | None = None) -> list[str]:
        """Return rows as tab-separated text (all, or the given ones)."""
        chosen = range(len(self.rows)) if rows is None else rows
        return ["\t".join(self.fields(self.rows[r])) for r in chosen]

    def fields(self, item: Any) -> tuple[str, ...]:
        """Return a row's exported fields."""
        raise NotImplementedError


class LogTableModel(RingTableModel):
    """The event log: time, charger, level, text."""

    headers = (QT_TR_NOOP("Time"), QT_TR_NOOP("Charger"), QT_TR_NOOP("Level"), QT_TR_NOOP("Event"))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell."""
        event: LogEvent = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (clock(event.ts), event.charger_id or "", tr(event.level.value), event.text)[
                index.column()
            ]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (2, 3):
            return self.colors.get(event.level.value)
        return None

    def keys(self, row: int) -> tuple[str, str, str]:
        """Return (charger id, level, text) of a row."""
        e: LogEvent = self.rows[row]
        return e.charger_id or "", e.level.value, e.text

    def fields(self, item: Any) -> tuple[str, ...]:
        """Return a log line's exported fields."""
        e: LogEvent = item
        return clock(e.ts), e.charger_id or "", e.level.value, e.text


class TrafficTableModel(RingTableModel):
    """The protocol log: OCPP frames and Modbus transactions."""

    headers = (QT_TR_NOOP("Time"), QT_TR_NOOP("Charger"), QT_TR_NOOP("Protocol"),
               QT_TR_NOOP("Dir"), QT_TR_NOOP("Action / function"), QT_TR_NOOP("Summary"),
               QT_TR_NOOP("RTT ms"))  # fmt: skip

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell."""
        e: TrafficEvent = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            rtt = "" if e.rtt_ms is None else f"{e.rtt_ms:.1f}"
            summary = f"{e.summary} — {e.error}" if e.error else e.summary
            cells = (clock(e.ts), e.charger_id or "", e.protocol, e.direction, e.action, summary)
            return (*cells, rtt)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and e.error:
            return self.colors.get("error")
        if role == Qt.ItemDataRole.ToolTipRole:
            return e.error or None
        if role == Qt.ItemDataRole.UserRole:
            return e
        return None

    def keys(self, row: int) -> tuple[str, str, str]:
        """Return (charger id, protocol, action + summary + error) of a row."""
        e: TrafficEvent = self.rows[row]
        return e.charger_id or "", e.protocol, f"{e.action} {e.summary} {e.error or ''}"

    def fields(self, item: Any) -> tuple[str, ...]:
        """Return a transaction's exported fields."""
        e: TrafficEvent = item
        rtt = "" if e.rtt_ms is None else f"{e.rtt_ms:.2f}"
        return (clock(e.ts), e.charger_id or "", e.protocol, e.direction, e.action, e.summary,
                rtt, e.error or "")  # fmt: skip


class RowFilter(QSortFilterProxyModel):
    """Filter a log by charger, kind (protocol or level) and free text."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.charger = ""
        self.kind = ""
        self.text = ""

    def set_filters(self, charger: str = "", kind: str = "", text: str = "") -> None:
        """Change the filters and refresh."""
        self.beginFilterChange()
        self.charger, self.kind, self.text = charger, kind, text.lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        """Return True for rows that pass every filter."""
        source = self.sourceModel()
        assert isinstance(source, RingTableModel)
        charger, kind, text = source.keys(row)
        if self.charger and charger != self.charger:
            return False
        if self.kind and kind != self.kind:
            return False
        return not self.text or self.text in text.lower()


class FleetTableModel(RowsTableModel):
    """One row per charger: name, link states (Modbus, OCPP), vehicle state, power, alarms."""

    headers = (QT_TR_NOOP("Charger"), QT_TR_NOOP("Links"), QT_TR_NOOP("State"), QT_TR_NOOP("kW"),
               QT_TR_NOOP("Alarms"))  # fmt: skip

    def __init__(
        self,
        ids: Callable[[], list[str]],
        row_of: Callable[[str], dict[str, Any]],
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._ids = ids
        self._row_of = row_of
        self.rows: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}
        self.colors: dict[str, QColor] = {}
        self._dots: dict[tuple[str, str], QPixmap] = {}
        self._shown: dict[str, Any] = {}  # charger id -> the power reading last painted
        self.refresh()

    def refresh(self) -> None:
        """Reload every row (chargers added or removed)."""
        self.beginResetModel()
        self.rows = [self._row_of(cid) for cid in self._ids()]
        self._index = {row["id"]: n for n, row in enumerate(self.rows)}
        self.endResetModel()

    def update_rows(self, charger_ids: Iterable[str]) -> None:
        """Re-read some chargers' rows; one dataChanged for them all (one repaint per frame)."""
        changed = []
        for charger_id in charger_ids:
            n = self._index.get(charger_id)
            if n is not None:
                self.rows[n] = self._row_of(charger_id)
                changed.append(n)
        if changed:
            last = len(self.headers) - 1
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), last))

    def set_colors(self, colors: dict[str, QColor]) -> None:
        """Recolour (theme change)."""
        self.colors = colors
        self._dots.clear()
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 4))

    def header_tip(self, section: int) -> str | None:
        """Explain the two link dots."""
        return tr("left dot: Modbus, right dot: OCPP") if section == 1 else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell."""
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            power = row.get("power")
            if column == 3:
                self._note_painted(row)
            kw = "—" if power is None else f"{power:.2f}"
            values = (row["name"], "", tr(row.get("state") or "—"), kw, row.get("alarms") or "")
            return values[column]
        if role == Qt.ItemDataRole.DecorationRole and column == 1:
            return self._link_dots(row["modbus"], row["ocpp"])
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and row.get("alarms"):
            return self.colors.get("alarm")
        if role == Qt.ItemDataRole.UserRole:
            return row["id"]
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return "\n".join(
                f"{name}: {tr(row[link])}"
                + (f" — {row[link + '_detail']}" if row.get(link + "_detail") else "")
                for link, name in (("modbus", "Modbus"), ("ocpp", "OCPP"))
            )
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        return None

    def _note_painted(self, row: dict[str, Any]) -> None:
        """Record the receipt-to-paint latency of a power value, once per reading."""
        reading = row.get("power_reading")
        if reading is not None and self._shown.get(row["id"]) is not reading:
            self._shown[row["id"]] = reading
            PAINT_LATENCY.painted(reading, "fleet table")

    def _link_dots(self, modbus: str, ocpp: str) -> QPixmap:
        """Return two coloured dots (Modbus, OCPP), cached per pair of states."""
        key = (modbus, ocpp)
        pixmap = self._dots.get(key)
        if pixmap is None:
            pixmap = QPixmap(QSize(56, 24))
            pixmap.setDevicePixelRatio(2.0)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            for n, state in enumerate(key):
                painter.setBrush(self.colors.get(state, QColor("gray")))
                painter.drawEllipse(QRectF(2 + n * 14, 1, 10, 10))
            painter.end()
            self._dots[key] = pixmap
        return pixmap
