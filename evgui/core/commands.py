"""Commands: what the UI or CLI asks of a charger, validated against the profile before sending."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from evgui.core.points import PointDef, PointKind, ValueType

_TRUE = {"1", "true", "on", "yes", "enable", "enabled"}
_FALSE = {"0", "false", "off", "no", "disable", "disabled"}


class CommandStatus(StrEnum):
    """Life of a command."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # the charger said no (Modbus exception, OCPP Rejected)
    TIMEOUT = "timeout"
    VERIFY_MISMATCH = "verify-mismatch"  # written, but reading back gives another value
    NOT_SUPPORTED = "not-supported"  # no route can carry it, or the charger lacks it
    INVALID = "invalid"  # refused before sending: wrong value for this point
    UNAVAILABLE = "unavailable"  # the link is down: nothing sent
    ERROR = "error"  # a protocol error (OCPP CallError, unexpected reply)

    @property
    def final(self) -> bool:
        """Return True once the command has finished."""
        return self is not CommandStatus.PENDING

    @property
    def ok(self) -> bool:
        """Return True when the charger did what was asked."""
        return self is CommandStatus.ACCEPTED


@dataclass(frozen=True, slots=True)
class Command:
    """A request to set a command point of one charger."""

    charger_id: str
    point_id: str
    value: Any = None
    via: str | None = None  # force a route ("modbus" / "ocpp"), else the dispatcher chooses
    id: str = field(default_factory=lambda: os.urandom(6).hex())  # uuid costs 5 ms to import

    def key(self) -> tuple[str, str, str]:
        """Return what makes two commands the same request (for double-click protection)."""
        return (self.charger_id, self.point_id, repr(self.value))


@dataclass(frozen=True, slots=True)
class CommandResult:
    """How a command ended."""

    command: Command
    status: CommandStatus
    message: str = ""
    via: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the result as the CLI prints it."""
        return {
            "command": self.command.point_id,
            "value": self.command.value,
            "status": self.status.value,
            "message": self.message,
            "via": self.via,
            **({"detail": self.detail} if self.detail else {}),
        }


class CommandError(ValueError):
    """A command value that the profile does not allow; nothing was sent."""


def validate_value(point: PointDef, value: Any) -> Any:
    """Return the value normalised for this command point, or raise CommandError saying why."""
    if point.kind is not PointKind.COMMAND:
        raise CommandError(f"{point.name} is a {point.kind.value}, not a command")
    vt = point.value_type
    if vt is ValueType.ACTION:
        if value is None or value is True or value == 1:
            return None
        if isinstance(value, str) and (not value or point.enum_by_label(value) is not None):
            return None
        raise CommandError(f"{point.name} takes no value")
    if value is None:
        raise CommandError(f"{point.name} needs a value{_allowed(point)}")
    if vt is ValueType.BOOL:
        return _to_bool(point, value)
    if vt is ValueType.ENUM:
        return _to_label(point, value)
    if vt in (ValueType.FLOAT, ValueType.INT):
        return _to_number(point, value)
    if vt is ValueType.STRING:
        return str(value)
    raise CommandError(f"{point.name}: unsupported type {vt}")  # pragma: no cover


def _allowed(point: PointDef) -> str:
    """Describe what a point accepts."""
    if point.range:
        return f" within {point.range_text()}"
    if point.enum:
        return f" ({' / '.join(point.labels)})"
    return ""


def _to_bool(point: PointDef, value: Any) -> bool:
    """Accept true/false, 1/0, on/off and the point's own labels."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        entry = point.enum_by_label(value)
        if entry is not None:
            return bool(entry.code)
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    labels = " / ".join(point.labels) if point.enum else "true / false"
    raise CommandError(f"{point.name} must be {labels} (got {value!r})")


def _to_label(point: PointDef, value: Any) -> str:
    """Accept an enum label (any case) or its numeric code."""
    entry = None
    if isinstance(value, str):
        entry = point.enum_by_label(value)
        if entry is None and value.strip().lstrip("-").isdigit():
            entry = point.enum_by_code(int(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        entry = point.enum_by_code(value)
    if entry is None:
        raise CommandError(
            f"{point.name} must be one of {' / '.join(point.labels)} (got {value!r})"
        )
    return entry.label


def _to_number(point: PointDef, value: Any) -> float | int:
    """Accept a number (or numeric text) inside the point's range."""
    if isinstance(value, bool):
        raise CommandError(f"{point.name} needs a number{_allowed(point)}, not {value!r}")
    try:
        number = float(value.strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise CommandError(
            f"{point.name} needs a number{_allowed(point)} (got {value!r})"
        ) from None
    if not math.isfinite(number):
        raise CommandError(f"{point.name} needs a finite number (got {value!r})")
    if point.range and not point.range[0] <= number <= point.range[1]:
        raise CommandError(
            f"{point.name} must be within {point.range_text()} (got {_plain(number)})"
        )
    if point.value_type is ValueType.INT:
        if not number.is_integer():
            raise CommandError(f"{point.name} must be a whole number (got {_plain(number)})")
        return int(number)
    return number


def _plain(number: float) -> str:
    """Format a number without a useless .0."""
    return str(int(number)) if number.is_integer() else str(number)
