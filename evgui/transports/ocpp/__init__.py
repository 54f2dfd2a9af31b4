"""OCPP central system: server, 1.6J and 2.0.1 handlers, outgoing calls."""
