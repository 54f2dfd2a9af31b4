"""Find the files under ``resources/`` from a source checkout, a wheel or a PyInstaller build."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    """Return the places resources may live, most specific first."""
    places: list[Path] = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:  # PyInstaller unpacks data next to the executable's modules
        places.append(Path(frozen_root) / "resources")
    places.append(_PACKAGE_DIR / "_resources")  # installed wheel (force-include in pyproject)
    places.append(_PACKAGE_DIR.parent / "resources")  # source checkout / editable install
    return places


@cache
def resources_root() -> Path:
    """Return the directory that holds profiles, icons and styles."""
    for place in _candidates():
        if (place / "profiles").is_dir():
            return place
    tried = ", ".join(str(p) for p in _candidates())
    raise FileNotFoundError(f"evgui resources not found (looked in: {tried})")


def resource_path(*parts: str) -> Path:
    """Return the path of a file under resources/ (it may not exist)."""
    return resources_root().joinpath(*parts)
