"""Themes as data: one token set drives the palette, stylesheet, plots and icon colours."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from evgui.resources import resource_path


@dataclass(frozen=True, slots=True)
class Theme:
    """Colour tokens of one theme."""

    name: str
    window: str
    surface: str  # cards, tiles
    surface_alt: str  # table stripes, inputs
    border: str
    text: str
    muted: str
    accent: str
    ok: str
    warn: str
    alarm: str
    stale: str
    info: str
    grid: str
    curves: tuple[str, ...]

    def color(self, token: str) -> QColor:
        """Return a token as a QColor."""
        return QColor(getattr(self, token))

    @property
    def dark(self) -> bool:
        """Return True for a dark background."""
        return QColor(self.window).lightness() < 128


DARK = Theme(
    name="dark", window="#14181f", surface="#1c222b", surface_alt="#232a35", border="#2f3845",
    text="#e6eaf0", muted="#8a96a8", accent="#3fa7ff", ok="#35c27a", warn="#f0b429",
    alarm="#ff5d5d", stale="#5c6675", info="#7c8cff", grid="#2a323d",
    curves=("#3fa7ff", "#f0b429", "#35c27a", "#ff7ab6", "#a58bff", "#4fd1c5", "#ff9f43", "#e6eaf0"),
)  # fmt: skip
LIGHT = Theme(
    name="light", window="#f3f5f8", surface="#ffffff", surface_alt="#eef1f5", border="#d3d9e2",
    text="#18202b", muted="#5f6b7c", accent="#0a6fd6", ok="#1d8f52", warn="#b7791f",
    alarm="#d32f2f", stale="#9aa3af", info="#4c5fd5", grid="#e2e6ec",
    curves=("#0a6fd6", "#b7791f", "#1d8f52", "#c2185b", "#6a4fd1", "#00897b", "#e65100", "#18202b"),
)  # fmt: skip
THEMES = {"dark": DARK, "light": LIGHT}


def system_theme() -> Theme:
    """Return the theme matching the desktop's colour scheme (dark when unknown)."""
    app = QGuiApplication.instance()
    if isinstance(app, QGuiApplication):
        scheme = app.styleHints().colorScheme()
        if scheme == Qt.ColorScheme.Light:
            return LIGHT
    return DARK


def resolve(name: str) -> Theme:
    """Return a theme by name ('dark', 'light' or 'system')."""
    return THEMES.get(name) or system_theme()


def palette(theme: Theme) -> QPalette:
    """Return a QPalette for the theme (native widgets follow it)."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.surface,
        QPalette.ColorRole.AlternateBase: theme.surface_alt,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.surface_alt,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Highlight: theme.accent,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: theme.surface_alt,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Link: theme.accent,
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.stale))
    return p


def stylesheet(theme: Theme) -> str:
    """Return the application stylesheet, built from the resources/qss template and the tokens."""
    template = resource_path("qss", "app.qss").read_text(encoding="utf-8")
    template = template.replace("@icons", resource_path("icons").as_posix())
    tokens = {f: getattr(theme, f) for f in theme.__dataclass_fields__}
    for key, value in sorted(tokens.items(), key=lambda kv: -len(kv[0])):  # surface_alt first
        if not isinstance(value, str):
            continue
        template = template.replace("@" + key, value)
    return template


@cache
def _svg(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


def icon_pixmap(name: str, color: str, size: int, ratio: float = 1.0) -> QPixmap:
    """Render resources/icons/<name>.svg in a colour (currentColor replaced), crisp at any DPI."""
    svg = _svg(name).replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixmap = QPixmap(QSize(int(size * ratio), int(size * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    return pixmap


def icon(name: str, color: str, size: int = 32) -> QIcon:
    """Return a recoloured SVG icon."""
    return QIcon(icon_pixmap(name, color, size, 2.0))
