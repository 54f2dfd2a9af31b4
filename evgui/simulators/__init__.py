"""A simulated charger: session physics, Modbus face, OCPP charge point face."""
