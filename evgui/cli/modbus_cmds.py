"""`evgui probe | watch | write | scan`: the Modbus transport from the command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from typing import Any

from evgui.cli.catalogue_cmds import DEFAULT_PROFILE, _table, fail
from evgui.cli.common import run_until_interrupted, setup_logging
from evgui.core.commands import Command, CommandStatus
from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import Event, EventHub, LinkEvent, LinkState, ReadingsEvent
from evgui.core.model import ChargerModel
from evgui.core.reading import Reading
from evgui.devices.loader import ProfileError, get_profile
from evgui.devices.profile import Profile
from evgui.transports.modbus.link import ModbusLink
from evgui.transports.modbus.planner import PollPlan
from evgui.transports.modbus.poller import BlockReader, ModbusPoller
from evgui.transports.modbus.url import LinkConfig, LinkUrlError, parse_link_url
from evgui.transports.modbus.writer import ModbusCommandExecutor

URL_HELP = "tcp://HOST:PORT?unit=N, rtu://PORT?baud=19200&parity=E&stopbits=1&unit=N, rtu-tcp://HOST:PORT?unit=N"


def add_parsers(sub: Any) -> None:
    """Register the Modbus subcommands."""
    p = sub.add_parser("probe", help="read every point of a charger once")
    p.add_argument("url", help=URL_HELP)
    p.add_argument("--profile", default=DEFAULT_PROFILE, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="give up after S seconds"
    )
    p.set_defaults(handler=lambda a: _run(cmd_probe(a)))
    p = sub.add_parser("watch", help="poll a charger and stream its readings")
    p.add_argument("url", help=URL_HELP)
    p.add_argument("--profile", default=DEFAULT_PROFILE, metavar="ID")
    p.add_argument("--duration", type=float, default=None, metavar="S")
    p.add_argument("--json", action="store_true", help="JSON lines")
    p.set_defaults(handler=lambda a: _run(cmd_watch(a)))
    p = sub.add_parser("write", help="validated write of a command point, then read-back")
    p.add_argument("url", help=URL_HELP)
    p.add_argument("point", help="command point id (max_current_limit...)")
    p.add_argument(
        "value", nargs="?", default=None, help="value (omit for actions like remote_stop)"
    )
    p.add_argument("--profile", default=DEFAULT_PROFILE, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S")
    p.set_defaults(handler=lambda a: _run(cmd_write(a)))
    p = sub.add_parser("scan", help="find which unit ids answer on a link")
    p.add_argument("url", help=URL_HELP)
    p.add_argument(
        "--units", default="1-247", metavar="A-B", help="unit ids to try (1-247, or 1,2,5)"
    )
    p.add_argument("--timeout", type=float, default=0.3, metavar="S", help="per unit id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=lambda a: _run(cmd_scan(a)))


def _run(coro: Any) -> int:
    setup_logging()
    return run_until_interrupted(coro)


def _open(args: argparse.Namespace, timeout: float | None = None) -> tuple[Profile, LinkConfig]:
    """Load the profile and parse the URL with its defaults (errors are for the user)."""
    profile = get_profile(args.profile)
    if profile.modbus is None:
        raise ValueError(f"profile {profile.id} has no Modbus map")
    config = parse_link_url(
        args.url, default_port=profile.modbus.port, default_unit=profile.modbus.unit_id
    )
    changes: dict[str, Any] = {"min_gap_ms": profile.modbus.min_gap_ms}
    if timeout is not None:
        changes["timeout_s"] = min(config.timeout_s, max(timeout / 3, 0.1))
        changes["retries"] = 0
    return profile, dataclasses.replace(config, **changes)


def _user_error(exc: Exception) -> int:
    if isinstance(exc, KeyError):
        return fail(str(exc.args[0]))
    return fail(str(exc))


def _reading_json(profile: Profile, reading: Reading) -> dict[str, Any]:
    point = profile.catalogue.get(reading.point_id)
    return reading.to_json(point.jeedom if point else None)


async def cmd_probe(args: argparse.Namespace) -> int:
    """Read every point once; exit 1 when the charger cannot be reached."""
    try:
        profile, config = _open(args, args.timeout)
    except (LinkUrlError, ValueError, KeyError, ProfileError) as exc:
        return _user_error(exc)
    link = ModbusLink(config)
    plan = PollPlan(profile.points, profile.modbus)  # type: ignore[arg-type]
    reader = BlockReader("probe", link, config.unit_id, plan)
    started = time.monotonic()
    try:
        readings = await asyncio.wait_for(reader.read(plan.full_cycle()), args.timeout)
    except TimeoutError:
        readings = []
        link.detail = link.detail or f"no complete answer within {args.timeout:g} s"
    finally:
        await link.close()
    elapsed = (time.monotonic() - started) * 1000
    order = {p.id: n for n, p in enumerate(profile.points)}
    readings.sort(key=lambda r: order.get(r.point_id, 0))
    if not readings:
        why = link.detail or "no answer"
        return fail(f"cannot read {config.describe()} unit {config.unit_id}: {why}", 1)
    if args.json:
        out = {
            "url": args.url,
            "profile": profile.id,
            "unit": config.unit_id,
            "requests": reader.requests,
            "elapsed_ms": round(elapsed, 1),
            "points": [_reading_json(profile, r) for r in readings],
        }
        print(json.dumps(out, ensure_ascii=False))
        return 0
    rows = [
        (
            r.point_id,
            "" if r.value is None else str(r.value),
            r.unit,
            r.quality.value,
            r.reason or "",
        )
        for r in readings
    ]
    _table(("POINT", "VALUE", "UNIT", "QUALITY", "REASON"), rows)
    print(
        f"{len(readings)} points in {reader.requests} requests, {elapsed:.0f} ms", file=sys.stderr
    )
    return 0


async def cmd_watch(args: argparse.Namespace) -> int:
    """Poll until the duration ends (or Ctrl-C), printing readings as they change."""
    try:
        profile, config = _open(args)
    except (LinkUrlError, ValueError, KeyError, ProfileError) as exc:
        return _user_error(exc)
    hub = EventHub()
    model = ChargerModel(
        "watch", profile.catalogue, hub=hub, e_while_idle=profile.quirks.e_while_idle
    )
    link = ModbusLink(config)

    def show(event: Event) -> None:
        if isinstance(event, ReadingsEvent):
            for r in event.readings:
                if args.json:
                    print(json.dumps(_reading_json(profile, r), ensure_ascii=False), flush=True)
                else:
                    stamp = time.strftime("%H:%M:%S")
                    line = f"{stamp} {r.point_id:26s} {r.value!s:>12} {r.unit:4s} {r.quality.value}"
                    print(line, flush=True)
        elif isinstance(event, LinkEvent) and args.json:
            link_line = {"event": "link", "state": event.state.value, "detail": event.detail}
            print(json.dumps(link_line), flush=True)

    hub.subscribe(show)
    poller = ModbusPoller(model, profile, link, config.unit_id)
    poller.start()
    try:
        if args.duration is None:
            await asyncio.Event().wait()
        await asyncio.sleep(args.duration)
    finally:
        await poller.stop()
        await link.close()
    return 0 if link.state is not LinkState.OFFLINE else 1


async def cmd_write(args: argparse.Namespace) -> int:
    """Validate, write, read back; exit 0 only when the charger took the value."""
    try:
        profile, config = _open(args)
    except (LinkUrlError, ValueError, KeyError, ProfileError) as exc:
        return _user_error(exc)
    point = profile.catalogue.get(args.point)
    if point is None:
        commands = ", ".join(p.id for p in profile.points if p.kind.value == "command")
        return fail(f"no point '{args.point}' in {profile.id} (commands: {commands})")
    hub = EventHub()
    link = ModbusLink(config)
    dispatcher = CommandDispatcher(hub, timeout_s=args.timeout)
    dispatcher.register(
        "cli",
        profile.catalogue,
        ModbusCommandExecutor(
            "cli",
            link,
            config.unit_id,
            hub,
            catalogue=profile.catalogue,
            write_multiple=profile.modbus.write_multiple,  # type: ignore[union-attr]
        ),
    )
    try:
        result = await dispatcher.submit(Command("cli", point.id, args.value))
    finally:
        await link.close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        stream = sys.stdout if result.status.ok else sys.stderr
        print(
            f"{point.id} = {args.value}: {result.status.value}"
            + (f" ({result.message})" if result.message else ""),
            file=stream,
        )
    if result.status is CommandStatus.INVALID:
        return 2
    return 0 if result.status.ok else 1


def _unit_range(text: str) -> list[int]:
    units: list[int] = []
    for part in text.split(","):
        low, sep, high = part.partition("-")
        try:
            a, b = int(low), int(high) if sep else int(low)
        except ValueError:
            raise ValueError(f"--units '{text}' must look like 1-247 or 1,2,5") from None
        if not 0 <= a <= b <= 247:
            raise ValueError(f"--units '{part}' must lie within 0..247")
        units.extend(range(a, b + 1))
    return units


async def cmd_scan(args: argparse.Namespace) -> int:
    """Try each unit id; list those that answer (an exception answer counts, gateway errors not)."""
    try:
        config = parse_link_url(args.url)
        units = _unit_range(args.units)
    except (LinkUrlError, ValueError) as exc:
        return fail(str(exc))
    config = dataclasses.replace(config, timeout_s=args.timeout, retries=0)
    link = ModbusLink(config, offline_after=10**9)  # silence is the expected answer here
    found: list[dict[str, Any]] = []
    try:
        for n, unit in enumerate(units, 1):
            print(
                f"\rscanning unit {unit} ({n}/{len(units)}), found {len(found)}",
                end="",
                file=sys.stderr,
                flush=True,
            )
            result = await link.read_any(unit)
            if result.offline:
                print(file=sys.stderr)
                return fail(f"cannot reach {config.describe()}: {result.error}", 1)
            if result.ok or (
                result.exception_code is not None and result.exception_code not in (10, 11)
            ):
                found.append(
                    {
                        "unit": unit,
                        "answer": "data" if result.ok else result.error,
                        "rtt_ms": round(result.rtt_ms, 1),
                    }
                )
    finally:
        await link.close()
    print(file=sys.stderr)
    if args.json:
        print(json.dumps({"url": args.url, "found": found}))
    else:
        for item in found:
            print(f"unit {item['unit']}: answers ({item['answer']}, {item['rtt_ms']} ms)")
        if not found:
            print("no unit id answered", file=sys.stderr)
    return 0 if found else 1
