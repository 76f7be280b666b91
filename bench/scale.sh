#!/usr/bin/env bash
# Throughput and memory against advertiser count: cdpload in process, all
# EXISTING advertisers (one 0 ms job each, then idle), at each size on a
# fresh database, its JSON report written to bench/results/ for plot.sh.
#
#   bench/scale.sh [sqlite|postgresql|both] [sizes ...]
#   bench/scale.sh both 10000 100000 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
stores=${1:-both}
shift || true
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000 100000 1000000)

source bench/build_targets.sh
bench_build cdpload

source tools/pg_temp.sh
pg_temp_bench_priority
work=$(mktemp -d /tmp/cdpbatch-scale-bench.XXXXXX)
trap 'pg_temp_stop; rm -rf "$work"' EXIT
mkdir -p bench/results

run() {
  local store=$1 url=$2 n=$3 out=bench/results/cdpload-$1-$3.json
  echo "== $store, $n advertisers; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  build/bin/cdpload --advertisers "$n" --new-ratio 0 --runners 2 --tick 24h --store "$url" \
    --json "$out" 2>/dev/null
}

for n in "${sizes[@]}"; do
  if [[ $stores != postgresql ]]; then
    run sqlite "sqlite://$work/$n.db" "$n"
    rm -f "$work/$n.db"*
  fi
  if [[ $stores != sqlite ]]; then
    [[ -n ${CDPBATCH_TEST_PG_URL:-} ]] || pg_temp_start
    db="scale_$n"
    pg_temp_as "$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
    run postgresql "${CDPBATCH_TEST_PG_URL%/*}/$db" "$n"
    pg_temp_as "$pg_temp_bin/dropdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
  fi
done
echo "reports in bench/results/; bench/plot.sh draws them"
