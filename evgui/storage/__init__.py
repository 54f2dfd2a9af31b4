"""Session recording and export."""
