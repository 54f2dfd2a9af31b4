"""What the console's windows may ask of the running chargers (the UI's only door to them).

The GUI is handed an object of this shape by the composition root (evgui/app.py builds an
evgui.fleet.Fleet); it never imports a transport. Qt-free, so it stays in core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from evgui.core.config import ChargerConfig, ServerSettings
from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import EventHub
from evgui.core.model import ChargerModel


@dataclass(frozen=True, slots=True)
class ProfileChoice:
    """A profile as the connection manager offers it, with its link defaults."""

    id: str
    title: str  # "ABB Terra AC (Terra AC W7/W11/W22...)"
    confidence: str
    modbus_kinds: tuple[str, ...]  # of "tcp", "rtu", "rtu-tcp"
    port: int = 502
    unit_id: int = 1
    baudrate: int = 19200
    parity: str = "E"
    stopbits: int = 1
    ocpp_versions: tuple[str, ...] = ("1.6",)
    notes: tuple[str, ...] = ()


class ChargerView(Protocol):
    """One charger as the UI sees it."""

    config: ChargerConfig
    model: ChargerModel
    adopted: bool  # connected over OCPP with an unknown id, not saved yet


class ConsoleBackend(Protocol):
    """The chargers, the OCPP server and the command dispatcher, as the UI may use them."""

    hub: EventHub
    dispatcher: CommandDispatcher
    server_settings: ServerSettings
    server_state: str  # "stopped", "listening" or "error"
    server_error: str

    @property
    def entries(self) -> Mapping[str, ChargerView]:
        """Return the chargers by id."""

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call listener() when chargers are added, removed or renamed."""

    def profile_choices(self) -> list[ProfileChoice]:
        """Return the shipped profiles for the connection manager."""

    def server_urls(self, cp_id: str | None = None) -> list[str]:
        """Return the URL(s) a charger must type in, one per address of this computer."""

    def server_port(self) -> int | None:
        """Return the port the OCPP server really listens on (None when stopped)."""

    async def apply_server_settings(self, settings: ServerSettings) -> None:
        """Restart the OCPP server with new settings."""

    def new_id(self, name: str) -> str:
        """Return an unused charger id made from a name."""

    async def add(self, config: ChargerConfig) -> ChargerView:
        """Add a charger (or confirm an adopted one) and start talking to it."""

    async def update(self, config: ChargerConfig) -> ChargerView:
        """Apply edited settings."""

    async def remove(self, charger_id: str) -> None:
        """Stop talking to a charger and forget it."""

    def configs(self) -> list[ChargerConfig]:
        """Return the chargers to save."""

    async def test_connection(
        self, config: ChargerConfig, timeout: float = 3.0
    ) -> list[tuple[bool, str]]:
        """Try a configuration; return (ok, plain-words line) pairs."""
