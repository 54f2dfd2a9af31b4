#!/usr/bin/env bash
# Build the evgui executable with PyInstaller.
#   bash packaging/build.sh            -> dist/evgui/evgui (+ evgui-cli), the onedir build
#   bash packaging/build.sh --onefile  -> dist/onefile/evgui, one self-extracting file
# Then: dist/evgui/evgui --self-test (offscreen; exits 0 when profiles, Modbus, OCPP and the
# window all work).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--onefile" ]; then
  export EVGUI_ONEFILE=1; distpath=dist/onefile
else
  export EVGUI_ONEFILE=0; distpath=dist
fi
uv run pyinstaller --noconfirm --clean --log-level WARN \
  --distpath "$distpath" --workpath build/pyinstaller packaging/evgui.spec
if [ "$EVGUI_ONEFILE" = 1 ]; then
  echo "built $distpath/evgui ($(du -sh "$distpath/evgui" | cut -f1))"
else
  echo "built $distpath/evgui/evgui ($(du -sh "$distpath/evgui" | cut -f1) in $distpath/evgui)"
fi
