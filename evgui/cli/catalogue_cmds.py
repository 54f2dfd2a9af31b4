"""`evgui profiles` and `evgui points`: the shipped profiles and their point catalogue."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from evgui.devices.loader import ProfileError, get_profile, shipped_profiles

DEFAULT_PROFILE = "generic-l2"


def add_parsers(sub: Any) -> None:
    """Register the catalogue subcommands."""
    p = sub.add_parser("profiles", help="list the shipped charger profiles")
    p.add_argument("--json", action="store_true", help="one JSON array")
    p.set_defaults(handler=cmd_profiles)
    p = sub.add_parser("points", help="print a profile's point catalogue")
    p.add_argument("--profile", default=DEFAULT_PROFILE, metavar="ID")
    p.add_argument("--json", action="store_true", help="one JSON array of point objects")
    p.set_defaults(handler=cmd_points)


def fail(message: str, code: int = 2) -> int:
    """Print an error for the user (never a traceback) and return the exit code."""
    print(f"evgui: {message}", file=sys.stderr)
    return code


def cmd_profiles(args: argparse.Namespace) -> int:
    """List profiles: id, vendor, models, transports, confidence."""
    try:
        profiles = shipped_profiles()
    except ProfileError as exc:
        return fail(f"a shipped profile is broken:\n{exc}")
    if args.json:
        print(json.dumps([p.summary() for p in profiles], indent=2, ensure_ascii=False))
        return 0
    rows = [
        (p.id, p.vendor, ", ".join(p.models), " ".join(p.transports), p.confidence)
        for p in profiles
    ]
    _table(("ID", "VENDOR", "MODELS", "TRANSPORTS", "CONFIDENCE"), rows)
    return 0


def cmd_points(args: argparse.Namespace) -> int:
    """Print a profile's catalogue as a table or JSON."""
    try:
        profile = get_profile(args.profile)
    except KeyError as exc:
        return fail(str(exc.args[0]))
    except ProfileError as exc:
        return fail(f"profile is broken:\n{exc}")
    if args.json:
        out = [p.to_json() for p in profile.points]
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    rows = []
    for p in profile.points:
        period = "event" if p.period_s is None else f"{p.period_s:g}s"
        rows.append(
            (
                p.id,
                p.kind.value,
                p.unit,
                p.range_text() or " / ".join(p.labels),
                "" if p.kind.value == "command" and p.period_s is None else period,
                p.modbus.describe() if p.modbus else ("derived" if p.derived else ""),
                p.ocpp.describe() if p.ocpp else "",
                p.jeedom or "",
            )
        )
    _table(("ID", "KIND", "UNIT", "RANGE/VALUES", "PERIOD", "MODBUS", "OCPP", "JEEDOM"), rows)
    return 0


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print rows as aligned columns."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
