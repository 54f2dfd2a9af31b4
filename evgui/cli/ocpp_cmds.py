"""`evgui ocpp-server`: the central system headless, JSON events out and JSON commands in."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import sys
from collections.abc import AsyncIterator
from typing import Any

from evgui.cli.catalogue_cmds import DEFAULT_PROFILE, fail
from evgui.cli.common import run_until_interrupted, setup_logging
from evgui.core.commands import Command, CommandResult
from evgui.core.dispatcher import CommandDispatcher
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
from evgui.devices.loader import ProfileError, get_profile
from evgui.devices.profile import Profile
from evgui.transports.ocpp.doctor import Refusal
from evgui.transports.ocpp.registry import AdHocRegistry
from evgui.transports.ocpp.server import OcppServerConfig
from evgui.transports.ocpp.service import OcppService


def add_parsers(sub: Any) -> None:
    """Register `evgui ocpp-server`."""
    p = sub.add_parser("ocpp-server", help="run the OCPP central system headless")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=9000)
    p.add_argument("--path", default="/ocpp", metavar="PREFIX", help="URL prefix before the id")
    p.add_argument("--password", help="HTTP Basic password every charger must send (profile 1)")
    p.add_argument("--tls-cert", metavar="FILE", help="TLS certificate (profile 2: wss://)")
    p.add_argument("--tls-key", metavar="FILE")
    p.add_argument("--reject-unknown", action="store_true", help="refuse ids not passed with --id")
    p.add_argument(
        "--id", action="append", default=[], metavar="CP_ID", help="a known charge point"
    )
    p.add_argument(
        "--allow-tag",
        action="append",
        default=None,
        metavar="TAG",
        help="accept only these RFID tags (default: accept all)",
    )
    p.add_argument("--profile", default=DEFAULT_PROFILE, metavar="ID")
    p.add_argument("--heartbeat", type=int, default=300, metavar="S")
    p.add_argument("--meter-interval", type=int, default=10, metavar="S")
    p.add_argument(
        "--no-meter-setup", action="store_true", help="do not reconfigure meters on boot"
    )
    p.add_argument("--json", action="store_true", help="JSON lines on stdout")
    p.set_defaults(handler=cmd_ocpp_server)


def event_json(event: Event, profile: Profile) -> list[dict[str, Any]]:
    """Turn a hub event into the JSON lines `ocpp-server --json` prints."""
    if isinstance(event, ReadingsEvent):
        out = []
        for r in event.readings:
            point = profile.catalogue.get(r.point_id)
            line = {
                "event": "reading",
                "cp": event.charger_id,
                **r.to_json(point.jeedom if point else None),
            }
            out.append(line)
            if r.point_id == "ocpp_status":
                out.append(
                    {
                        "event": "status",
                        "cp": event.charger_id,
                        "status": r.value,
                        "ts": round(r.ts, 3),
                    }
                )
        return out
    if isinstance(event, LinkEvent) and event.link == "ocpp":
        kind = "connected" if event.state.value == "online" else "disconnected"
        return [{"event": kind, "cp": event.charger_id, "detail": event.detail}]
    if isinstance(event, IdentityEvent):
        return [{"event": "boot", "cp": event.charger_id, **event.identity}]
    if isinstance(event, TrafficEvent) and event.protocol == "ocpp":
        return [
            {
                "event": "frame",
                "cp": event.charger_id,
                "direction": event.direction,
                "action": event.action,
                "payload": event.payload,
                "rtt_ms": None if event.rtt_ms is None else round(event.rtt_ms, 2),
                "error": event.error,
            }
        ]
    if isinstance(event, LogEvent):
        return [
            {"event": "log", "cp": event.charger_id, "level": event.level.value, "text": event.text}
        ]
    if isinstance(event, CommandEvent) and event.status != "pending":
        return []  # the call_result line carries it
    return []


async def _stdin_lines() -> AsyncIterator[bytes]:
    """Yield stdin's lines: a pipe or terminal asynchronously, a file (or /dev/null) at once."""
    fd = sys.stdin.fileno()
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)):
        for line in sys.stdin.buffer.readlines():  # a file or /dev/null: epoll cannot watch it
            yield line
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        yield line


async def _read_commands(dispatcher: CommandDispatcher, emit: Any) -> None:
    """Read JSON command lines from stdin and print each call_result."""
    tasks: set[asyncio.Task[None]] = set()
    async for line in _stdin_lines():
        text = line.decode("utf-8", "replace").strip()
        if not text:
            continue
        try:
            request = json.loads(text)
            if (
                not isinstance(request, dict)
                or not isinstance(request.get("cp"), str)
                or not isinstance(request.get("command"), str)
            ):
                raise ValueError('expected {"cp": "...", "command": "...", "value": ...}')
        except ValueError as exc:
            emit(
                {"event": "call_result", "status": "invalid", "message": f"bad command line: {exc}"}
            )
            continue
        command = Command(request["cp"], request["command"], request.get("value"), via="ocpp")

        async def run(cmd: Command = command) -> None:
            result: CommandResult = await dispatcher.submit(cmd)
            emit({"event": "call_result", "cp": cmd.charger_id, **result.to_json()})

        task = asyncio.create_task(run())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    for task in list(tasks):
        await task


def cmd_ocpp_server(args: argparse.Namespace) -> int:
    """Run the central system until Ctrl-C."""
    setup_logging()
    if bool(args.tls_cert) != bool(args.tls_key):
        return fail("--tls-cert and --tls-key go together")
    if not 1 <= args.port <= 65535 and args.port != 0:
        return fail(f"--port {args.port} is outside 1..65535")
    try:
        profile = get_profile(args.profile)
    except (KeyError, ProfileError) as exc:
        return fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    hub = EventHub()
    config = OcppServerConfig(
        host=args.host,
        port=args.port,
        path=args.path,
        password=args.password,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        accept_unknown=not args.reject_unknown,
        heartbeat_s=args.heartbeat,
        allowed_tags=frozenset(args.allow_tag) if args.allow_tag else None,
        meter_setup=not args.no_meter_setup,
        meter_interval_s=args.meter_interval,
    )
    dispatcher = CommandDispatcher(hub, timeout_s=config.call_timeout_s + 5)
    service = OcppService(config, AdHocRegistry(hub, profile, args.id), hub, dispatcher)

    def emit(obj: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)
        elif obj["event"] in ("connected", "disconnected", "boot", "refused", "call_result", "log"):
            print(" ".join(f"{k}={v}" for k, v in obj.items()), flush=True)

    def print_event(event: Event) -> None:
        for line in event_json(event, profile):
            emit(line)

    hub.subscribe(print_event)

    def refused(refusal: Refusal) -> None:
        emit({"event": "refused", **refusal.to_json()})

    service.central.refusals.listeners.append(refused)

    async def run() -> int:
        try:
            port = await service.start()
        except OSError as exc:
            return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        for url in service.central.urls():
            print(f"charge points connect to: {url}", file=sys.stderr, flush=True)
        print(
            f"listening on port {port}; commands as JSON lines on stdin; Ctrl-C stops",
            file=sys.stderr,
            flush=True,
        )
        reader = asyncio.create_task(_read_commands(dispatcher, emit))
        try:
            await asyncio.Event().wait()
        finally:
            reader.cancel()
            await service.stop()
        return 0

    return run_until_interrupted(run())
