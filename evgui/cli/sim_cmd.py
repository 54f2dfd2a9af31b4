"""`evgui sim`: run the simulated charger headless (Modbus server and/or OCPP charge point)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from evgui.cli.catalogue_cmds import DEFAULT_PROFILE, fail
from evgui.cli.common import parse_host_port, run_until_interrupted, setup_logging
from evgui.devices.loader import ProfileError
from evgui.simulators.faults import FaultPlan
from evgui.simulators.runner import SimConfig, SimulatedCharger
from evgui.simulators.scenarios import SCENARIOS


def add_parsers(sub: Any) -> None:
    """Register `evgui sim`."""
    p = sub.add_parser("sim", help="run the simulated charger (Modbus server + OCPP charge point)")
    p.add_argument(
        "--modbus",
        default="127.0.0.1:5020",
        metavar="HOST:PORT",
        help="Modbus TCP address to serve (default 127.0.0.1:5020); 'off' for none",
    )
    p.add_argument(
        "--framing",
        choices=("tcp", "rtu-tcp", "rtu"),
        default="tcp",
        help="Modbus framing: TCP, RTU-over-TCP, or RTU on --serial",
    )
    p.add_argument("--serial", metavar="PORT", help="serial port for --framing rtu")
    p.add_argument(
        "--unit-id", type=int, default=None, metavar="N", help="Modbus unit id (default 1)"
    )
    p.add_argument("--profile", default=DEFAULT_PROFILE, metavar="ID")
    p.add_argument(
        "--ocpp-url", metavar="URL", help="central system URL, e.g. ws://127.0.0.1:9000/ocpp"
    )
    p.add_argument("--ocpp-version", choices=("1.6", "2.0.1"), default="1.6")
    p.add_argument("--password", metavar="PW", help="OCPP basic-auth password (security profile 1)")
    p.add_argument("--id", dest="cp_id", default="SIM001", metavar="CP_ID", help="charge point id")
    p.add_argument("--phases", type=int, choices=(1, 3), default=3)
    p.add_argument("--scenario", choices=tuple(SCENARIOS), default="charge")
    p.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="simulated time x real time"
    )
    p.add_argument(
        "--seed", type=int, default=None, metavar="N", help="seed the noise (repeatable)"
    )
    p.add_argument("--soc", type=float, default=None, metavar="0..1", help="arriving car's charge")
    p.add_argument(
        "--meter-interval", type=float, default=10.0, metavar="S", help="OCPP MeterValues period"
    )
    p.add_argument(
        "--voltage-phases",
        choices=("L1-N", "L1"),
        default="L1-N",
        help="how OCPP voltage phases are labelled (some chargers send L1)",
    )
    g = p.add_argument_group("fault injection")
    g.add_argument("--modbus-delay", type=float, default=0.0, metavar="MS")
    g.add_argument("--modbus-drop-every", type=int, default=0, metavar="N")
    g.add_argument("--modbus-exception", type=int, default=0, metavar="CODE")
    g.add_argument("--modbus-silent", action="store_true", help="read requests, never answer")
    g.add_argument(
        "--modbus-unimplemented",
        default="",
        metavar="ADDR,..",
        help="holding/input wire addresses that do not exist",
    )
    g.add_argument("--ocpp-reject", action="append", default=[], metavar="ACTION")
    g.add_argument("--ocpp-delay", type=float, default=0.0, metavar="MS")
    g.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=("ground_fault", "over_temperature", "pilot_e"),
        help="start with a fault",
    )
    p.set_defaults(handler=cmd_sim)


def config_from_args(args: argparse.Namespace) -> SimConfig:
    """Build a SimConfig from parsed arguments (ValueError names the bad one)."""
    faults = FaultPlan()
    faults.modbus.delay_ms = args.modbus_delay
    faults.modbus.drop_every = args.modbus_drop_every
    faults.modbus.exception_code = args.modbus_exception
    faults.modbus.silent = args.modbus_silent
    if args.modbus_unimplemented:
        try:
            faults.modbus.unimplemented = {int(a) for a in args.modbus_unimplemented.split(",")}
        except ValueError:
            raise ValueError(
                f"--modbus-unimplemented: '{args.modbus_unimplemented}' is not a list of numbers"
            ) from None
    faults.ocpp.reject = set(args.ocpp_reject)
    faults.ocpp.delay_ms = args.ocpp_delay
    if args.modbus_exception and not 1 <= args.modbus_exception <= 11:
        raise ValueError("--modbus-exception must be a Modbus exception code 1..11")
    if args.soc is not None and not 0 <= args.soc < 1:
        raise ValueError("--soc must be within 0..1")
    if args.unit_id is not None and not 1 <= args.unit_id <= 255:
        raise ValueError("--unit-id must be within 1..255 (1..247 on a serial bus)")
    host: str | None = None
    port = 0
    if args.modbus != "off":
        host, port = parse_host_port(args.modbus, 5020)
    if args.framing == "rtu" and not args.serial:
        raise ValueError("--framing rtu needs --serial PORT")
    return SimConfig(
        profile_id=args.profile, modbus_host=host, modbus_port=port, modbus_framing=args.framing,
        serial_port=args.serial, unit_id=args.unit_id, ocpp_url=args.ocpp_url,
        ocpp_version=args.ocpp_version, password=args.password, cp_id=args.cp_id,
        phases=args.phases, scenario=args.scenario, speed=args.speed, seed=args.seed,
        soc=args.soc, meter_interval_s=args.meter_interval, voltage_phases=args.voltage_phases,
        faults=faults,
    )  # fmt: skip


def cmd_sim(args: argparse.Namespace) -> int:
    """Run until Ctrl-C, printing one line per state change."""
    setup_logging()
    try:
        config = config_from_args(args)
        charger = SimulatedCharger(config, on_event=lambda line: print(line, flush=True))
    except (ValueError, KeyError, ProfileError) as exc:
        return fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    for fault in args.fault:
        charger.session.set_fault(fault)

    async def run() -> int:
        try:
            await charger.start()
        except OSError as exc:
            return fail(f"cannot serve Modbus on {args.modbus}: {exc.strerror or exc}")
        where = []
        if charger.modbus:
            where.append(
                f"Modbus {config.modbus_framing} "
                + (config.serial_port or f"{config.modbus_host}:{charger.modbus_port}")
                + f" unit {charger.unit_id}"
            )
        if config.ocpp_url:
            where.append(f"OCPP {config.ocpp_version} -> {config.ocpp_url}/{config.cp_id}")
        faces = ", ".join(where) or "no faces"
        run_mode = f"scenario {config.scenario}, speed x{config.speed:g}"
        print(
            f"simulated {charger.profile.id} charger: {faces}; {run_mode}. Ctrl-C stops.",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await charger.stop()
            print("simulator stopped", file=sys.stderr, flush=True)
        return 0

    return run_until_interrupted(run())
