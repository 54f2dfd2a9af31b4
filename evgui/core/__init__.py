"""Qt-free core: point catalogue types, readings, the charger model, commands."""
