#!/usr/bin/env bash
# cdpctl round trips (not a test): a cdpbatchd on a fresh SQLite store with
# 10,000 EXISTING advertisers (seeded through the REST API, each refreshed
# once), then hyperfine on `cdpctl status` and `cdpctl describe ID`, each a
# whole process: start, connect, hello, one request, answer printed.
# Options: --advertisers N --runs N
set -euo pipefail
cd "$(dirname "$0")/.."

advertisers=10000 runs=30
while [[ $# -gt 0 ]]; do
  case $1 in
    --advertisers) advertisers=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--advertisers N] [--runs N]" >&2; exit 2 ;;
  esac
done

tools/setup.sh
tools/build.sh >/dev/null
source tools/pg_temp.sh # for pg_temp_free_port
source bench/daemon_up.sh
pg_temp_bench_priority

work=$(mktemp -d /tmp/cdpbatch-console-bench.XXXXXX)
daemon=""
cleanup() {
  [[ -n $daemon ]] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

http_port=$(pg_temp_free_port)
admin_port=$(pg_temp_free_port)
base="http://127.0.0.1:$http_port"
api="$base/api/v2/batch"
build/bin/cdpbatchd --config config.toml \
  --set "store.url=sqlite://$work/cdpbatch.db" --set "log.file=$work/cdpbatchd.log" \
  --set log.level=warn --set "http.listen=127.0.0.1:$http_port" \
  --set "admin.listen=127.0.0.1:$admin_port" \
  --set schedule.tick_interval=1h --set job.kind=simulated \
  --set job.simulated.latency=10ms >"$work/out.log" 2>&1 &
daemon=$!
wait_for_daemon "$api/health" "$work/out.log"

completed() {
  curl -s "$base/metrics" | awk '/^cdpbatch_attempts_total\{outcome="completed"\}/ { print $2 }'
}
running() {
  curl -s "$api/status" | sed -E 's/.*"runningJobs":([0-9]+).*/\1/'
}

echo "console_bench: seeding $advertisers EXISTING advertisers (each refreshes once)"
seq 0 $((advertisers - 1)) | xargs -P 8 -I{} curl -sf -o /dev/null -X POST \
  -H 'Content-Type: application/json' \
  -d '{"advertiserId":"adv-{}","name":"bench {}","type":"EXISTING"}' "$api/advertisers"
while (( $(completed | cut -d. -f1) < advertisers )) || (( $(running) > 0 )); do sleep 0.5; done

ctl=(build/bin/cdpctl --config config.toml --connect "127.0.0.1:$admin_port")
"${ctl[@]}" status | grep -q "advertisers:   $advertisers:" || {
  echo "console_bench: cdpctl status does not show $advertisers advertisers" >&2
  exit 1
}
echo "console_bench: measuring (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
hyperfine --style basic --warmup 3 --runs "$runs" --export-json "$work/hyperfine.json" \
  "${ctl[*]} status" "${ctl[*]} describe adv-$((advertisers / 2))" >/dev/null
echo "console_bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "console_bench: $advertisers EXISTING advertisers, SQLite, $runs runs each (whole cdpctl process)"
jq -r '.results[] | [(.command | sub(".*127.0.0.1:[0-9]+ "; "cdpctl ")),
    (.median, .mean, .stddev, .min, .max | . * 10000 | round / 10)] |
  "\(.[0]): median \(.[1]) ms, mean \(.[2]) ms (sd \(.[3])), min \(.[4]) ms, max \(.[5]) ms"' \
  "$work/hyperfine.json"
