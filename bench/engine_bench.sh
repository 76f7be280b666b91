#!/usr/bin/env bash
# The whole-engine benchmark: 200 NEW advertisers x 25 months through the
# advertiser actors, job pool and group commit, simulated job at 0 ms, 10% of
# months failing their first attempt only, zero backoff, 20 runners. Runs on a
# throwaway PostgreSQL (synchronous_commit on) and on a temp SQLite file,
# `runs` times each (default 3), then tears everything down.
#
#   bench/engine_bench.sh [runs] [extra engine_bench flags]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true

tools/setup.sh
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE="${CDPBATCH_BUILD_TYPE:-Release}" >/dev/null
fi
cmake --build build -j "$(nproc)" --target engine_bench >/dev/null

source tools/pg_temp.sh
sqlite_dir=$(mktemp -d /tmp/cdpbatch-engine-bench.XXXXXX)
trap 'pg_temp_stop; rm -rf "$sqlite_dir"' EXIT
pg_temp_start

for i in $(seq "$runs"); do
  echo "== PostgreSQL, run $i"
  build/bin/engine_bench --store "$CDPBATCH_TEST_PG_URL" "$@"
done
for i in $(seq "$runs"); do
  echo "== SQLite, run $i"
  build/bin/engine_bench --store "sqlite://$sqlite_dir/run$i.db" "$@"
done
