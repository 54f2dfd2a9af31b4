"""Translation: every user-visible string goes through Qt (a French translation will follow).

`tr("text")` uses the empty context, which is what pyside6-lupdate assigns to bare tr() calls
and to QT_TR_NOOP() markers, so `packaging/translations.sh` extracts exactly what runs here.
Never pass an f-string to tr(): lupdate would extract the braces, not the words.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from evgui.resources import resource_path


def QT_TR_NOOP(text: str) -> str:
    """Mark a string for extraction where it is defined; tr() translates it where shown."""
    return text


# Words the Qt-free core hands to the UI at run time (link states, command results, log
# levels, value qualities): listed here so that lupdate extracts them.
RUNTIME_WORDS = (
    QT_TR_NOOP("online"), QT_TR_NOOP("offline"), QT_TR_NOOP("connecting"),
    QT_TR_NOOP("degraded"), QT_TR_NOOP("unconfigured"), QT_TR_NOOP("listening"),
    QT_TR_NOOP("stopped"), QT_TR_NOOP("error"), QT_TR_NOOP("pending"), QT_TR_NOOP("accepted"),
    QT_TR_NOOP("rejected"), QT_TR_NOOP("timeout"), QT_TR_NOOP("verify-mismatch"),
    QT_TR_NOOP("not-supported"), QT_TR_NOOP("invalid"), QT_TR_NOOP("unavailable"),
    QT_TR_NOOP("info"), QT_TR_NOOP("warning"), QT_TR_NOOP("good"), QT_TR_NOOP("stale"),
    QT_TR_NOOP("bad"), QT_TR_NOOP("out-of-range"), QT_TR_NOOP("Modbus"), QT_TR_NOOP("OCPP"),
    QT_TR_NOOP("simulator"), QT_TR_NOOP("derived"),
)  # fmt: skip


def tr(text: str) -> str:
    """Translate a user-visible string."""
    return QCoreApplication.translate("", text)


def install_translator(app: QCoreApplication, locale: QLocale | None = None) -> QTranslator | None:
    """Load resources/translations/evgui_<lang>.qm for the user's language, when there is one."""
    translator = QTranslator(app)
    folder = str(resource_path("translations"))
    if translator.load(locale or QLocale.system(), "evgui", "_", folder):
        app.installTranslator(translator)
        return translator
    return None
