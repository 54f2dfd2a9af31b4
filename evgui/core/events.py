"""Plain-Python events from the core and the transports, and the hub that carries them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from evgui.core.reading import Reading

log = logging.getLogger(__name__)


class LinkState(StrEnum):
    """State of one link to a charger."""

    UNCONFIGURED = "unconfigured"
    CONNECTING = "connecting"
    ONLINE = "online"
    DEGRADED = "degraded"  # answers, but some requests fail or time out
    OFFLINE = "offline"


class Level(StrEnum):
    """Severity of a log event."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ReadingsEvent:
    """New or changed readings of one charger (one batch per transport message)."""

    charger_id: str
    readings: tuple[Reading, ...]


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """A link of a charger changed state."""

    charger_id: str
    link: str  # "modbus" or "ocpp"
    state: LinkState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class IdentityEvent:
    """What a charger said about itself (vendor, model, serial, firmware...)."""

    charger_id: str
    identity: dict[str, str]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A line for the console's event log."""

    charger_id: str | None
    level: Level
    text: str
    ts: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class TrafficEvent:
    """One protocol exchange for the protocol log (a Modbus transaction or an OCPP frame)."""

    charger_id: str | None
    protocol: str  # "modbus" or "ocpp"
    direction: str  # "tx", "rx" or "" for a whole transaction
    action: str  # Modbus function or OCPP action
    summary: str
    ts: float = field(default_factory=time.time)
    rtt_ms: float | None = None
    error: str | None = None
    payload: Any = None
    raw: str | None = None  # the frame as it crossed the wire (OCPP), for the protocol log


@dataclass(frozen=True, slots=True)
class CommandEvent:
    """A command changed status (pending, then its result)."""

    charger_id: str
    command_id: str
    point_id: str
    value: Any
    status: str
    message: str = ""
    via: str | None = None
    ts: float = field(default_factory=time.time)


Event = ReadingsEvent | LinkEvent | IdentityEvent | LogEvent | TrafficEvent | CommandEvent
Listener = Callable[[Event], None]


class EventHub:
    """Fan-out of events to listeners; a failing listener is logged and never breaks the sender."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; return the function that removes it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: Event) -> None:
        """Deliver an event to every listener."""
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %s", listener, type(event).__name__)

    def log(self, charger_id: str | None, level: Level, text: str) -> None:
        """Publish a line for the event log."""
        self.publish(LogEvent(charger_id, level, text))
