"""Bounded numeric time series (numpy ring buffers) for trends."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.float64]

# numpy is imported in the functions that use it (a dictionary lookup after the first time): the
# console paints its window before any series exists, 0.25 s sooner so (bench/startup.py).

DAY_AT_1HZ = 86_400
_FIRST_CHUNK = 1_024


class RingSeries:
    """A time series that keeps at most `capacity` samples, allocated as it grows."""

    def __init__(self, capacity: int = DAY_AT_1HZ) -> None:
        import numpy as np

        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        size = min(_FIRST_CHUNK, capacity)
        self._ts = np.empty(size, dtype=np.float64)
        self._values = np.empty(size, dtype=np.float32)
        self._start = 0  # index of the oldest sample
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def nbytes(self) -> int:
        """Return the memory held by the buffers."""
        return int(self._ts.nbytes + self._values.nbytes)

    def append(self, ts: float, value: float) -> None:
        """Add a sample, dropping the oldest when full; NaN and infinities are not samples."""
        if not math.isfinite(value):
            return
        size = self._ts.size
        if self._count == size and size < self.capacity:
            self._grow(min(size * 2, self.capacity))
            size = self._ts.size
        index = (self._start + self._count) % size
        self._ts[index] = ts
        self._values[index] = value
        if self._count < size:
            self._count += 1
        else:
            self._start = (self._start + 1) % size

    def _grow(self, new_size: int) -> None:
        """Reallocate to new_size, unrolling the ring so the oldest sample is first."""
        import numpy as np

        ts, values = self.arrays()
        self._ts = np.empty(new_size, dtype=np.float64)
        self._values = np.empty(new_size, dtype=np.float32)
        self._ts[: ts.size] = ts
        self._values[: values.size] = values
        self._start = 0

    def arrays(self) -> tuple[FloatArray, NDArray[np.float32]]:
        """Return (timestamps, values), oldest first, as contiguous copies."""
        import numpy as np

        end = self._start + self._count
        if end <= self._ts.size:
            return self._ts[self._start : end].copy(), self._values[self._start : end].copy()
        wrap = end - self._ts.size
        return (
            np.concatenate((self._ts[self._start :], self._ts[:wrap])),
            np.concatenate((self._values[self._start :], self._values[:wrap])),
        )

    def window(
        self, t0: float, t1: float, copy: bool = True
    ) -> tuple[FloatArray, NDArray[np.float32]]:
        """Return the samples with t0 <= ts <= t1 (one sample either side kept for drawing).

        Touches only the window, never the whole day: trends call this on every redraw. With
        copy=False an unwrapped window comes back as views of the ring (read them at once).
        """
        import numpy as np

        lo = max(self._search(t0, "left") - 1, 0)
        hi = min(self._search(t1, "right") + 1, self._count)
        if hi <= lo:
            return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.float32)
        first = self._start + lo
        if first + (hi - lo) <= self._ts.size:  # no wrap inside the window: one slice
            ts, values = self._ts[first : first + hi - lo], self._values[first : first + hi - lo]
            return (ts.copy(), values.copy()) if copy else (ts, values)
        index = (first + np.arange(hi - lo)) % self._ts.size
        return self._ts[index], self._values[index]

    def _search(self, t: float, side: str) -> int:
        """Return the logical (oldest = 0) insertion index of t among the timestamps."""
        import numpy as np

        size = self._ts.size
        head = min(self._count, size - self._start)
        found = int(np.searchsorted(self._ts[self._start : self._start + head], t, side=side))  # type: ignore[call-overload]
        if found < head:
            return found
        tail = self._count - head
        return head + int(np.searchsorted(self._ts[:tail], t, side=side))  # type: ignore[call-overload]

    def last(self) -> tuple[float, float] | None:
        """Return the newest sample."""
        if not self._count:
            return None
        index = (self._start + self._count - 1) % self._ts.size
        return float(self._ts[index]), float(self._values[index])


def peak_downsample(
    ts: FloatArray, values: NDArray[np.float32], max_points: int
) -> tuple[FloatArray, NDArray[np.float32]]:
    """Reduce a series to about max_points, keeping each bucket's min and max (peaks survive).

    The input holds no NaN (RingSeries.append refuses them), so plain argmin / argmax serve.
    """
    import numpy as np

    n = ts.size
    if n <= max_points or max_points < 4:
        return ts, values
    buckets = max_points // 2
    per = n // buckets
    usable = per * buckets
    v = values[:usable].reshape(buckets, per)
    t = ts[:usable].reshape(buckets, per)
    rows = np.arange(buckets)
    i_min = v.argmin(axis=1)
    i_max = v.argmax(axis=1)
    first = np.minimum(i_min, i_max)
    second = np.maximum(i_min, i_max)
    out_t = np.empty(buckets * 2, dtype=np.float64)
    out_v = np.empty(buckets * 2, dtype=np.float32)
    out_t[0::2], out_t[1::2] = t[rows, first], t[rows, second]
    out_v[0::2], out_v[1::2] = v[rows, first], v[rows, second]
    if usable < n:  # keep the newest samples that did not fill a bucket
        out_t = np.concatenate((out_t, ts[usable:]))
        out_v = np.concatenate((out_v, values[usable:]))
    return out_t, out_v


class SeriesStore:
    """One RingSeries per point, created on first sample."""

    def __init__(self, capacity: int = DAY_AT_1HZ) -> None:
        self.capacity = capacity
        self._series: dict[str, RingSeries] = {}

    def append(self, point_id: str, ts: float, value: float) -> None:
        """Add a sample to a point's series."""
        series = self._series.get(point_id)
        if series is None:
            series = self._series[point_id] = RingSeries(self.capacity)
        series.append(ts, value)

    def get(self, point_id: str) -> RingSeries | None:
        """Return a point's series, if it has samples."""
        return self._series.get(point_id)

    def point_ids(self) -> list[str]:
        """Return the points that have a series."""
        return list(self._series)

    @property
    def nbytes(self) -> int:
        """Return the memory held by every series."""
        return sum(s.nbytes for s in self._series.values())
