#!/usr/bin/env bash
# REST API under load (not a test): a cdpbatchd on a fresh SQLite store with
# 10,000 advertisers, 1,000 of them backfilling 24 months (simulated jobs),
# and wrk at 100 connections for 10 s on each of GET /status,
# GET /advertisers/{id} (random ids) and GET /advertisers?limit=100.
# Prints requests/s and p50/p99 per endpoint, and the backfill's jobs/s in
# quiet windows before and after the load against the windows under load.
# Options: --existing N --new N --latency 60ms --seconds 10 --connections 100
set -euo pipefail
cd "$(dirname "$0")/.."

existing=9000 fresh=1000 latency=60ms seconds=10 connections=100
while [[ $# -gt 0 ]]; do
  case $1 in
    --existing) existing=$2; shift 2 ;;
    --new) fresh=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "usage: $0 [--existing N] [--new N] [--latency D] [--seconds S] [--connections C]" >&2; exit 2 ;;
  esac
done

tools/setup.sh
tools/build.sh >/dev/null
source tools/pg_temp.sh # for pg_temp_free_port
source bench/daemon_up.sh
pg_temp_bench_priority

work=$(mktemp -d /tmp/cdpbatch-api-bench.XXXXXX)
daemon=""
cleanup() {
  [[ -n $daemon ]] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(pg_temp_free_port)
base="http://127.0.0.1:$port"
api="$base/api/v2/batch"
build/bin/cdpbatchd --config config.toml \
  --set "store.url=sqlite://$work/cdpbatch.db" --set "log.file=$work/cdpbatchd.log" \
  --set log.level=warn --set "http.listen=127.0.0.1:$port" --set admin.listen=127.0.0.1:0 \
  --set schedule.tick_interval=1h --set job.kind=simulated \
  --set "job.simulated.latency=$latency" >"$work/out.log" 2>&1 &
daemon=$!
wait_for_daemon "$api/health" "$work/out.log"

completed() {
  curl -s "$base/metrics" | awk '/^cdpbatch_attempts_total\{outcome="completed"\}/ { print $2 }'
}
running() {
  curl -s "$api/status" | sed -E 's/.*"runningJobs":([0-9]+).*/\1/'
}
seed() { # type first count: one bulk import (a CSV file)
  { echo "advertiserId,type,active"
    seq "$2" $(($2 + $3 - 1)) | sed "s/.*/adv-&,$1,true/"
  } >"$work/seed.csv"
  curl -sf -o /dev/null -X POST -H 'Content-Type: text/csv' --data-binary @"$work/seed.csv" \
    "$api/advertisers:bulk"
}
echo "api_bench: seeding $existing EXISTING advertisers (each refreshes once)"
seed EXISTING 0 "$existing"
while (( $(completed | cut -d. -f1) < existing )) || (( $(running) > 0 )); do sleep 0.5; done
echo "api_bench: seeding $fresh NEW advertisers (backfilling $((fresh * 24)) months)"
seed NEW "$existing" "$fresh"

# jobs/s over one window: completed attempts before and after.
window_rate() { # command...
  local before after start end
  before=$(completed); start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N); after=$(completed)
  awk -v a="$after" -v b="$before" -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", (a - b) / (e - s) }'
}
quiet() { sleep "$1"; }

cat >"$work/random_id.lua" <<LUA
math.randomseed(42)
request = function()
  return wrk.format("GET", "/api/v2/batch/advertisers/adv-" .. math.random(0, $((existing + fresh - 1))))
end
LUA

load() { # name path [script]
  local out
  if [[ -n ${3:-} ]]; then
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$3" "$base$2")
  else
    out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base$2")
  fi
  echo "$out" >"$work/wrk-${1//[^A-Za-z0-9]/_}.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ { $1 = $1; print }' <<<"$out" | paste -sd';' -)
  printf '%-28s %10s req/s   p50 %8s   p99 %8s   %s\n' "$1" "$rps" "$p50" "$p99" \
    "${errors:-no errors}" >>"$work/results.txt"
}

echo "api_bench: measuring (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
before_rate=$(window_rate quiet "$seconds")
rate_status=$(window_rate load "GET /status" /api/v2/batch/status)
rate_one=$(window_rate load "GET /advertisers/{id}" / "$work/random_id.lua")
rate_page=$(window_rate load "GET /advertisers?limit=100" "/api/v2/batch/advertisers?limit=100")
after_rate=$(window_rate quiet "$seconds")
left=$(curl -s "$api/status" | sed -E 's/.*"PENDING":([0-9]+).*/\1/')

echo
echo "api_bench: $existing EXISTING + $fresh NEW advertisers, SQLite, simulated jobs of $latency, wrk -t2 -c$connections -d${seconds}s"
cat "$work/results.txt"
echo "backfill jobs/s: quiet before $before_rate, under GET /status $rate_status, under GET /advertisers/{id} $rate_one, under GET /advertisers?limit=100 $rate_page, quiet after $after_rate"
echo "months still PENDING at the end: $left (the quiet-after window is only meaningful while this is well above zero)"
