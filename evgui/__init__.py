"""evgui: a desktop console for Level-2 AC EV chargers (Modbus poller, OCPP central system)."""

# The one place the version is written (pyproject reads it through hatch); a literal, not
# importlib.metadata, which costs 20-30 ms of start-up (bench/startup.py).
__version__ = "0.1.0"

__all__ = ["__version__"]
