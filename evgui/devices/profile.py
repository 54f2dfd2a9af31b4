"""Profile types: a charger family's points, transports, defaults and quirks, as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from evgui.core.points import ByteOrder, Catalogue, PointDef, WordOrder


class ReadStrategy(StrEnum):
    """How the poller may group registers."""

    BLOCK = "block"  # contiguous registers in one request
    PER_POINT = "per_point"  # one request per point (chargers that refuse block reads)


class ModbusTransport(StrEnum):
    """Physical links a charger offers."""

    TCP = "tcp"
    RTU = "rtu"
    RTU_TCP = "rtu-tcp"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """A published source a profile was written from."""

    title: str
    url: str = ""
    confidence: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class SerialDefaults:
    """RS-485 line settings a charger ships with."""

    baudrate: int = 19200
    parity: str = "E"
    stopbits: int = 1
    bytesize: int = 8


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """A register the charger wants refreshed, or it falls back to a safe state."""

    point_id: str
    interval_s: float
    value: float | None = None  # None: rewrite the last commanded value
    fallback: str = ""  # what the charger does when the refresh stops


@dataclass(frozen=True, slots=True)
class ModbusSettings:
    """Modbus defaults and behaviour of a charger family."""

    transports: tuple[ModbusTransport, ...] = (ModbusTransport.TCP,)
    port: int = 502
    unit_id: int = 1
    unit_ids: tuple[int, ...] = ()
    serial: SerialDefaults = field(default_factory=SerialDefaults)
    word_order: WordOrder = WordOrder.BIG
    byte_order: ByteOrder = ByteOrder.BIG
    read_strategy: ReadStrategy = ReadStrategy.BLOCK
    max_block: int = 125
    max_gap: int = 16
    min_gap_ms: float = 0.0
    event_poll_s: float = 5.0
    timeout_s: float = 2.0
    keepalive: tuple[KeepAlive, ...] = ()
    write_multiple: bool = False  # the charger only takes function 16 (and 15), never 6 / 5


@dataclass(frozen=True, slots=True)
class OcppSettings:
    """How the console should drive a charger family over OCPP (chargers differ here)."""

    versions: tuple[str, ...] = ("1.6",)
    profile_purpose: str = "TxDefaultProfile"
    rate_unit: str = "A"
    stack_level: int = 0
    profile_connector: int = 0
    charge_enable: str = "RemoteStartTransaction"  # or ChangeAvailability


@dataclass(frozen=True, slots=True)
class Quirks:
    """Behaviour of real chargers that the rules must know about."""

    e_while_idle: bool = False  # reports IEC state E when nothing is plugged in
    zero_current_means_no_limit: bool = False  # writing 0 A lifts the limit instead of pausing
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    """A charger family: identity, sources, points and protocol settings."""

    id: str
    vendor: str
    models: tuple[str, ...]
    catalogue: Catalogue
    description: str = ""
    confidence: str = "spec"
    sources: tuple[SourceRef, ...] = ()
    disagreements: tuple[str, ...] = ()
    modbus: ModbusSettings | None = None
    ocpp: OcppSettings | None = None
    quirks: Quirks = field(default_factory=Quirks)
    path: Path | None = None

    @property
    def points(self) -> tuple[PointDef, ...]:
        """Return the profile's points in file order."""
        return self.catalogue.points

    @property
    def transports(self) -> tuple[str, ...]:
        """Return every way to reach the charger: Modbus links and OCPP versions."""
        names: list[str] = []
        if self.modbus:
            names += [f"modbus-{t.value}" for t in self.modbus.transports]
        if self.ocpp:
            names += [f"ocpp-{v}" for v in self.ocpp.versions]
        return tuple(names)

    def summary(self) -> dict[str, Any]:
        """Return what `evgui profiles --json` prints for this profile."""
        mb = self.modbus
        return {
            "id": self.id,
            "vendor": self.vendor,
            "models": list(self.models),
            "transports": list(self.transports),
            "confidence": self.confidence,
            "points": len(self.catalogue),
            "modbus": None
            if mb is None
            else {
                "port": mb.port,
                "unit_id": mb.unit_id,
                "word_order": mb.word_order.value,
                "read_strategy": mb.read_strategy.value,
                "serial": {
                    "baudrate": mb.serial.baudrate,
                    "parity": mb.serial.parity,
                    "stopbits": mb.serial.stopbits,
                },
                "keepalive": [
                    {"point": k.point_id, "interval_s": k.interval_s} for k in mb.keepalive
                ],
            },
            "sources": [s.title for s in self.sources],
        }
