#!/usr/bin/env bash
# The idle benchmark against a daemon: a cdpbatchd on a fresh store (a temp
# SQLite file or a database on a throwaway PostgreSQL), then
# `cdpload --target` creating N EXISTING advertisers through its admin port,
# each running its month once (0 ms simulated job, tick 24 h). Prints
# cdpload's report, whose bytes_per_idle_advertiser is what the daemon's
# resident memory grew by per advertiser once they hibernated, and the
# daemon's GET /health.
#
#   bench/idle_target.sh [advertisers] [sqlite|postgresql]
set -euo pipefail
cd "$(dirname "$0")/.."
advertisers=${1:-100000}
store=${2:-sqlite}

source bench/build_targets.sh
source bench/daemon_up.sh
bench_build cdpbatchd cdpload

source tools/pg_temp.sh
pg_temp_bench_priority
work=$(mktemp -d /tmp/cdpbatch-idle-target.XXXXXX)
daemon=""
cleanup() {
  [[ -n $daemon ]] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  [[ $store == postgresql ]] && pg_temp_stop
  rm -rf "$work"
}
trap cleanup EXIT

if [[ $store == postgresql ]]; then
  pg_temp_start
  url=$CDPBATCH_TEST_PG_URL
else
  url="sqlite://$work/cdpbatch.db"
fi
http=$(pg_temp_free_port)
admin=$(pg_temp_free_port)
build/bin/cdpbatchd --config config.toml --set "store.url=$url" \
  --set "log.file=$work/cdpbatchd.log" --set log.level=warn \
  --set "http.listen=127.0.0.1:$http" --set "admin.listen=127.0.0.1:$admin" \
  --set schedule.tick_interval=24h --set job.kind=simulated --set job.simulated.latency=0ms \
  >"$work/out.log" 2>&1 &
daemon=$!
wait_for_daemon "http://127.0.0.1:$http/api/v2/batch/health" "$work/out.log"

echo "== $store, $advertisers EXISTING advertisers through the admin port; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
build/bin/cdpload --target "127.0.0.1:$admin" --advertisers "$advertisers" --new-ratio 0 \
  --timeout 120s --json "$work/report.json"
cat "$work/report.json"
echo
echo "== the daemon's health"
curl -s "http://127.0.0.1:$http/api/v2/batch/health"
echo
