"""Entry point of the frozen executables (PyInstaller runs this file as __main__)."""

from evgui.cli.main import main

raise SystemExit(main())
