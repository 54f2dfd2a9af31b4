#!/usr/bin/env bash
# Extract every user-visible string of the console into resources/translations/evgui_<lang>.ts
# (kept in git for translators) and compile the finished ones into .qm files next to them.
# Usage: bash packaging/translations.sh [lang ...]   (default: fr)
set -euo pipefail
cd "$(dirname "$0")/.."
sources=(evgui/ui/*.py evgui/qt/*.py evgui/app.py)  # the same list as tests/gui/test_translation.py
langs=("$@"); ((${#langs[@]})) || langs=(fr)
for lang in "${langs[@]}"; do
  ts="resources/translations/evgui_${lang}.ts"
  uv run pyside6-lupdate -no-obsolete -locations relative "${sources[@]}" -ts "$ts"
  # A .qm is only shipped once its translation is complete: a half-translated console is worse.
  if ! grep -q 'type="unfinished"' "$ts"; then
    uv run pyside6-lrelease "$ts" -qm "resources/translations/evgui_${lang}.qm"
  else
    echo "$ts: unfinished strings remain, no .qm built"
  fi
done
