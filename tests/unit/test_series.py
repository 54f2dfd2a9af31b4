"""Ring-buffer series and peak downsampling."""

from __future__ import annotations

import numpy as np
import pytest

from evgui.core.series import RingSeries, SeriesStore, peak_downsample


def test_ring_keeps_the_newest_samples_in_order():
    s = RingSeries(capacity=5)
    for i in range(12):
        s.append(float(i), float(i * 10))
    ts, values = s.arrays()
    assert list(ts) == [7, 8, 9, 10, 11]
    assert list(values) == [70, 80, 90, 100, 110]
    assert s.last() == (11.0, 110.0)


def test_ring_grows_lazily_up_to_capacity():
    s = RingSeries(capacity=100_000)
    assert s.nbytes < 20_000
    for i in range(5000):
        s.append(float(i), 1.0)
    assert len(s) == 5000
    assert s.nbytes < 100_000 * 12


def test_a_day_of_twelve_series_fits_in_30_mb():
    store = SeriesStore()
    for i in range(86_400):
        store.append("active_power", float(i), 1.0)
    one_day = store.get("active_power")
    assert len(one_day) == 86_400
    assert 12 * one_day.nbytes <= 30 * 1024 * 1024


def test_window_returns_the_samples_in_range_plus_neighbours():
    s = RingSeries(capacity=100)
    for i in range(100):
        s.append(float(i), float(i))
    ts, _ = s.window(10, 20)
    assert ts[0] == 9 and ts[-1] == 21


def test_peak_downsampling_keeps_spikes():
    ts = np.arange(10_000, dtype=np.float64)
    values = np.zeros(10_000, dtype=np.float32)
    values[4321] = 99.0
    values[777] = -5.0
    out_t, out_v = peak_downsample(ts, values, 200)
    assert out_t.size <= 210
    assert out_v.max() == 99.0 and out_v.min() == -5.0
    assert np.all(np.diff(out_t) >= 0)


def test_downsampling_short_series_is_identity():
    ts = np.arange(10, dtype=np.float64)
    values = np.arange(10, dtype=np.float32)
    out_t, out_v = peak_downsample(ts, values, 100)
    assert out_t is ts and out_v is values


def test_capacity_must_be_positive():
    with pytest.raises(ValueError, match="capacity"):
        RingSeries(0)


def test_window_across_the_ring_wrap_matches_a_plain_slice():
    ring = RingSeries(capacity=50)
    for n in range(137):  # wraps several times: the oldest sample sits mid-buffer
        ring.append(float(n), float(n) * 2)
    ts, values = ring.arrays()
    for t0, t1 in ((87.0, 136.0), (90.5, 120.2), (0.0, 95.0), (130.0, 1e9), (200.0, 300.0)):
        lo = max(int(np.searchsorted(ts, t0, "left")) - 1, 0)
        hi = min(int(np.searchsorted(ts, t1, "right")) + 1, ts.size)
        got_t, got_v = ring.window(t0, t1)
        assert got_t.tolist() == ts[lo:hi].tolist()
        assert got_v.tolist() == values[lo:hi].tolist()


def test_nan_and_infinity_are_not_stored():
    ring = RingSeries(capacity=10)
    for value in (1.0, float("nan"), float("inf"), 2.0, float("-inf")):
        ring.append(float(len(ring)), value)
    assert ring.arrays()[1].tolist() == [1.0, 2.0]
