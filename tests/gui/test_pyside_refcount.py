"""Guard against the PySide6 6.12.0 + Python 3.11 leak of a reference to None per timer event.

qasync turns every asyncio callback into a Qt timer event; with the leak a polling app aborts with
"Fatal Python error: none_dealloc" after minutes. pyproject pins PySide6 < 6.12; this test stops an
upgrade from bringing the bug back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimerEvent


class _Ticker(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0

    def timerEvent(self, event: QTimerEvent) -> None:
        self.ticks += 1


def test_timer_events_do_not_leak_references_to_none(qapp):
    ticker = _Ticker()
    for _ in range(50):  # warm up caches
        ticker.startTimer(0)
    QCoreApplication.processEvents()
    before = sys.getrefcount(None)
    timers = [ticker.startTimer(0) for _ in range(2000)]
    deadline = 0
    while ticker.ticks < 2000 and deadline < 200:
        QCoreApplication.processEvents()
        deadline += 1
    for timer_id in timers:
        ticker.killTimer(timer_id)
    after = sys.getrefcount(None)
    assert ticker.ticks >= 2000
    assert before - after < 100, f"lost {before - after} references to None"
