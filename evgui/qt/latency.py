"""Receipt-to-paint latency of readings, recorded only while a benchmark switches it on.

Widgets that show a reading call `PAINT_LATENCY.painted(reading)` from their paint path; with
recording off (the default) that is one attribute test. bench/site_load.py turns it on.
"""

from __future__ import annotations

import time
from collections import deque

from evgui.core.reading import Reading


class PaintLatency:
    """Seconds from a reading's receipt (Reading.received) to the first paint that shows it."""

    def __init__(self, limit: int = 200_000) -> None:
        self.enabled = False
        self.samples: deque[tuple[str, str, float]] = deque(maxlen=limit)  # where, point, s

    def painted(self, reading: Reading | None, where: str) -> None:
        """Record a reading being painted (call once per reading, not per repaint)."""
        if self.enabled and reading is not None and reading.received is not None:
            latency = time.monotonic() - reading.received
            self.samples.append((where, reading.point_id, latency))


PAINT_LATENCY = PaintLatency()
