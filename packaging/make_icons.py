"""Render resources/icons/evgui.svg into the platform icons the build needs (.ico, .icns, .png).

Run after changing the SVG: `uv run python packaging/make_icons.py`; the outputs are committed
so that a build needs no image tools. ICO and ICNS both carry PNG images (Windows Vista+, macOS
10.7+ read those).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "evgui.svg"
OUT = ROOT / "packaging" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
              b"ic10": 1024}  # fmt: skip


def png(renderer: QSvgRenderer, size: int) -> bytes:
    """Render the SVG into a square PNG."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """Return an ICO file holding PNG images."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, blob in sorted(images.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(blob), offset)
        blobs += blob
        offset += len(blob)
    return header + entries + blobs


def icns(images: dict[bytes, bytes]) -> bytes:
    """Return an ICNS file holding PNG images."""
    body = b"".join(kind + struct.pack(">I", 8 + len(blob)) + blob for kind, blob in images.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    """Write packaging/icons/evgui.{ico,icns,png}."""
    _app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"cannot read {SVG}", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "evgui.ico").write_bytes(ico({s: png(renderer, s) for s in ICO_SIZES}))
    (OUT / "evgui.icns").write_bytes(icns({k: png(renderer, s) for k, s in ICNS_TYPES.items()}))
    (OUT / "evgui.png").write_bytes(png(renderer, 256))
    print(f"wrote {', '.join(p.name for p in sorted(OUT.iterdir()))} in {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
