"""Panels on their own or on the demo: logs, trends, lock renderings, disabled commands."""

from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel

from evgui.core.reading import Quality, Reading, Source
from evgui.qt.theme import DARK, LIGHT
from evgui.ui.common import ElidedLabel
from evgui.ui.indicators import CableLockWidget
from tests.gui.conftest import demo_console, live
from tests.helpers import until


def lock_reading(state: int) -> Reading:
    """Return a derived cable_state reading."""
    return Reading("cable_state", "x", "", time.time(), Source.DERIVED, Quality.GOOD, raw=state)


def test_the_lock_widget_has_sixteen_distinct_renderings(qtbot):
    images = {}
    for theme, style, state in itertools.product((DARK, LIGHT), ("color", "bw"), range(4)):
        widget = CableLockWidget(theme, style)
        qtbot.addWidget(widget)
        widget.resize(220, 64)
        widget.set_reading(lock_reading(state))
        assert widget.state == state
        image: QImage = widget.grab().toImage()
        images[(theme.name, style, state)] = bytes(image.constBits())
    assert len(set(images.values())) == 16
    bw_dark = CableLockWidget(DARK, "bw")
    qtbot.addWidget(bw_dark)
    bw_dark.set_reading(lock_reading(3))
    lock, pin, ink = bw_dark.colors()
    assert lock.name() == pin.name() == ink.name() == "#ffffff"  # black-and-white, dark theme
    colour = CableLockWidget(LIGHT, "color")
    qtbot.addWidget(colour)
    colour.set_reading(lock_reading(1))
    assert colour.colors()[0].name() == LIGHT.ok


def test_an_unknown_or_unavailable_lock_never_asks_to_toggle(qtbot):
    widget = CableLockWidget(DARK)
    qtbot.addWidget(widget)
    asked = []
    widget.toggleRequested.connect(asked.append)
    widget.set_reading(None)
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    widget.set_reading(lock_reading(0))
    widget.set_available(False, "Modbus link offline")
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert asked == []
    assert "Modbus link offline" in widget.toolTip()
    widget.set_available(True)
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(10, 10))
    assert asked == [True]


def test_a_long_identity_is_elided_to_the_width_and_whole_again_when_wide(qtbot):
    full = "ACME Wallbox 22 · S/N 0123456789 · firmware 1.2.3-build.4567 · generic-l2"
    label = ElidedLabel(full)
    qtbot.addWidget(label)
    label.resize(120, 20)
    label.show()
    shown = label.fontMetrics().elidedText(full, Qt.TextElideMode.ElideRight, 120)
    assert QLabel.text(label) == shown and shown.endswith("…") and len(shown) < len(full)
    assert label.text() == full and label.toolTip() == full  # nothing of it is lost
    label.resize(label.fontMetrics().horizontalAdvance(full) + 20, 20)
    assert QLabel.text(label) == full
    label.setText("short")
    assert QLabel.text(label) == "short" and label.toolTip() == "short"


async def test_protocol_log_filters_and_exports(settings_file, tmp_path):
    async with demo_console(settings_file) as console:
        await live(console)
        panel = console.window.protocol
        await until(lambda: any(e.action == "BootNotification" for e in panel.model.rows), 10)
        panel.kind.setCurrentIndex(panel.kind.findData("ocpp"))
        shown = [panel.proxy.data(panel.proxy.index(r, 2)) for r in range(panel.proxy.rowCount())]
        assert shown and set(shown) == {"ocpp"}
        panel.search.setText("bootnotification")
        assert 1 <= panel.proxy.rowCount() < panel.model.rowCount()
        panel.table.selectRow(0)
        assert "BootNotification" in panel.detail.toPlainText()
        assert '"charge_point_vendor"' in panel.detail.toPlainText() or "chargePointVendor" in (
            panel.detail.toPlainText()
        )
        path = tmp_path / "frames.tsv"
        written = panel.export(path)
        lines = path.read_text().splitlines()
        assert written == panel.proxy.rowCount() and len(lines) == written + 1
        assert lines[0].startswith("Time\tCharger\tProtocol")
        assert all("BootNotification" in line for line in lines[1:])
        events = console.window.events
        events.kind.setCurrentIndex(events.kind.findData("info"))
        assert events.export(tmp_path / "events.tsv") >= 1


async def test_trends_windows_crosshair_and_exports(settings_file, tmp_path):
    async with demo_console(settings_file) as console:
        await live(console)
        trends = console.window.dashboard.trends
        trends.choose(["active_power", "output_current", "output_voltage", "frequency"])
        assert set(trends._axes) == {"kW", "A", "V", "Hz"}  # one axis per unit
        await until(
            lambda: len(console.fleet.entries["demo"].model.series.get("active_power") or []) > 3,
            10,
        )
        trends.set_window(600)
        t0, t1 = trends.visible_range()
        assert 599 <= t1 - t0 <= 601 and trends.follow
        trends._manual_range()  # a pan pauses
        assert not trends.follow and trends.follow_button.text() == "Paused"
        trends.set_follow(True)
        trends.redraw()
        x = float(trends._curves["active_power"].getData()[0][-1])
        readout = trends.readout_at(x)
        assert "Active Power" in readout and "kW" in readout and "Frequency" in readout
        rows = trends.export_csv(tmp_path / "trend.csv")
        with (tmp_path / "trend.csv").open() as handle:
            table = list(csv.DictReader(handle))
        assert rows == len(table) > 4
        assert {r["point"] for r in table} <= {"active_power", "output_current", "output_voltage",
                                              "frequency"}  # fmt: skip
        assert all(r["charger"] == "demo" for r in table)
        assert trends.export_png(tmp_path / "trend.png")
        assert QImage(str(tmp_path / "trend.png")).width() > 100


async def test_commands_are_disabled_with_the_reason_when_they_cannot_be_sent(settings_file):
    async with demo_console(settings_file) as console:
        await live(console)
        panel = console.window.commands
        mode = panel.row("charge_mode")
        await until(mode.buttons[0].isEnabled)
        reset = panel.row("reset", "ocpp")
        await until(reset.buttons[0].isEnabled)  # over OCPP, connected (next bridge frame)
        await console.sim.refuse_modbus(True)  # the cable is pulled
        await until(lambda: not mode.buttons[0].isEnabled(), 20)
        assert "Modbus link offline" in mode.buttons[0].toolTip()
        assert reset.buttons[0].isEnabled()  # OCPP still works
        lock = console.window.dashboard.lock
        assert lock.available  # the permanent lock also goes over OCPP (ChangeConfiguration)
        await console.sim.refuse_modbus(False)
        await until(mode.buttons[0].isEnabled, 20)


def test_screenshot_option_saves_the_window_and_exits(tmp_path):
    png = tmp_path / "shot.png"
    env = {**os.environ, "EVGUI_CONFIG_DIR": str(tmp_path / "cfg"), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "evgui", "--demo", "--ocpp-listen", "127.0.0.1:0",
         "--theme", "light", "--screenshot", str(png), "--quit-after", "4"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    image = QImage(str(png))
    assert image.width() == 1600 and image.height() >= 1000  # at least the requested size
    colours = {
        image.pixelColor(x, y).name() for x in range(0, 1600, 50) for y in range(0, 1000, 50)
    }
    assert len(colours) > 8  # a real window, not a blank
    assert "Task was destroyed but it is pending" not in done.stderr
    assert "Traceback" not in done.stderr
