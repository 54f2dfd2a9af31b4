"""Helpers shared by the headless subcommands: logging, address parsing, running a coroutine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from typing import Any

NOISY_LOGGERS = ("pymodbus", "ocpp", "websockets")


def setup_logging(verbose: bool = False) -> None:
    """Log warnings of our own to stderr; keep the protocol libraries' chatter out."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name in NOISY_LOGGERS:  # their errors reach the user through our own messages
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.CRITICAL)


def parse_host_port(text: str, default_port: int) -> tuple[str, int]:
    """Parse HOST:PORT (or HOST, or :PORT); raise ValueError with a readable message."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = text, str(default_port)
    host = host.strip("[]") or "127.0.0.1"
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"'{port_text}' is not a port number (in '{text}')") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is outside 0..65535")
    return host, port


def run_until_interrupted(main: Coroutine[Any, Any, int]) -> int:
    """Run a coroutine; Ctrl-C or SIGTERM cancels it so it can clean up, then exit 0."""

    async def runner() -> int:
        task = asyncio.ensure_future(main)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, task.cancel)
        try:
            return await task
        except asyncio.CancelledError:
            return 0

    return asyncio.run(runner())
