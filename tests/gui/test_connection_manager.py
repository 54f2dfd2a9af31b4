"""The connection manager: inline validation, save, test connection, adoption, server form."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QLineEdit

from evgui.simulators.runner import SimConfig, SimulatedCharger
from tests.gui.conftest import demo_console, live
from tests.helpers import until

BAD_INPUT = [  # (link kind, field, text, expected message)
    ("tcp", "host", "300.1.1.1", "'300.1.1.1' is not an IPv4 address"),
    ("tcp", "host", "bad host!", "is not a host name"),
    ("tcp", "host", "", "enter the charger's IP address or host name"),
    ("tcp", "port", "70000", "port must be within 1-65535 (got 70000)"),
    ("tcp", "port", "abc", "port must be a whole number 1-65535"),
    ("tcp", "unit", "256", "unit id must be within 0-255 (got 256)"),
    ("rtu", "unit", "248", "unit id must be within 0-247 (got 248)"),
    ("rtu", "serial", "", "pick the RS-485 adapter's serial port"),
    ("tcp", "cp_id", "my charger/1", "charge point id: 1-48 letters"),
    ("tcp", "cp_id", "EVGUI-DEMO", "charge point id already used by 'Demo charger (simulated)'"),
    ("tcp", "name", "  ", "give the charger a name"),
]


def set_text(field, text: str) -> None:
    """Type into a form field (line edit or editable combo)."""
    widget = field.widget
    if isinstance(widget, QLineEdit):
        widget.setText(text)
    else:
        widget.setEditText(text)


def fill(form, **values: str) -> None:
    """Fill the charger form."""
    if "kind" in values:
        form.kind.setCurrentIndex(form.kind.findData(values.pop("kind")))
    for name, text in values.items():
        set_text(getattr(form, name), text)


@pytest.mark.parametrize(("kind", "field", "text", "message"), BAD_INPUT)
async def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
    settings_file, kind, field, text, message
):
    async with demo_console(settings_file) as console:
        dialog = console.window.open_manager()
        before = dict(console.fleet.entries)
        dialog.add()
        form = dialog.form
        fill(form, name="Garage", kind=kind, host="192.168.1.20", port="502", unit="1",
             serial="/dev/ttyUSB0", cp_id="")  # fmt: skip
        assert dialog.save_button.isEnabled(), dialog.general.text()
        fill(form, **{field: text})
        error = getattr(form, field).error
        assert error.isVisible() and message in error.text()
        assert getattr(form, field).widget.property("invalid") is True
        assert not dialog.save_button.isEnabled() and not dialog.test_button.isEnabled()
        dialog.save()  # a stray Enter or a script: still nothing happens
        assert dict(console.fleet.entries) == before
        assert not settings_file.exists() or "Garage" not in settings_file.read_text()


async def test_a_charger_with_no_link_at_all_is_refused(settings_file):
    async with demo_console(settings_file) as console:
        dialog = console.window.open_manager()
        dialog.add()
        fill(dialog.form, name="Nothing", kind="none", cp_id="")
        assert "choose a Modbus link or give an OCPP charge point id" in dialog.general.text()
        assert not dialog.save_button.isEnabled()


async def test_a_valid_charger_is_tested_saved_and_polled(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        dialog = console.window.open_manager()
        dialog.add()
        fill(dialog.form, name="Garage", kind="tcp", host="127.0.0.1",
             port=str(console.sim.modbus_port), unit="1", cp_id="")  # fmt: skip
        dialog.test()
        await until(lambda: "answers" in dialog.results.text(), 10)
        assert "values read" in dialog.results.text()
        dialog.save()
        await until(lambda: "garage" in console.fleet.entries, 5)
        model = console.fleet.entries["garage"].model
        await until(lambda: model.value("active_power") is not None, 10)
        saved = json.loads(settings_file.read_text())
        names = [c["name"] for c in saved["chargers"]]
        assert names == ["Garage"]  # the demo charger is never saved
        assert console.window.fleet_model.rowCount() == 2


async def test_test_connection_says_what_did_not_work(settings_file):
    async with demo_console(settings_file) as console:
        dialog = console.window.open_manager()
        dialog.add()
        fill(dialog.form, name="Nobody", kind="tcp", host="127.0.0.1", port="1", unit="1",
             cp_id="CP-NOT-THERE")  # fmt: skip
        dialog.test()
        await until(lambda: "no answer" in dialog.results.text(), 15)
        text = dialog.results.text()
        assert "CP-NOT-THERE has not connected" in text and "ws://127.0.0.1:" in text


async def test_an_unknown_charge_point_is_offered_and_can_be_saved(settings_file):
    async with demo_console(settings_file) as console:
        port = console.fleet.server_port()
        stranger = SimulatedCharger(SimConfig(modbus_host=None, cp_id="STRANGER-7", seed=3,
                                              ocpp_url=f"ws://127.0.0.1:{port}/ocpp"))  # fmt: skip
        await stranger.start()
        try:
            window = console.window
            await until(lambda: window._adopted_id() is not None, 10)
            adopted = window._adopted_id()
            assert window.banner.isVisible() and "STRANGER-7" in window.banner_text.text()
            names = [r["name"] for r in window.fleet_model.rows]
            assert "STRANGER-7 ★" in names
            dialog = window.open_manager(adopted)
            assert dialog.selected_id() == adopted
            dialog.save()
            await until(lambda: not console.fleet.entries[adopted].adopted, 5)
            await until(lambda: not window.banner.isVisible(), 5)
            model = console.fleet.entries[adopted].model
            assert model.link_state("ocpp")[0].value == "online"  # the live session was kept
            saved = json.loads(settings_file.read_text())
            assert [c["ocpp_id"] for c in saved["chargers"]] == ["STRANGER-7"]
        finally:
            await stranger.stop()


async def test_server_settings_are_validated_and_show_the_urls(settings_file):
    async with demo_console(settings_file) as console:
        dialog = console.window.open_manager()
        server = dialog.server
        port = console.fleet.server_port()
        urls = [edit.text() for edit in server.urls_box.findChildren(QLineEdit)]
        assert any(f"ws://127.0.0.1:{port}/ocpp/" in u for u in urls)
        server.port.widget.setText("0")
        server.path.widget.setText("/bad path")
        settings, _errors = server.read()
        assert settings is None
        assert "port must be within 1-65535" in server.port.error.text()
        assert "path:" in server.path.error.text()
        server.cert.widget.setText("/tmp/cert.pem")
        server.read()
        assert "TLS needs both a certificate and a key file" in server.cert.error.text()
        server.tags.widget.setText("CARD-7, this-tag-is-longer-than-twenty")
        server.read()
        assert "1-20 printable characters" in server.tags.error.text()
        dialog.apply_server()  # invalid: the running server is left alone
        assert console.fleet.server_port() == port
        assert console.fleet.server_settings.rfid_tags == ""
        server.port.widget.setText(str(port))
        server.path.widget.setText("/ocpp")
        server.cert.widget.setText("")
        server.tags.widget.setText("CARD-7, 04A1B2C3D4")
        dialog.apply_server()  # valid: saved, and the server restarts with the allow list
        await until(lambda: console.fleet.server_settings.rfid_tags == "CARD-7, 04A1B2C3D4")
        fleet = console.fleet
        await until(
            lambda: fleet.ocpp is not None and fleet.ocpp.central.config.allowed_tags is not None
            and fleet.server_state == "listening"
        )  # fmt: skip
        assert fleet.ocpp.central.config.allowed_tags == {"CARD-7", "04A1B2C3D4"}
        assert fleet.server_port() == port
        assert "04A1B2C3D4" in settings_file.read_text(encoding="utf-8")
