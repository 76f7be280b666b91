#!/usr/bin/env bash
# Configures (once) and builds cdpbatch incrementally into build/, or into
# build-sanitize/ with AddressSanitizer + UBSan when CDPBATCH_SANITIZE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
build_type=${CDPBATCH_BUILD_TYPE:-Release}
build_dir=build
cmake_args=()
if [[ ${CDPBATCH_SANITIZE:-0} == 1 ]]; then
  build_dir=build-sanitize
  build_type=${CDPBATCH_BUILD_TYPE:-RelWithDebInfo}
  cmake_args+=(-DCDP_SANITIZE=ON)
fi
if [[ ! -f $build_dir/CMakeCache.txt ]]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" "${cmake_args[@]}" >/dev/null
fi
cmake --build "$build_dir" -j "$(nproc)"
