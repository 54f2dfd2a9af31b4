"""Charger entries and OCPP server settings as the user edits them, with field validators."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

MODBUS_KINDS = ("none", "tcp", "rtu", "rtu-tcp")
OCPP_VERSIONS = ("1.6", "2.0.1")
PARITIES = ("N", "E", "O")
BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_ID_TAG = re.compile(r"^[\x21-\x7e]{1,20}$")  # OCPP 1.6 IdToken: CiString20, no spaces
_CP_ID = re.compile(r"^[A-Za-z0-9._:*+|@\-]{1,48}$")  # OCPP identity: a URL path segment


def slug(text: str) -> str:
    """Return a lowercase id made of letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "charger"


def check_host(text: str) -> str | None:
    """Return why a host (IPv4/IPv6 address or host name) is not valid, or None."""
    text = text.strip()
    if not text:
        return "enter the charger's IP address or host name"
    try:
        ipaddress.ip_address(text)
        return None
    except ValueError:
        pass
    if re.fullmatch(r"[0-9.]+", text):
        return f"'{text}' is not an IPv4 address (four numbers 0-255, e.g. 192.168.1.20)"
    if not _HOSTNAME.match(text):
        return f"'{text}' is not a host name (letters, digits, dots and dashes)"
    return None


def check_int(text: str | int, low: int, high: int, what: str) -> str | None:
    """Return why text is not a whole number within low..high, or None."""
    try:
        number = int(str(text).strip())
    except ValueError:
        return f"{what} must be a whole number {low}-{high}"
    if not low <= number <= high:
        return f"{what} must be within {low}-{high} (got {number})"
    return None


def check_unit_id(text: str | int, kind: str) -> str | None:
    """Return why a Modbus unit id is not valid: 0-247 on RS-485, 0-255 over TCP."""
    high = 247 if kind == "rtu" else 255
    return check_int(text, 0, high, "unit id")


def check_cp_id(text: str) -> str | None:
    """Return why an OCPP charge point id is not valid, or None (empty means 'no OCPP')."""
    text = text.strip()
    if not text:
        return None
    if not _CP_ID.match(text):
        return "charge point id: 1-48 letters, digits and . _ - : * + | @ (no spaces or slashes)"
    return None


@dataclass
class ChargerConfig:
    """One charger as saved by the connection manager."""

    id: str
    name: str
    profile_id: str = "generic-l2"
    modbus_kind: str = "none"
    host: str = ""
    port: int = 502
    unit_id: int = 1
    serial_port: str = ""
    baudrate: int = 19200
    parity: str = "E"
    stopbits: int = 1
    ocpp_id: str = ""
    ocpp_password: str = ""
    ocpp_version: str = "1.6"

    def modbus_url(self) -> str | None:
        """Return the Modbus link URL (tcp://..., rtu://...), or None without Modbus."""
        if self.modbus_kind in ("tcp", "rtu-tcp"):
            return f"{self.modbus_kind}://{self.host}:{self.port}?unit={self.unit_id}"
        if self.modbus_kind == "rtu":
            return (f"rtu://{self.serial_port}?baud={self.baudrate}&parity={self.parity}"
                    f"&stopbits={self.stopbits}&unit={self.unit_id}")  # fmt: skip
        return None

    def problems(self) -> dict[str, str]:
        """Return field -> message for every invalid field (empty when valid)."""
        out: dict[str, str] = {}
        if not self.name.strip():
            out["name"] = "give the charger a name"
        if self.modbus_kind not in MODBUS_KINDS:
            out["modbus_kind"] = f"unknown link '{self.modbus_kind}'"
        if self.modbus_kind in ("tcp", "rtu-tcp"):
            if (why := check_host(self.host)) is not None:
                out["host"] = why
            if (why := check_int(self.port, 1, 65535, "port")) is not None:
                out["port"] = why
        if self.modbus_kind == "rtu":
            if not self.serial_port.strip():
                out["serial_port"] = "pick the RS-485 adapter's serial port"
            if self.parity not in PARITIES:
                out["parity"] = "parity must be N, E or O"
            if self.stopbits not in (1, 2):
                out["stopbits"] = "stop bits must be 1 or 2"
        if self.modbus_kind != "none" and (why := check_unit_id(self.unit_id, self.modbus_kind)):
            out["unit_id"] = why
        if (why := check_cp_id(self.ocpp_id)) is not None:
            out["ocpp_id"] = why
        if self.ocpp_version not in OCPP_VERSIONS:
            out["ocpp_version"] = "OCPP version must be 1.6 or 2.0.1"
        if self.modbus_kind == "none" and not self.ocpp_id.strip():
            out["modbus_kind"] = "choose a Modbus link or give an OCPP charge point id (or both)"
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the entry as saved."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChargerConfig:
        """Read an entry, ignoring unknown keys and values of the wrong type (edited files)."""
        return cls(**_typed_fields(cls, data))


@dataclass
class ServerSettings:
    """The OCPP central system the chargers dial into."""

    port: int = 9000
    path: str = "/ocpp"
    tls_cert: str = ""
    tls_key: str = ""
    password: str = ""
    accept_unknown: bool = True
    rfid_tags: str = ""  # allow list, separated by commas or spaces; empty: accept every tag

    def allowed_tags(self) -> frozenset[str] | None:
        """Return the RFID allow list, or None to accept every tag."""
        tags = frozenset(t for t in re.split(r"[\s,;]+", self.rfid_tags) if t)
        return tags or None

    def problems(self) -> dict[str, str]:
        """Return field -> message for every invalid field."""
        out: dict[str, str] = {}
        if bad := sorted(t for t in self.allowed_tags() or () if not _ID_TAG.fullmatch(t)):
            shown = bad[0] if len(bad[0]) <= 40 else bad[0][:39] + "…"
            out["rfid_tags"] = f"RFID tag {shown!r}: 1-20 printable characters (an OCPP 1.6 idTag)"
        if (why := check_int(self.port, 1, 65535, "port")) is not None:
            out["port"] = why
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)*/?", self.path.strip() or "/"):
            out["path"] = "path: letters, digits and . _ ~ - separated by /, e.g. /ocpp"
        if bool(self.tls_cert) != bool(self.tls_key):
            out["tls_cert"] = "TLS needs both a certificate and a key file"
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the settings as saved."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServerSettings:
        """Read settings, ignoring unknown keys and values of the wrong type."""
        return cls(**_typed_fields(cls, data))


@dataclass
class AppSettings:
    """Everything the console remembers between runs."""

    chargers: list[ChargerConfig] = field(default_factory=list)
    server: ServerSettings = field(default_factory=ServerSettings)
    theme: str = "system"
    lock_style: str = "color"  # the cable-lock widget: "color" or "bw"
    window: dict[str, str] = field(default_factory=dict)  # geometry and splitter states (base64)

    def to_json(self) -> dict[str, Any]:
        """Return the settings as saved."""
        return {
            "chargers": [c.to_json() for c in self.chargers],
            "server": self.server.to_json(),
            "theme": self.theme,
            "lock_style": self.lock_style,
            "window": dict(self.window),
        }

    @classmethod
    def from_json(cls, data: Any) -> AppSettings:
        """Read settings; a broken entry is dropped, never fatal."""
        if not isinstance(data, dict):
            return cls()
        chargers = []
        items = data.get("chargers")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str) and "name" in item:
                chargers.append(ChargerConfig.from_json(item))
        server = data.get("server")
        window = data.get("window")
        return cls(
            chargers=chargers,
            server=ServerSettings.from_json(server)
            if isinstance(server, dict)
            else ServerSettings(),
            theme=str(data.get("theme", "system")),
            lock_style=str(data.get("lock_style", "color")),
            window={k: str(v) for k, v in window.items()} if isinstance(window, dict) else {},
        )


_CASTS: dict[str, type] = {"int": int, "str": str, "bool": bool}


def _typed_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Return the known fields of data whose values have (or convert to) the declared type."""
    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value, cast = data[f.name], _CASTS.get(str(f.type))
        if cast is bool:
            if isinstance(value, bool):
                out[f.name] = value
        elif cast is int:
            if isinstance(value, int) and not isinstance(value, bool):
                out[f.name] = value
            elif isinstance(value, str) and value.strip().isdigit():
                out[f.name] = int(value)
        elif cast is str and isinstance(value, str | int | float) and not isinstance(value, bool):
            out[f.name] = str(value)
    return out
