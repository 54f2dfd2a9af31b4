"""Charger entries and settings: field validators, URLs, round trips, broken files."""

from __future__ import annotations

import json

import pytest

from evgui.core.config import (
    AppSettings,
    ChargerConfig,
    ServerSettings,
    check_cp_id,
    check_host,
    check_int,
    check_unit_id,
    slug,
)
from evgui.storage.settings import load_settings, save_settings


@pytest.mark.parametrize("host", ["192.168.1.20", "10.0.0.1", "::1", "fe80::1", "wallbox-3.local",
                                  "charger"])  # fmt: skip
def test_good_hosts_pass(host):
    assert check_host(host) is None


@pytest.mark.parametrize(
    ("host", "why"),
    [("", "enter the charger's IP address"), ("300.1.1.1", "not an IPv4 address"),
     ("192.168.1", "not an IPv4 address"), ("my charger", "not a host name"),
     ("-bad.example", "not a host name"), ("a_b", "not a host name")],
)  # fmt: skip
def test_bad_hosts_say_why(host, why):
    assert why in check_host(host)


def test_numbers_and_unit_ids():
    assert check_int("502", 1, 65535, "port") is None
    assert check_int("0", 1, 65535, "port") == "port must be within 1-65535 (got 0)"
    assert check_int("1e3", 1, 65535, "port") == "port must be a whole number 1-65535"
    assert check_unit_id(247, "rtu") is None and check_unit_id(248, "rtu") is not None
    assert check_unit_id(255, "tcp") is None  # unit 255 is normal over TCP


def test_charge_point_ids():
    assert check_cp_id("") is None  # no OCPP
    assert check_cp_id("CP-001:main") is None
    for bad in ("has space", "a/b", "x" * 49, "é"):
        assert "charge point id" in check_cp_id(bad)


def test_a_charger_entry_reports_every_bad_field_at_once():
    config = ChargerConfig(id="x", name=" ", modbus_kind="tcp", host="999.1.1.1", port=0,
                           unit_id=300, ocpp_id="bad id", ocpp_version="1.5")  # fmt: skip
    problems = config.problems()
    assert set(problems) == {"name", "host", "port", "unit_id", "ocpp_id", "ocpp_version"}
    rtu = ChargerConfig(id="y", name="r", modbus_kind="rtu", serial_port="", parity="X",
                        stopbits=3)  # fmt: skip
    assert set(rtu.problems()) == {"serial_port", "parity", "stopbits"}
    assert "choose a Modbus link" in ChargerConfig(id="z", name="z").problems()["modbus_kind"]


def test_modbus_urls():
    tcp = ChargerConfig(id="a", name="a", modbus_kind="tcp", host="10.0.0.5", port=502, unit_id=3)
    assert tcp.modbus_url() == "tcp://10.0.0.5:502?unit=3"
    rtu = ChargerConfig(id="b", name="b", modbus_kind="rtu", serial_port="/dev/ttyUSB0",
                        baudrate=9600, parity="N", stopbits=2, unit_id=7)  # fmt: skip
    assert rtu.modbus_url() == "rtu:///dev/ttyUSB0?baud=9600&parity=N&stopbits=2&unit=7"
    assert ChargerConfig(id="c", name="c", ocpp_id="CP").modbus_url() is None


def test_server_settings_validation():
    assert ServerSettings().problems() == {}
    bad = ServerSettings(port=70000, path="/no spaces", tls_cert="c.pem")
    assert set(bad.problems()) == {"port", "path", "tls_cert"}


@pytest.mark.parametrize(
    ("text", "tags"),
    [("", None), (" ,, ", None), ("04A1B2C3D4", {"04A1B2C3D4"}),
     ("04A1B2C3D4, DEMO;CARD-7\nX", {"04A1B2C3D4", "DEMO", "CARD-7", "X"})],
)  # fmt: skip
def test_rfid_allow_list_parsing(text, tags):
    settings = ServerSettings(rfid_tags=text)
    assert settings.allowed_tags() == (frozenset(tags) if tags else None)
    assert settings.problems() == {}


@pytest.mark.parametrize("text", ["A" * 21, "OK, 0123456789ABCDEF01234", "caf\u00e9"])
def test_an_rfid_tag_ocpp_cannot_carry_is_explained(text):
    problems = ServerSettings(rfid_tags=text).problems()
    assert set(problems) == {"rfid_tags"}
    assert "1-20 printable characters" in problems["rfid_tags"]


def test_settings_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    settings = AppSettings(
        chargers=[ChargerConfig(id="garage", name="Garage", modbus_kind="tcp", host="10.0.0.9")],
        server=ServerSettings(port=9100, password="pw", rfid_tags="04A1B2C3D4, DEMO"), theme="light", lock_style="bw",
        window={"geometry": "AAAA"},
    )  # fmt: skip
    save_settings(settings, path)
    again = load_settings(path)
    assert again.to_json() == settings.to_json()
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temp file left


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", '{"chargers": "nope"}', '{"chargers": [{"name": "no id"}, 3]}'],
)
def test_a_broken_settings_file_gives_defaults_not_a_crash(tmp_path, text):
    path = tmp_path / "settings.json"
    path.write_text(text)
    settings = load_settings(path)
    assert settings.chargers == [] and settings.server.port == 9000


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path):
    path = tmp_path / "settings.json"
    entry = {"id": "a", "name": "A", "future_field": 1, "modbus_kind": "tcp", "host": "h"}
    path.write_text(json.dumps({"chargers": [entry], "server": {"port": 9001, "later": True}}))
    settings = load_settings(path)
    assert settings.chargers[0].host == "h" and settings.server.port == 9001


def test_slugs():
    assert slug("Garage Left #2") == "garage-left-2"
    assert slug("***") == "charger"


def test_values_of_the_wrong_type_fall_back_to_defaults(tmp_path):
    path = tmp_path / "settings.json"
    entry = {"id": "a", "name": "A", "port": "nope", "unit_id": "7", "host": None,
             "modbus_kind": "tcp"}  # fmt: skip
    path.write_text(json.dumps({"chargers": [entry], "server": {"port": [1], "accept_unknown": 0},
                                "window": "x"}))  # fmt: skip
    settings = load_settings(path)
    charger = settings.chargers[0]
    assert (charger.port, charger.unit_id, charger.host) == (502, 7, "")
    assert settings.server.port == 9000 and settings.server.accept_unknown is True
    assert settings.window == {}
