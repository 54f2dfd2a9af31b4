"""ChargerModel: per-source values, merged view, staleness, range flags, derived points, events."""

from __future__ import annotations

import pytest

from evgui.core.events import EventHub, LinkEvent, LinkState, LogEvent, ReadingsEvent
from evgui.core.model import ChargerModel
from evgui.core.reading import Quality, Reading, Source
from evgui.devices.loader import get_profile


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def events():
    return []


@pytest.fixture
def model(clock, events):
    hub = EventHub()
    hub.subscribe(events.append)
    return ChargerModel("cp1", get_profile("generic-l2").catalogue, hub=hub, clock=clock)


def r(pid, value, source=Source.MODBUS, ts=1_000_000.0, quality=Quality.GOOD, unit=""):
    return Reading(pid, value, unit, ts, source, quality)


def test_keeps_latest_value_per_source_and_merges_the_newest(model):
    model.apply([r("active_power", 7.1, Source.MODBUS, ts=10.0)])
    model.apply([r("active_power", 7.3, Source.OCPP, ts=11.0)])
    per_source = model.by_source("active_power")
    assert per_source[Source.MODBUS].value == 7.1
    assert per_source[Source.OCPP].value == 7.3
    assert model.latest("active_power").value == 7.3
    assert model.latest("power").value == 7.3  # the Jeedom name reads the same point
    assert model.latest("active_power", Source.MODBUS).value == 7.1


def test_a_stale_source_does_not_hide_a_good_one(model, clock):
    model.apply([r("active_power", 7.0, Source.OCPP, ts=clock.now)])
    model.apply([r("active_power", 6.0, Source.MODBUS, ts=clock.now - 1)])
    model.set_link("ocpp", LinkState.OFFLINE, "socket closed")
    merged = model.latest("active_power")
    assert merged.source is Source.MODBUS and merged.quality is Quality.GOOD


def test_out_of_typical_range_is_flagged_not_dropped(model):
    model.apply([r("charger_temperature", 61.0)])
    reading = model.latest("charger_temperature")
    assert reading.value == 61.0
    assert reading.quality is Quality.OUT_OF_RANGE
    assert "-25 to 50" in reading.reason


def test_value_goes_stale_after_three_periods(model, clock):
    model.apply([r("active_power", 5.0, ts=clock.now)])  # period 1 s
    model.apply([r("energy_delivered", 2.0, ts=clock.now)])  # period 10 s
    clock.now += 3.5
    changed = model.refresh_staleness()
    assert [c.point_id for c in changed if c.quality is Quality.STALE] == ["active_power"]
    assert model.latest("active_power").value == 5.0  # last value kept
    assert model.latest("energy_delivered").quality is Quality.GOOD
    clock.now += 30
    model.refresh_staleness()
    assert model.latest("energy_delivered").quality is Quality.STALE


def test_source_period_stretches_staleness_for_slow_sources(model, clock):
    model.set_source_period(Source.OCPP, 10.0)
    model.apply([r("active_power", 5.0, Source.OCPP, ts=clock.now)])
    clock.now += 20
    model.refresh_staleness()
    assert model.latest("active_power").quality is Quality.GOOD
    clock.now += 11
    model.refresh_staleness()
    assert model.latest("active_power").quality is Quality.STALE


def test_on_event_points_never_go_stale_by_time(model, clock):
    model.apply([r("rfid_read_count", 12)])
    clock.now += 100_000
    model.refresh_staleness()
    assert model.latest("rfid_read_count").quality is Quality.GOOD


def test_offline_link_marks_its_values_stale_with_a_reason(model, events):
    model.apply([r("active_power", 5.0)])
    model.set_link("modbus", LinkState.OFFLINE, "connection refused")
    reading = model.latest("active_power")
    assert reading.quality is Quality.STALE
    assert "modbus link offline since" in reading.reason
    assert any(isinstance(e, LinkEvent) and e.state is LinkState.OFFLINE for e in events)
    assert any(isinstance(e, LogEvent) and "offline" in e.text for e in events)


def test_repeated_link_state_is_published_once(model, events):
    model.set_link("modbus", LinkState.ONLINE)
    model.set_link("modbus", LinkState.ONLINE)
    assert sum(isinstance(e, LinkEvent) for e in events) == 1


def test_one_event_per_batch_with_derived_points(model, events):
    model.apply(
        [r("iec_state", "C2"), r("energy_delivered", 0.5), r("cable_locked", True),
         r("cable_locked_permanently", True)]
    )  # fmt: skip
    batches = [e for e in events if isinstance(e, ReadingsEvent)]
    assert len(batches) == 1
    ids = {x.point_id: x for x in batches[0].readings}
    assert ids["state"].value == "Charging" and ids["state"].raw == 3
    assert ids["cable_state"].raw == 3


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([("iec_state", "B2"), ("energy_delivered", 0.0)], 6),
        ([("iec_state", "B2"), ("energy_delivered", 3.2)], 4),
        ([("ocpp_status", "SuspendedEV"), ("energy_delivered", 0.0)], 6),
        ([("ocpp_status", "Faulted")], 5),
        ([("iec_state", "A1")], 1),
    ],
)
def test_state_is_derived_from_the_merged_view(model, readings, expected):
    model.apply([r(pid, value) for pid, value in readings])
    assert model.latest("state").raw == expected


def test_e_while_idle_quirk_comes_from_the_model_setting(clock):
    catalogue = get_profile("generic-l2").catalogue
    quirky = ChargerModel("q", catalogue, clock=clock, e_while_idle=True)
    quirky.apply([r("iec_state", "E"), r("cable_connected", False)])
    assert quirky.latest("state").raw == 1
    plain = ChargerModel("p", catalogue, clock=clock)
    plain.apply([r("iec_state", "E"), r("cable_connected", False)])
    assert plain.latest("state").raw == 5


def test_derived_state_goes_stale_when_its_inputs_do(model, clock):
    model.apply([r("iec_state", "C2", ts=clock.now)])
    clock.now += 10
    model.refresh_staleness()
    state = model.latest("state")
    assert state.raw == 3 and state.quality is Quality.STALE


def test_unknown_points_are_ignored(model, events):
    model.apply([r("no_such_point", 1.0)])
    assert model.snapshot() == {}
    assert not events


def test_measures_feed_the_trend_series(model):
    for i in range(5):
        model.apply([r("active_power", float(i), ts=100.0 + i)])
    _ts, values = model.series.get("active_power").arrays()
    assert list(values) == [0, 1, 2, 3, 4]
    assert model.series.get("charger_status") is None


def test_identity_event_only_on_change(model, events):
    model.set_identity(vendor="ACME", model="X1")
    model.set_identity(vendor="ACME")
    assert len([e for e in events if type(e).__name__ == "IdentityEvent"]) == 1
    assert model.identity == {"vendor": "ACME", "model": "X1"}


def test_a_failing_listener_does_not_break_the_model(model, events):
    def boom(_event):
        raise RuntimeError("listener bug")

    model.hub.subscribe(boom)
    model.apply([r("active_power", 1.0)])
    assert model.latest("active_power").value == 1.0
    assert any(isinstance(e, ReadingsEvent) for e in events)


def test_power_older_than_the_ocpp_status_does_not_contradict_it(model):
    model.apply([r("active_power", 0.0, Source.OCPP, ts=100.0)])
    model.apply([r("ocpp_status", "Charging", Source.OCPP, ts=101.0)])
    assert model.latest("state").raw == 3  # the zero was measured before charging began
    model.apply([r("active_power", 0.0, Source.OCPP, ts=102.0)])
    assert model.latest("state").raw == 6  # a fresh zero: ready, not charging


def test_state_stays_fresh_when_one_link_drops_and_the_other_reports(model, clock):
    model.apply([r("iec_state", "C2"), r("active_power", 7.0)])
    model.set_link("modbus", LinkState.OFFLINE, "cable pulled")  # Modbus values go stale
    clock.now += 1
    model.apply([r("ocpp_status", "Faulted", Source.OCPP, ts=clock.now)])
    state = model.latest("state")
    assert state.raw == 5  # from OCPP's Faulted, not from the stale pilot state C2
    assert state.quality is Quality.GOOD
    model.set_link("ocpp", LinkState.OFFLINE, "closed")  # nothing fresh left: last picture, stale
    assert model.latest("state").quality is Quality.STALE
