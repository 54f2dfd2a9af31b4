"""The console end to end, offscreen: demo values, commands, lock widget, themes, shutdown."""

from __future__ import annotations

import asyncio
import re

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from evgui.core.reading import Source
from evgui.qt.theme import DARK, LIGHT
from tests.gui.conftest import demo_console, live
from tests.helpers import until


def answer_question(parent, yes: bool = True) -> str:
    """Click Yes (or Cancel) on the open confirmation; return its text."""
    boxes = [b for b in parent.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1, f"expected one open question, found {len(boxes)}"
    box = boxes[0]
    button = box.button(
        QMessageBox.StandardButton.Yes if yes else QMessageBox.StandardButton.Cancel
    )
    text = box.text()
    button.click()
    return text


async def test_demo_shows_live_values_from_both_protocols(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        window = console.window
        dash = window.dashboard
        assert dash.charger_id == "demo"
        await until(
            lambda: dash.gauges["active_power"].value and dash.gauges["active_power"].value > 1
        )
        power = dash.gauges["active_power"]
        assert power.reading.source in (Source.MODBUS, Source.OCPP)
        model = console.fleet.entries["demo"].model
        assert Source.OCPP in model.by_source("active_power")
        assert Source.MODBUS in model.by_source("output_current")
        await until(lambda: dash.tiles["voltage_2"].value.text().startswith("2"))  # ~230 V
        assert "V" in dash.tiles["voltage_2"].value.text()
        assert re.fullmatch(r"(Modbus|OCPP) · \d+ s", dash.tiles["voltage_2"].footer.text())
        await until(lambda: dash.state.code == 3)  # charging
        assert dash.badges["modbus"].state == "online" and dash.badges["ocpp"].state == "online"
        await until(lambda: "SimCharger" in dash.identity.text())  # BootNotification identity
        indicator = dash.indicators["ocpp_connection"]
        await until(lambda: indicator.word.text() == "CONNECTED")
        assert indicator.token == "ok"
        fleet = window.fleet_model
        assert fleet.rows[0]["modbus"] == "online" and fleet.rows[0]["ocpp"] == "online"
        await until(lambda: fleet.rows[0]["state"] == "Charging")
        assert "ws://127.0.0.1:" in window.url_label.text()
        assert str(console.fleet.server_port()) in window.server_label.text()
        await until(lambda: window.protocol.model.rowCount() > 5)
        protocols = {e.protocol for e in window.protocol.model.rows}
        assert protocols == {"modbus", "ocpp"}
        curve = dash.trends._curves["active_power"]
        await until(lambda: curve.getData()[1] is not None and max(curve.getData()[1]) > 1, 10)
        assert len(curve.getData()[0]) >= 2 and dash.trends.redraws > 1


async def test_current_limit_from_the_panel_reaches_the_simulator_and_comes_back(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        sim = console.sim
        panel = console.window.commands
        row = panel.row("max_current_limit")
        await until(row.buttons[0].isEnabled)
        row.input.setValue(10)
        QTest.mouseClick(row.buttons[0], Qt.MouseButton.LeftButton)
        assert "pending" in row.status.text()
        assert not row.buttons[0].isEnabled()  # a second click cannot send again
        await until(lambda: sim.session.max_current_limit == 10, 10)
        await until(lambda: "accepted" in row.status.text(), 10)
        model = console.fleet.entries["demo"].model
        await until(lambda: (model.value("output_current") or 99) <= 10.2, 15)  # current follows
        await until(lambda: row.now.text() == "now: 10")  # the read-back, on the next frame
        assert row.buttons[0].isEnabled()


async def test_out_of_range_limit_is_refused_before_sending(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        sent: list = []
        console.hub.subscribe(
            lambda e: sent.append(e) if getattr(e, "action", "").startswith("write") else None
        )
        panel = console.window.commands
        panel.send(
            "max_current_limit", 40, None
        )  # the spin box cannot go there; the dispatcher checks too
        row = panel.row("max_current_limit")
        await until(lambda: "invalid" in row.status.text())
        assert "6-32 A" in row.status.text()
        assert console.sim.session.max_current_limit == 32
        assert sent == []


async def test_a_double_click_sends_once(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        panel = console.window.commands
        row = panel.row("charge_mode")
        await until(row.buttons[0].isEnabled)
        events: list = []
        console.window.sender_.statusChanged.connect(lambda *args: events.append(args))
        row.input.setCurrentText("SMART")
        QTest.mouseDClick(row.buttons[0], Qt.MouseButton.LeftButton)
        QTest.mouseClick(row.buttons[0], Qt.MouseButton.LeftButton)
        await until(lambda: console.sim.session.charge_mode == "SMART", 10)
        await until(lambda: any(e[2] == "accepted" for e in events), 10)
        submitted = [e for e in events if e[1] == "charge_mode" and e[2] == "pending"]
        finished = [e for e in events if e[1] == "charge_mode" and e[2] != "pending"]
        assert len(finished) == 1, events
        assert 1 <= len(submitted) <= 2  # the panel's own "pending" and the dispatcher's


async def test_remote_stop_asks_first_and_cancel_sends_nothing(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        window = console.window
        row = window.commands.row("remote_stop")
        await until(lambda: row.buttons[0].isEnabled() and console.sim.session.transaction_active)
        row.buttons[0].click()
        assert "Stop the charging session" in answer_question(row, yes=False)
        await asyncio.sleep(0.3)
        assert console.sim.session.transaction_active
        row.buttons[0].click()
        answer_question(row, yes=True)
        await until(lambda: not console.sim.session.transaction_active, 10)
        await until(lambda: "accepted" in row.status.text(), 10)


async def test_lock_widget_cycles_through_the_four_cable_states(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        dash = console.window.dashboard
        lock = dash.lock
        sim = console.sim.session
        seen: list[int] = []

        async def reach(state: int) -> None:
            await until(lambda: lock.state == state, 15)
            seen.append(state)

        await reach(1)  # charging: latched, no permanent lock
        QTest.mouseClick(lock, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        assert "Keep the cable locked" in answer_question(dash)
        await reach(3)  # + permanent lock
        sim.unplug()  # the driver takes the cable out: nothing left to latch
        await reach(2)
        QTest.mouseClick(lock, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
        assert "Release the permanent cable lock" in answer_question(dash)
        await reach(0)
        assert seen == [1, 3, 2, 0]
        assert not sim.permanent_lock


async def test_theme_switch_repaints_everything(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        ctx = console.ctx
        window = console.window
        app = QApplication.instance()
        ctx.apply_theme("light")
        assert ctx.settings.theme == "light"
        assert app.palette().window().color().name() == LIGHT.window
        assert LIGHT.surface in app.styleSheet()
        assert window.dashboard.gauges["active_power"].theme is LIGHT
        assert window.dashboard.lock.theme is LIGHT
        assert (
            window.dashboard.trends._ensure_plot().backgroundBrush().color().name() == LIGHT.surface
        )
        assert window.theme_actions["light"].isChecked()
        light = window.grab().toImage()
        ctx.apply_theme("dark")
        dark = window.grab().toImage()
        assert app.palette().window().color().name() == DARK.window
        assert light.pixelColor(5, 5) != dark.pixelColor(5, 5)


async def test_closing_stops_servers_clients_and_simulator(settings_file):
    from evgui.app import Console, ConsoleOptions, application

    options = ConsoleOptions(demo=True, listen=("127.0.0.1", 0), settings_path=settings_file,
                             quit_after=3.0)  # fmt: skip
    running = Console(application(), options)
    code = await asyncio.wait_for(running.run(), 30)
    assert code == 0
    assert running.fleet.server_state == "stopped"
    assert all(e.poller is None for e in running.fleet.entries.values())
    assert running.sim.modbus is not None and not running.sim.modbus.running
    assert settings_file.exists()  # layout and theme remembered
    assert '"geometry"' in settings_file.read_text()
