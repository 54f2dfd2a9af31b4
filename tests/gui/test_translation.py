"""Every user-visible string goes through Qt: lupdate finds it, a .qm changes what is shown."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

from evgui.qt.i18n import tr
from evgui.qt.theme import DARK
from evgui.ui.indicators import VehicleStateWidget

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent
UI_SOURCES = sorted(
    [*ROOT.glob("evgui/ui/*.py"), *ROOT.glob("evgui/qt/*.py"), ROOT / "evgui/app.py"]
)


def extract(ts: Path) -> tuple[ET.ElementTree, dict[str, ET.Element]]:
    """Run pyside6-lupdate over the UI sources; return the tree and source text -> message."""
    done = subprocess.run([str(TOOLS / "pyside6-lupdate"), *map(str, UI_SOURCES), "-ts", str(ts)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    tree = ET.parse(ts)
    return tree, {m.findtext("source"): m for m in tree.getroot().iter("message")}


def test_lupdate_finds_the_strings_of_menus_tables_and_runtime_words(tmp_path):
    _, found = extract(tmp_path / "all.ts")
    for text in ("&File", "Theme", "Charge enable", "Stop session…", "Unplugged",
                 "Cable locked, permanent lock on", "online", "accepted", "Export CSV…",
                 "Test connection", "plugged in", "Energy (session)", "1 min"):  # fmt: skip
        assert text in found, f"{text!r} is not extractable"
    leaked = [s for s in found if "{" in s and "}" in s]
    assert leaked == [], f"f-strings passed to tr(): {leaked}"


def test_the_committed_french_catalogue_holds_every_current_string(tmp_path):
    current = set(extract(tmp_path / "now.ts")[1])
    committed = {m.findtext("source") for m in
                 ET.parse(ROOT / "resources/translations/evgui_fr.ts").getroot().iter("message")}  # fmt: skip
    missing = sorted(current - committed)
    assert missing == [], f"run packaging/translations.sh; new strings: {missing[:10]}"


def test_a_compiled_translation_changes_what_the_console_shows(qtbot, tmp_path):
    ts = tmp_path / "evgui_fr.ts"
    tree, messages = extract(ts)
    french = {"&File": "&Fichier", "Unplugged": "Débranché", "Vehicle state": "État du véhicule"}
    for source, text in french.items():
        translation = messages[source].find("translation")
        translation.text = text
        translation.attrib.pop("type", None)
    tree.write(ts, encoding="utf-8")
    qm = tmp_path / "evgui_fr.qm"
    subprocess.run([str(TOOLS / "pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True,
                   capture_output=True, timeout=60)  # fmt: skip
    translator = QTranslator()
    assert translator.load(str(qm))
    QCoreApplication.installTranslator(translator)
    try:
        assert tr("&File") == "&Fichier"
        widget = VehicleStateWidget(DARK)
        qtbot.addWidget(widget)
        from evgui.core.reading import Reading, Source

        widget.set_reading(Reading("state", "Unplugged", "", 0.0, Source.DERIVED, raw=1))
        assert widget.accessibleName() == "État du véhicule: Débranché"
    finally:
        QCoreApplication.removeTranslator(translator)
    assert tr("&File") == "&File"
