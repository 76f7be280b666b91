#!/usr/bin/env bash
# Bulk import: rows/s of `cdpctl import` (admin port) and of POST
# /api/v2/batch/advertisers:bulk (REST, curl), on SQLite and on a throwaway
# PostgreSQL, each run on a fresh database; the peak RSS of the daemon and of
# cdpctl (/usr/bin/time -v); and how long after the import started every
# imported advertiser has completed its current month (all LIVE and run), to
# hold against the schedule tick (5m by default: the import must not wait for
# it, the supervisor starts imported advertisers at once).
#
#   bench/import.sh [rows ...] [--stores sqlite|postgresql|both] [--paths cdpctl|rest|both]
#   bench/import.sh 100000 1000000
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=()
stores=both
paths=both
while [[ $# -gt 0 ]]; do
  case $1 in
    --stores) stores=$2; shift 2 ;;
    --paths) paths=$2; shift 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100000 1000000)

source bench/build_targets.sh
source bench/daemon_up.sh
bench_build cdpbatchd cdpctl

source tools/pg_temp.sh
pg_temp_bench_priority
work=$(mktemp -d /tmp/cdpbatch-import-bench.XXXXXX)
daemon_pid=
# The daemon runs under /usr/bin/time, which does not pass signals on: its
# child gets the SIGTERM, and time writes the peak RSS once it has drained.
stop_daemon() {
  if [[ -n $daemon_pid ]]; then
    kill -TERM $(pgrep -P "$daemon_pid") 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
  fi
}
trap 'stop_daemon; pg_temp_stop; rm -rf "$work"' EXIT

now() { date +%s.%N; }
peak_rss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }

# The file: EXISTING advertisers, active, ids that sort as they come.
make_file() {
  local rows=$1 file=$work/import-$1.csv
  [[ -f $file ]] || {
    echo "advertiserId,type,active"
    seq -f "imp-%08.0f,EXISTING,true" 1 "$rows"
  } >"$file"
  echo "$file"
}

# One run: a daemon on a fresh database `url`, the import by `path`, then the
# wait until every row's advertiser has completed its current month.
run_once() {
  local store=$1 url=$2 rows=$3 path=$4 file
  file=$(make_file "$rows")
  local dir=$work/run-$store-$rows-$path
  mkdir -p "$dir"
  # Fixed ports: at log level warn the daemon does not log the ones it got.
  local http=$((21000 + RANDOM % 2000)) admin
  admin=$((http + 2000))
  cat >"$dir/config.toml" <<EOF
[store]
url = "$url"
[http]
listen = "127.0.0.1:$http"
max_body = 1073741824
[admin]
listen = "127.0.0.1:$admin"
[job]
kind = "simulated"
[job.simulated]
latency = "0ms"
[log]
level = "warn"
file = "$dir/cdpbatchd.log"
EOF
  /usr/bin/time -v -o "$dir/daemon.time" build/bin/cdpbatchd --config "$dir/config.toml" \
    >"$dir/daemon.out" 2>&1 &
  daemon_pid=$!
  wait_for_daemon "http://127.0.0.1:$http/api/v2/batch/health" "$dir/daemon.out" 30
  local started ended ctl_rss=-
  started=$(now)
  if [[ $path == cdpctl ]]; then
    /usr/bin/time -v -o "$dir/cdpctl.time" build/bin/cdpctl --config "$dir/config.toml" \
      --connect "127.0.0.1:$admin" -o json import "$file" >"$dir/report.json"
    ctl_rss=$(peak_rss_mb "$dir/cdpctl.time")
  else
    curl -sS --fail-with-body -X POST --data-binary "@$file" -H 'Content-Type: text/csv' \
      "http://127.0.0.1:$http/api/v2/batch/advertisers:bulk" >"$dir/report.json"
  fi
  ended=$(now)
  local created
  created=$(jq .created "$dir/report.json")
  [[ $created == "$rows" ]] || { echo "created $created of $rows:"; cat "$dir/report.json"; exit 1; }
  # Every imported advertiser LIVE and its current month COMPLETED once,
  # within one tick (5m) of the start, or the run says how far it got.
  local completed=0 all_run=- live limit
  limit=$(echo "$started + 300" | bc)
  while true; do
    completed=$(curl -s "http://127.0.0.1:$http/api/v2/batch/status" | jq '.states.COMPLETED // 0')
    if [[ $completed -ge $rows ]]; then
      all_run=$(echo "$(now) - $started" | bc)
      break
    fi
    if (($(echo "$(now) > $limit" | bc))); then
      all_run="NOT within 300 s ($completed run)"
      break
    fi
    sleep 0.2
  done
  live=$(curl -s "http://127.0.0.1:$http/api/v2/batch/status" | jq '.lifecycles.LIVE // 0')
  stop_daemon
  printf '%-10s %9s %-7s %8.1f s %9.0f rows/s   %s LIVE, all run after %s s   RSS daemon %s MB, cdpctl %s MB\n' \
    "$store" "$rows" "$path" "$(echo "$ended - $started" | bc)" \
    "$(echo "$rows / ($ended - $started)" | bc -l)" "$live" "$all_run" \
    "$(peak_rss_mb "$dir/daemon.time")" "$ctl_rss"
  rm -rf "$dir"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
for rows in "${sizes[@]}"; do
  for path in cdpctl rest; do
    [[ $paths == both || $paths == "$path" ]] || continue
    if [[ $stores != postgresql ]]; then
      run_once sqlite "sqlite://$work/$rows-$path.db" "$rows" "$path"
      rm -f "$work/$rows-$path.db"*
    fi
    if [[ $stores != sqlite ]]; then
      [[ -n ${CDPBATCH_TEST_PG_URL:-} ]] || pg_temp_start
      db="import_${rows}_$path"
      pg_temp_as "$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
      run_once postgresql "${CDPBATCH_TEST_PG_URL%/*}/$db" "$rows" "$path"
      pg_temp_as "$pg_temp_bin/dropdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres "$db"
    fi
  done
done
