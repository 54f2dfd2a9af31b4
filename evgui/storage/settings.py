"""Load and save the console's settings (JSON in the user's config directory)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from platformdirs import user_config_dir

from evgui.core.config import AppSettings

log = logging.getLogger(__name__)
ENV_DIR = "EVGUI_CONFIG_DIR"


def settings_path() -> Path:
    """Return where settings live ($EVGUI_CONFIG_DIR, else the platform's config directory)."""
    folder = os.environ.get(ENV_DIR) or user_config_dir("evgui", appauthor=False)
    return Path(folder) / "settings.json"


def load_settings(path: Path | None = None) -> AppSettings:
    """Read settings; a missing or unreadable file gives defaults and a log line, never a crash."""
    path = path or settings_path()
    try:
        return AppSettings.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return AppSettings()
    except (OSError, ValueError, TypeError) as exc:
        log.warning("settings %s unreadable (%s): starting from defaults", path, exc)
        return AppSettings()


def save_settings(settings: AppSettings, path: Path | None = None) -> None:
    """Write settings atomically (a crash mid-write never leaves half a file)."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(settings.to_json(), indent=2, ensure_ascii=False)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
    Path(tmp.name).replace(path)
