#!/usr/bin/env bash
# Configures (once) and builds cdpbatch incrementally into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
build_type=${CDPBATCH_BUILD_TYPE:-Release}
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
fi
cmake --build build -j "$(nproc)"
