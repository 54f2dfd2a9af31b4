"""Load and validate charger profiles (TOML); each problem names the file, point and field."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from evgui.core.points import Access, ByteOrder, Catalogue, PointDef, PointKind, WordOrder
from evgui.devices.points_parser import check_overlaps, parse_point
from evgui.devices.profile import (
    KeepAlive,
    ModbusSettings,
    ModbusTransport,
    OcppSettings,
    Profile,
    Quirks,
    ReadStrategy,
    SerialDefaults,
    SourceRef,
)
from evgui.devices.reader import ProfileError, ProfileIssue, TableReader
from evgui.resources import resource_path

__all__ = [
    "ProfileError", "ProfileIssue", "get_profile", "load_profile", "parse_profile",
    "profiles_dir", "shipped_profiles",
]  # fmt: skip
_PROFILE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _parse_settings(root: TableReader) -> tuple[ModbusSettings | None, OcppSettings | None]:
    """Parse the profile's `[modbus]` and `[ocpp]` tables."""
    modbus: ModbusSettings | None = None
    mr = root.sub("modbus")
    if mr is not None:
        transports = []
        for name in mr.get("transports", list, ["tcp"]):
            try:
                transports.append(ModbusTransport(name))
            except ValueError:
                mr.error("transports", f"unknown transport '{name}' (tcp, rtu, rtu-tcp)")
        sr = mr.sub("serial")
        serial = SerialDefaults()
        if sr is not None:
            serial = SerialDefaults(
                baudrate=sr.get("baudrate", int, 19200),
                parity=sr.get("parity", str, "E"),
                stopbits=sr.get("stopbits", int, 1),
                bytesize=sr.get("bytesize", int, 8),
            )
            sr.finish()
            if serial.parity not in ("N", "E", "O"):
                sr.error("parity", f"'{serial.parity}' is not N, E or O")
        keepalive: list[KeepAlive] = []
        for index, item in enumerate(mr.get("keepalive", list, [])):
            kr = TableReader(
                item if isinstance(item, dict) else {},
                root.file,
                root.issues,
                None,
                f"modbus.keepalive[{index}].",
            )
            ka = KeepAlive(
                point_id=kr.get("point", str, "", required=True),
                interval_s=kr.get("interval_s", float, 0.0, required=True),
                value=kr.get("value", float, None),
                fallback=kr.get("fallback", str, ""),
            )
            kr.finish()
            if ka.interval_s <= 0:
                kr.error("interval_s", "must be > 0")
            keepalive.append(ka)
        modbus = ModbusSettings(
            transports=tuple(transports) or (ModbusTransport.TCP,),
            port=mr.get("port", int, 502),
            unit_id=mr.get("unit_id", int, 1),
            unit_ids=tuple(mr.get("unit_ids", list, [])),
            serial=serial,
            word_order=mr.choice("word_order", WordOrder, WordOrder.BIG) or WordOrder.BIG,
            byte_order=mr.choice("byte_order", ByteOrder, ByteOrder.BIG) or ByteOrder.BIG,
            read_strategy=mr.choice("read_strategy", ReadStrategy, ReadStrategy.BLOCK)
            or ReadStrategy.BLOCK,
            max_block=mr.get("max_block", int, 125),
            max_gap=mr.get("max_gap", int, 16),
            min_gap_ms=mr.get("min_gap_ms", float, 0.0),
            event_poll_s=mr.get("event_poll_s", float, 5.0),
            timeout_s=mr.get("timeout_s", float, 2.0),
            keepalive=tuple(keepalive),
            write_multiple=mr.get("write_multiple", bool, False),
        )
        mr.finish()
        if not 1 <= modbus.max_block <= 125:
            mr.error("max_block", "must be within 1..125 registers")
        if not 1 <= modbus.port <= 65535:
            mr.error("port", f"{modbus.port} is outside 1..65535")
    ocpp: OcppSettings | None = None
    orr = root.sub("ocpp")
    if orr is not None:
        ocpp = OcppSettings(
            versions=tuple(orr.get("versions", list, ["1.6"])),
            profile_purpose=orr.get("profile_purpose", str, "TxDefaultProfile"),
            rate_unit=orr.get("rate_unit", str, "A"),
            stack_level=orr.get("stack_level", int, 0),
            profile_connector=orr.get("profile_connector", int, 0),
            charge_enable=orr.get("charge_enable", str, "RemoteStartTransaction"),
        )
        orr.finish()
        if ocpp.profile_purpose not in ("TxDefaultProfile", "TxProfile", "ChargePointMaxProfile"):
            orr.error("profile_purpose", f"unknown purpose '{ocpp.profile_purpose}'")
        if ocpp.rate_unit not in ("A", "W"):
            orr.error("rate_unit", f"'{ocpp.rate_unit}' is not A or W")
        if ocpp.charge_enable not in ("RemoteStartTransaction", "ChangeAvailability"):
            orr.error("charge_enable", f"'{ocpp.charge_enable}' is not a known message")
    return modbus, ocpp


def parse_profile(data: dict[str, Any], file: str, path: Path | None = None) -> Profile:
    """Build a Profile from parsed TOML, raising ProfileError listing every problem."""
    issues: list[ProfileIssue] = []
    root = TableReader(data, file, issues)
    head = root.sub("profile") or TableReader({}, file, issues, None, "profile.")
    if "profile" not in data:
        root.error("profile", "is required")
    profile_id = head.get("id", str, "", required=True)
    if profile_id and not _PROFILE_ID.match(profile_id):
        head.error("id", f"'{profile_id}' must be lowercase letters, digits and dashes")
    sources = []
    for index, item in enumerate(head.get("sources", list, [])):
        sr = TableReader(
            item if isinstance(item, dict) else {}, file, issues, None, f"profile.sources[{index}]."
        )
        sources.append(
            SourceRef(
                title=sr.get("title", str, "", required=True),
                url=sr.get("url", str, ""),
                confidence=sr.get("confidence", str, ""),
                note=sr.get("note", str, ""),
            )
        )
        sr.finish()
    qr = head.sub("quirks")
    quirks = Quirks()
    if qr is not None:
        quirks = Quirks(
            e_while_idle=qr.get("e_while_idle", bool, False),
            zero_current_means_no_limit=qr.get("zero_current_means_no_limit", bool, False),
            notes=tuple(qr.get("notes", list, [])),
        )
        qr.finish()
    vendor = head.get("vendor", str, "", required=True)
    models = tuple(head.get("models", list, []))
    description = head.get("description", str, "")
    confidence = head.get("confidence", str, "spec")
    disagreements = tuple(head.get("disagreements", list, []))
    derive = head.get("derive", list, [])
    head.finish()
    modbus, ocpp = _parse_settings(root)
    points: list[PointDef] = []
    for index, item in enumerate(root.get("points", list, [], required=True)):
        if not isinstance(item, dict):
            root.error(f"points[{index}]", "expected a table")
            continue
        reader = TableReader(item, file, issues, f"#{index}")
        point = parse_point(reader, modbus or ModbusSettings())
        if point is not None:
            points.append(point)
    root.finish()
    shared = {p.id: p for p in _shared_derived_points()}
    for name in derive:
        if name not in shared:
            head.error("derive", f"no shared derived point '{name}' (known: {', '.join(shared)})")
        elif all(p.id != name for p in points):
            points.append(shared[name])
    _check_catalogue(points, file, issues, modbus)
    if issues:
        raise ProfileError(issues)
    return Profile(
        id=profile_id,
        vendor=vendor,
        models=models,
        catalogue=Catalogue(tuple(points)),
        description=description,
        confidence=confidence,
        sources=tuple(sources),
        disagreements=disagreements,
        modbus=modbus,
        ocpp=ocpp,
        quirks=quirks,
        path=path,
    )


def _check_catalogue(
    points: list[PointDef], file: str, issues: list[ProfileIssue], modbus: ModbusSettings | None
) -> None:
    """Record problems between points: duplicate ids or Jeedom names, overlaps, keep-alives."""
    seen: dict[str, str] = {}
    for point in points:
        for name in {point.id, point.jeedom} - {None}:
            assert name is not None
            if name in seen:
                field = "id" if name == point.id else "jeedom"
                issues.append(
                    ProfileIssue(
                        file, point.id, field, f"'{name}' already names point '{seen[name]}'"
                    )
                )
            seen[name] = point.id
    check_overlaps(points, file, issues)
    by_id = {p.id: p for p in points}
    for point in points:
        target = point.modbus.verify_with if point.modbus else None
        if target is None:
            continue
        other = by_id.get(target)
        if other is None or other.modbus is None or other.modbus.access is Access.WRITE:
            issues.append(
                ProfileIssue(file, point.id, "modbus.verify_with", f"no readable point '{target}'")
            )
    for index, ka in enumerate(modbus.keepalive if modbus else ()):
        refreshed = by_id.get(ka.point_id)
        where = f"modbus.keepalive[{index}].point"
        if refreshed is None:
            issues.append(ProfileIssue(file, None, where, f"no point '{ka.point_id}'"))
        elif refreshed.kind is not PointKind.COMMAND or refreshed.modbus is None:
            issues.append(
                ProfileIssue(file, ka.point_id, where, "must be a writable Modbus command")
            )


@cache
def _shared_derived_points() -> tuple[PointDef, ...]:
    """Return the derived points of profiles/common/derived.toml (state, cable_state)."""
    path = resource_path("profiles", "common", "derived.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    issues: list[ProfileIssue] = []
    defaults = ModbusSettings()
    points = [parse_point(TableReader(p, path.name, issues), defaults) for p in data["points"]]
    if issues:
        raise ProfileError(issues)
    return tuple(p for p in points if p is not None)


def load_profile(path: Path) -> Profile:
    """Load one profile file, raising ProfileError (never a bare TOML traceback)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([ProfileIssue(path.name, None, "(syntax)", str(exc))]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError([ProfileIssue(path.name, None, "(file)", str(exc))]) from exc
    return parse_profile(data, path.name, path)


def profiles_dir() -> Path:
    """Return the directory of shipped profiles."""
    return resource_path("profiles")


@cache
def shipped_profiles() -> tuple[Profile, ...]:
    """Load every shipped profile (sorted by id); a broken one raises ProfileError."""
    return tuple(
        sorted((load_profile(p) for p in profiles_dir().glob("*.toml")), key=lambda p: p.id)
    )


def get_profile(profile_id: str) -> Profile:
    """Return a shipped profile by id, or raise KeyError naming the ones that exist."""
    for profile in shipped_profiles():
        if profile.id == profile_id:
            return profile
    known = ", ".join(p.id for p in shipped_profiles())
    raise KeyError(f"no profile '{profile_id}' (shipped: {known})")
