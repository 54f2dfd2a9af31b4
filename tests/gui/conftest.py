"""GUI fixtures: the real console (fleet, simulator, window) on one qasync loop, offscreen."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QCoreApplication, QEvent

from evgui.app import Console, ConsoleOptions, application
from tests.helpers import check_loop_hygiene, until

loop_hygiene = pytest.fixture(autouse=True)(check_loop_hygiene)


@pytest.fixture(autouse=True)
def collect_qt_garbage():
    """Collect the test's Python-owned Qt objects now, between tests.

    Left to the garbage collector, a widget from one test can be deleted in the middle of a Qt
    timer dispatch of the next one (seen as a crash in QTimerInfoList::activateTimers).
    """
    yield
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def pytest_asyncio_loop_factories(config, item):
    """Run this directory's async tests on a qasync loop (the one the console really uses)."""
    return {"qasync": lambda: qasync.QEventLoop(application())}


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """Where the console under test keeps its settings (never the user's own)."""
    return tmp_path / "config" / "settings.json"


@contextlib.asynccontextmanager
async def demo_console(settings_file: Path, **options: Any) -> AsyncIterator[Console]:
    """Run the console with --demo (simulator in-process, OCPP on 127.0.0.1 port 0).

    A context manager inside the test, not an async fixture: pytest-qt processes Qt events
    between test phases, and qasync callbacks must never run while the loop is not running.
    """
    settings = {"demo": True, "listen": ("127.0.0.1", 0), "settings_path": settings_file,
                "theme": "dark", **options}  # fmt: skip
    running = Console(application(), ConsoleOptions(**settings))
    window = await running.start()
    try:
        await until(window.isVisible, 5)
        yield running
    finally:
        if window.isVisible():
            window.close()
        await running.stop()


async def live(console: Console, timeout: float = 15.0) -> None:
    """Wait until the demo charger reports over both Modbus and OCPP."""
    model = console.fleet.entries["demo"].model

    def both() -> bool:
        """Modbus and OCPP values have arrived."""
        sources = {r.source.value for r in model.by_source("active_power").values()}
        return {"modbus", "ocpp"} <= sources

    await until(both, timeout)
