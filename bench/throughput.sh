#!/usr/bin/env bash
# Benchmark 1: the 5,000-job workload (200 NEW advertisers x 25 months, simulated
# job at 0 ms, 20 runners) through the whole engine with cdpload, on a throwaway
# PostgreSQL (synchronous_commit on), a fresh database each run: `runs` runs
# (default 3) with 10% of first attempts failing (zero backoff), then `runs`
# without failures. Prints every run's report, the CPU time PostgreSQL's backends
# spent on it (per transition: a claim and an outcome per attempt) and the medians.
#
#   bench/throughput.sh [runs] [extra cdpload flags]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true

source bench/build_targets.sh
bench_build cdpload

source tools/pg_temp.sh
pg_temp_bench_priority
out=$(mktemp -d /tmp/cdpbatch-throughput.XXXXXX)
trap 'pg_temp_stop; rm -rf "$out"' EXIT
pg_temp_start
server=${CDPBATCH_TEST_PG_URL%/*}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# CPU seconds of the server's backends that have ended: the postmaster reaps
# each one, so its children's times grow by what the run's connections used
# (the schema's creation included, and any autovacuum worker that ended meanwhile).
postgres_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($16 + $17) / hz }' \
    "/proc/$(head -1 "$PG_TEMP_DIR/data/postmaster.pid")/stat"
}

for kind in failures clean; do
  flags=()
  [[ $kind == failures ]] && flags=(--failure-rate 0.1 --fail-first-only)
  for i in $(seq "$runs"); do
    db="throughput_${kind}_$i"
    pg_temp_as "$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
    echo "== PostgreSQL, $kind, run $i; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    cpu0=$(postgres_cpu)
    build/bin/cdpload --advertisers 200 --new-ratio 1 --months 25 --runners 20 --queue 1000 \
      --tick 1h "${flags[@]}" --store "$server/$db" "$@" | tee "$out/$kind-$i.txt"
    sleep 0.5 # the backends' exits
    awk -v c0="$cpu0" -v c1="$(postgres_cpu)" '/^attempts/ {
      printf "postgres CPU         %.0f ms, %.0f us per transition\n", (c1 - c0) * 1000, (c1 - c0) * 1e6 / (2 * $2)
    }' "$out/$kind-$i.txt" | tee -a "$out/$kind-$i.txt"
  done
  echo "== median of $runs runs, $kind: $(awk '/^jobs\/s/ { print $2 }' "$out/$kind"-*.txt | median) jobs/s" \
       "(months completed per second), wall $(awk '/^wall/ { print $2 }' "$out/$kind"-*.txt | median) s," \
       "$(awk '/^postgres CPU/ { print $5 }' "$out/$kind"-*.txt | median) us of postgres CPU per transition"
done
