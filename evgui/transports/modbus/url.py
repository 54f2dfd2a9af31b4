"""Modbus link addresses: tcp://HOST:PORT?unit=N, rtu://PORT?baud=..., rtu-tcp://HOST:PORT."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = ("tcp", "rtu", "rtu-tcp")
PARITIES = ("N", "E", "O")
BAUDS = (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200)


class LinkUrlError(ValueError):
    """A link address that cannot be used; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """Where a charger is and how to talk to it."""

    kind: str  # "tcp", "rtu" or "rtu-tcp"
    host: str = ""
    port: int = 502
    serial_port: str = ""
    baudrate: int = 19200
    parity: str = "E"
    stopbits: int = 1
    bytesize: int = 8
    unit_id: int = 1
    timeout_s: float = 1.0
    retries: int = 1
    min_gap_ms: float = 0.0

    @property
    def physical_key(self) -> tuple[str | int, ...]:
        """Identify the physical link: chargers on one bus or gateway share it."""
        if self.kind == "rtu":
            return ("rtu", self.serial_port)
        return (self.kind, self.host, self.port)

    def describe(self) -> str:
        """Return the link as a URL without the unit id."""
        if self.kind == "rtu":
            return f"rtu://{self.serial_port}?baud={self.baudrate}&parity={self.parity}&stopbits={self.stopbits}"
        return f"{self.kind}://{self.host}:{self.port}"

    def with_unit(self, unit_id: int) -> LinkConfig:
        """Return the same link for another unit id."""
        return replace(self, unit_id=unit_id)


def _int(value: str, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise LinkUrlError(f"{name} '{value}' is not a number") from None
    if not low <= number <= high:
        raise LinkUrlError(f"{name} {number} is outside {low}..{high}")
    return number


def parse_link_url(url: str, *, default_port: int = 502, default_unit: int = 1) -> LinkConfig:
    """Parse a link URL; raise LinkUrlError naming the part that is wrong."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise LinkUrlError(
            f"'{url}' must start with tcp://, rtu:// or rtu-tcp:// (e.g. tcp://192.168.1.20:502?unit=1)"
        )
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    known = {"unit", "baud", "parity", "stopbits", "bytesize", "timeout"}
    unknown = sorted(set(query) - known)
    if unknown:
        raise LinkUrlError(
            f"unknown option(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    # RS-485 addresses stop at 247; over TCP the unit id is one byte and many wallboxes use 255.
    unit = _int(query.get("unit", str(default_unit)), "unit id", 0, 247 if scheme == "rtu" else 255)
    timeout = 1.0
    if "timeout" in query:
        try:
            timeout = float(query["timeout"])
        except ValueError:
            raise LinkUrlError(f"timeout '{query['timeout']}' is not a number") from None
        if not 0.05 <= timeout <= 60:
            raise LinkUrlError(f"timeout {timeout} s is outside 0.05..60")
    if scheme == "rtu":
        port_path = unquote(parts.netloc + parts.path)
        if not port_path:
            raise LinkUrlError("rtu:// needs a serial port, e.g. rtu:///dev/ttyUSB0?baud=19200")
        parity = query.get("parity", "E").upper()
        if parity not in PARITIES:
            raise LinkUrlError(f"parity '{parity}' must be N, E or O")
        baud = _int(query.get("baud", "19200"), "baud rate", 300, 921600)
        return LinkConfig(
            kind="rtu",
            serial_port=port_path,
            baudrate=baud,
            parity=parity,
            stopbits=_int(query.get("stopbits", "1"), "stop bits", 1, 2),
            bytesize=_int(query.get("bytesize", "8"), "byte size", 7, 8),
            unit_id=unit,
            timeout_s=timeout,
        )
    host = parts.hostname or ""
    if not host:
        raise LinkUrlError(f"'{url}' has no host, e.g. {scheme}://192.168.1.20:502")
    try:
        port = parts.port if parts.port is not None else default_port
    except ValueError:
        raise LinkUrlError(f"'{url}' has an invalid port (1..65535)") from None
    if not 1 <= port <= 65535:
        raise LinkUrlError(f"port {port} is outside 1..65535")
    return LinkConfig(kind=scheme, host=host, port=port, unit_id=unit, timeout_s=timeout)
