"""The `evgui` command: the console (default) and its headless subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from evgui import __version__
from evgui.cli import catalogue_cmds, modbus_cmds, ocpp_cmds, sim_cmd
from evgui.cli.common import parse_host_port

SUBCOMMAND_MODULES = (catalogue_cmds, sim_cmd, modbus_cmds, ocpp_cmds)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="evgui",
        description="Console for Level-2 AC EV chargers: Modbus poller, OCPP central system, "
        "built-in simulated charger.",
    )
    parser.add_argument("--version", action="version", version=f"evgui {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="also run the built-in simulated charger"
    )
    parser.add_argument("--theme", choices=("dark", "light", "system"), default=None)
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the main window")
    parser.add_argument(
        "--quit-after", metavar="S", type=float, default=None, help="exit after S seconds"
    )
    parser.add_argument(
        "--ocpp-listen",
        metavar="HOST:PORT",
        type=_listen,
        default=None,
        help="listen for chargers here for this run (default: the saved port on all addresses)",
    )
    parser.add_argument(
        "--self-test", action="store_true", help="check profiles, simulator, transports, UI"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run evgui with command-line arguments; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is not None:
            return int(handler(args))
        return _run_console(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `evgui points | head`
        sys.stderr.close()
        return 0


def _listen(text: str) -> tuple[str, int]:
    """Parse HOST:PORT for argparse (a bad one is a usage error, not a traceback)."""
    try:
        return parse_host_port(text, 9000)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _run_console(args: argparse.Namespace) -> int:
    """Start the desktop console (imported lazily: the headless commands never load Qt)."""
    from evgui.app import run_console

    return run_console(args)
