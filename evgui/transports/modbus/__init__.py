"""Modbus transport: link, planner, codec, poller, writer."""
