"""The console entry: until the GUI lands, print what it would show."""

from __future__ import annotations

import argparse

from evgui.devices.loader import get_profile


def run_console(args: argparse.Namespace) -> int:
    """Print the demo charger's catalogue (placeholder for the Qt console)."""
    profile = get_profile("generic-l2")
    print(f"evgui console: profile {profile.id} ({len(profile.points)} points)")
    for point in profile.points:
        print(f"  {point.name:28s} {point.unit:5s} {point.range_text()}")
    return 0
