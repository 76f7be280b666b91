#!/usr/bin/env bash
# Set-up, build, start a throwaway PostgreSQL on loopback, run every test.
# Exits non-zero on any failure. Extra arguments go to ctest (e.g. -R store).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
source tools/pg_temp.sh
trap pg_temp_stop EXIT
pg_temp_start
echo "test: PostgreSQL at $CDPBATCH_TEST_PG_URL"
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 300 "$@"
