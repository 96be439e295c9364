#!/usr/bin/env bash
# Regenerates docs/images/ for docs/operator-guide.md from what the tests draw, so the
# guide shows the real screens:
#   - the TUI: the SVG snapshots tests/tui/test_snapshots.py pins (copied as they are;
#     tests/docs/test_operator_guide.py fails when a copy drifts from its snapshot);
#   - the iPad page and the support page: the PNGs the browser tests save to
#     test-artifacts/screens/ (git-ignored), made fresh by running those tests here.
# Run after a deliberate change to a screen: bash scripts/guide-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q -p no:randomly \
    "tests/edge_agent/api/browser/test_boxoffice_page.py" \
    "tests/reference_platform/support/test_support_page.py"
SNAP=tests/tui/__snapshots__/test_snapshots
SHOTS=test-artifacts/screens
OUT=docs/images
mkdir -p "$OUT"
# name in the guide  <-  source
while read -r name source; do
    cp "$source" "$OUT/$name"
done <<LIST
tui-dashboard.svg $SNAP/test_dashboard[120x40].svg
tui-lookup.svg $SNAP/test_lookup_with_history[120x40].svg
tui-devices.svg $SNAP/test_devices[120x40].svg
tui-sync.svg $SNAP/test_sync[120x40].svg
tui-sell.svg $SNAP/test_sell[120x40].svg
ipad-pair.png $SHOTS/1-pair.png
ipad-sell.png $SHOTS/3-sell.png
ipad-receipt.png $SHOTS/4-receipt.png
ipad-agent-unreachable.png $SHOTS/5-agent-unreachable.png
ipad-close.png $SHOTS/6-close.png
support-order.png $SHOTS/support-2-order-timeline.png
LIST
ls -la "$OUT"
