"""Core events -> Qt signals, coalesced per charger per frame (no per-reading signal storms)."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from evgui.core.events import (
    CommandEvent,
    Event,
    EventHub,
    IdentityEvent,
    LinkEvent,
    LogEvent,
    ReadingsEvent,
    TrafficEvent,
)
from evgui.core.reading import Reading

# 30 updates a second: smooth for numbers that change once a second, and half the repaint work
# of 60 with 200 chargers (bench/site_load.py); a value still reaches the screen within 50 ms.
FRAME_S = 1 / 30
MAX_BUFFERED = 5000  # log / traffic lines kept between two frames; older ones are counted, dropped


class QtBridge(QObject):
    """Collect events from the asyncio side; emit them to widgets at most once per frame."""

    readingsChanged = Signal(str, object)  # charger id, {point id: Reading} (latest per point)
    linkChanged = Signal(str, str, str, str)  # charger id, link, state, detail
    identityChanged = Signal(str, object)  # charger id, {field: text}
    logsAppended = Signal(object)  # [LogEvent]
    trafficAppended = Signal(object)  # [TrafficEvent]
    commandChanged = Signal(object)  # CommandEvent
    flushed = Signal()  # after each frame's signals: views that batch (the fleet table) update

    def __init__(self, hub: EventHub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._readings: dict[str, dict[str, Reading]] = {}
        self._links: dict[tuple[str, str], LinkEvent] = {}
        self._identity: dict[str, dict[str, str]] = {}
        self._logs: deque[LogEvent] = deque(maxlen=MAX_BUFFERED)
        self._traffic: deque[TrafficEvent] = deque(maxlen=MAX_BUFFERED)
        self._commands: list[CommandEvent] = []
        self.dropped = 0
        self.flushes = 0
        self._last_flush = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._unsubscribe = hub.subscribe(self._on_event)

    def close(self) -> None:
        """Stop listening to the hub."""
        self._unsubscribe()
        self._timer.stop()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            wait = max(0.0, FRAME_S - (time.monotonic() - self._last_flush))
            self._timer.start(int(wait * 1000))

    def _on_event(self, event: Event) -> None:
        """Buffer an event (called on the loop, per event: keep it cheap)."""
        if isinstance(event, ReadingsEvent):
            slot = self._readings.setdefault(event.charger_id, {})
            for reading in event.readings:
                slot[reading.point_id] = reading
        elif isinstance(event, LinkEvent):
            self._links[(event.charger_id, event.link)] = event
        elif isinstance(event, IdentityEvent):
            self._identity[event.charger_id] = event.identity
        elif isinstance(event, LogEvent):
            self.dropped += len(self._logs) == self._logs.maxlen
            self._logs.append(event)
        elif isinstance(event, TrafficEvent):
            self.dropped += len(self._traffic) == self._traffic.maxlen
            self._traffic.append(event)
        elif isinstance(event, CommandEvent):
            self._commands.append(event)
        self._schedule()

    def flush(self) -> None:
        """Emit everything buffered since the last frame."""
        self._last_flush = time.monotonic()
        self.flushes += 1
        readings, self._readings = self._readings, {}
        links, self._links = self._links, {}
        identity, self._identity = self._identity, {}
        commands, self._commands = self._commands, []
        for event in links.values():
            self.linkChanged.emit(event.charger_id, event.link, event.state.value, event.detail)
        for charger_id, fields in identity.items():
            self.identityChanged.emit(charger_id, fields)
        for charger_id, batch in readings.items():
            self.readingsChanged.emit(charger_id, batch)
        for command in commands:
            self.commandChanged.emit(command)
        if self._logs:
            logs = list(self._logs)
            self._logs.clear()
            self.logsAppended.emit(logs)
        if self._traffic:
            traffic = list(self._traffic)
            self._traffic.clear()
            self.trafficAppended.emit(traffic)
        self.flushed.emit()


def short_age(seconds: float) -> str:
    """Format an age for a tile ('2 s', '3 min', '1 h')."""
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def format_value(value: Any, decimals: int = 1) -> str:
    """Format a reading's value for a tile."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{decimals}f}"
    return str(value)
