#!/usr/bin/env bash
# Rebuild docs/report-screenshot.png from real runs (no invented numbers): the quick-suite settings with the
# built-in model and two scripted baselines, reported together and rendered by headless Debian Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
for model in builtin:tiny scripted:refuse scripted:comply; do
    multitrust run --model "$model" --tasks all --limit 1 --max-tokens 128 --out "$work/${model//:/-}" -q --no-report >/dev/null
done
multitrust report "$work"/builtin-tiny "$work"/scripted-refuse "$work"/scripted-comply --html "$work/report.html" >/dev/null
/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --window-size=1320,1560 \
    --screenshot=docs/report-screenshot.png "file://$work/report.html"
echo "wrote docs/report-screenshot.png from $work"
