#!/usr/bin/env bash
# Set-up, build, start a throwaway PostgreSQL on loopback, run every test.
# Exits non-zero on any failure. Extra arguments go to ctest (e.g. -R store).
# --sanitize (first argument): build into build-sanitize/ with AddressSanitizer
# and UndefinedBehaviorSanitizer and run the suite there; any report fails it.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=build
if [[ ${1:-} == --sanitize ]]; then
  shift
  export CDPBATCH_SANITIZE=1
  build_dir=build-sanitize
  # Every UBSan report not in the suppressions file aborts its test.
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$PWD/tools/ubsan.supp"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
fi
tools/setup.sh
tools/build.sh
source tools/pg_temp.sh
trap pg_temp_stop EXIT
pg_temp_start
echo "test: PostgreSQL at $CDPBATCH_TEST_PG_URL"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" --timeout 300 "$@"
