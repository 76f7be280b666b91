#!/usr/bin/env bash
# Benchmark 4, the daily reality: 10,000 EXISTING advertisers refreshing on a
# 1 s tick while 200 NEW ones backfill 24 months each, 20 runners and the
# daemon's default queue capacity (100; cdpload's own default is 1,000), a
# simulated job at 0 ms, on a throwaway PostgreSQL (a fresh database each run),
# for `duration` (default 60s). cdpload prints a line every 5 s with the RSS; the
# report says when the backfill finished and its share of the attempts.
#
#   bench/mixed.sh [runs] [duration] [extra cdpload flags]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
duration=${2:-60s}
shift 2 || shift $#

source bench/build_targets.sh
bench_build cdpload

source tools/pg_temp.sh
pg_temp_bench_priority
trap pg_temp_stop EXIT
pg_temp_start
server=${CDPBATCH_TEST_PG_URL%/*}
for i in $(seq "$runs"); do
  db="mixed_$i"
  pg_temp_as "$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
  echo "== PostgreSQL, run $i; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  # 200 of 10,200 are NEW.
  build/bin/cdpload --advertisers 10200 --new-ratio 0.0196 --months 24 --tick 1s --runners 20 \
    --queue 100 --duration "$duration" --store "$server/$db" "$@" 2>&1
done
