"""evgui: a desktop console for Level-2 AC EV chargers (Modbus poller, OCPP central system)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evgui")
except PackageNotFoundError:  # a frozen build without dist-info, or a bare source tree
    __version__ = "0.1.0"

__all__ = ["__version__"]
