"""The `evgui` command: the console (default) and its headless subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from evgui import __version__
from evgui.cli.common import parse_host_port

# Subcommand modules import the transports; the console does not need them before its window
# is on screen (bench/startup.py), so they are imported only when a subcommand or --help is asked.
SUBCOMMAND_MODULES = ("catalogue_cmds", "sim_cmd", "modbus_cmds", "ocpp_cmds")


def build_parser(with_subcommands: bool = True) -> argparse.ArgumentParser:
    """Return the argument parser (with every subcommand, or the console's options only)."""
    parser = argparse.ArgumentParser(
        prog="evgui",
        add_help=with_subcommands,
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
    if with_subcommands:
        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        for name in SUBCOMMAND_MODULES:
            importlib.import_module(f"evgui.cli.{name}").add_parsers(sub)
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the console's options cheaply; anything else goes to the full parser."""
    args, rest = build_parser(with_subcommands=False).parse_known_args(argv)
    if rest:  # a subcommand, --help or a mistake: the full parser handles or explains it
        return build_parser().parse_args(argv)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run evgui with command-line arguments; return the process exit code."""
    args = parse(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is not None:
            return int(handler(args))
        if args.self_test:
            from pathlib import Path

            from evgui.selftest import run_self_test

            return run_self_test(Path(args.screenshot) if args.screenshot else None)
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
