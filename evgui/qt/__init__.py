"""Qt glue: bridge from core events to Qt signals, themes, item models."""
