"""Test helpers: polling for a condition without nested event loops, running peer tools."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest


async def until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Await until predicate() is truthy; fail the test with a message on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"condition not met within {timeout} s: {getattr(predicate, '__doc__', '')}"
            )
        await asyncio.sleep(interval)


def need_tool(name: str) -> str:
    """Return the path of a peer tool; a missing tool fails (CI installs it), never skips."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"'{name}' is not installed (apt-get install {name}); .ci/run installs it")
    return path


async def run_tool(*args: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """Run a peer tool in a thread so the event loop (and our servers) keep running."""
    return await asyncio.to_thread(
        subprocess.run, list(args), capture_output=True, text=True, timeout=timeout, check=False
    )
