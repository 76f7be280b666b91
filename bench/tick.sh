#!/usr/bin/env bash
# Benchmarks 2 and 3: schedule ticks over many EXISTING advertisers with
# tick_bench, `runs` times (default 3) on a temp SQLite file and on a throwaway
# PostgreSQL, a fresh database each run.
#
#   bench/tick.sh [advertisers] [runs] [sqlite|postgresql|both] [extra tick_bench flags]
#   bench/tick.sh 100000 3                         # benchmark 2
#   bench/tick.sh 1000000 1 sqlite --rounds 1 --no-wave   # benchmark 3 (idle, one tick's hand-out)
set -euo pipefail
cd "$(dirname "$0")/.."
advertisers=${1:-100000}
runs=${2:-3}
stores=${3:-both}
shift 3 || shift $#

source bench/build_targets.sh
bench_build tick_bench

source tools/pg_temp.sh
pg_temp_bench_priority
sqlite_dir=$(mktemp -d /tmp/cdpbatch-tick-bench.XXXXXX)
trap 'pg_temp_stop; rm -rf "$sqlite_dir"' EXIT

if [[ $stores != postgresql ]]; then
  for i in $(seq "$runs"); do
    echo "== SQLite, $advertisers advertisers, run $i; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    build/bin/tick_bench --advertisers "$advertisers" --store "sqlite://$sqlite_dir/run$i.db" "$@"
    rm -f "$sqlite_dir/run$i.db"*
  done
fi
if [[ $stores != sqlite ]]; then
  pg_temp_start
  server=${CDPBATCH_TEST_PG_URL%/*}
  for i in $(seq "$runs"); do
    db="tick_$i"
    pg_temp_as "$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
    echo "== PostgreSQL, $advertisers advertisers, run $i; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    build/bin/tick_bench --advertisers "$advertisers" --store "$server/$db" "$@"
  done
fi
