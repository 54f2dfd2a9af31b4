"""Test helpers: polling for a condition without nested event loops, running peer tools."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

LEAK_GRACE_S = 2.0


async def check_loop_hygiene() -> Any:
    """Fail a test that leaves unhandled loop exceptions or pending tasks behind (a fixture)."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    before = set(asyncio.all_tasks())
    yield
    me = asyncio.current_task()
    deadline = loop.time() + LEAK_GRACE_S
    while True:
        pending = [t for t in asyncio.all_tasks() - before if t is not me and not t.done()]
        if not pending or loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    loop.set_exception_handler(previous)
    assert not pending, f"tasks left running: {[t.get_name() for t in pending]}"
    assert not errors, "unhandled loop errors: " + "; ".join(
        f"{e.get('message')}: {e.get('exception')!r} in {e.get('future') or e.get('task')}"
        for e in errors
    )


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
