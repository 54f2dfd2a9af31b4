"""Run evgui with ``python -m evgui``."""

import sys

from evgui.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
