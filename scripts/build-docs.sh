#!/usr/bin/env bash
# Builds the DocC documentation of the libraries (offline, with swift-docc-plugin) and fails
# on any warning: an unresolved symbol link, a missing article or resource.
#   scripts/build-docs.sh              # ArrayKit, AutoGrad, Training
#   scripts/build-docs.sh ArrayKit     # one library
# The archives land in .build/plugins/Swift-DocC/outputs/<Target>.doccarchive; preview one with
#   swift package --disable-sandbox preview-documentation --target ArrayKit
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ArrayKit AutoGrad Training)
for target in "${targets[@]}"; do
    swift package --disable-sandbox generate-documentation --target "$target" --warnings-as-errors
done
