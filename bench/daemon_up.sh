# Sourced by the benchmark scripts that start a cdpbatchd of their own.
# wait_for_daemon URL LOG [SECONDS]: returns once URL answers (10 s by
# default); otherwise prints the daemon's LOG and fails.
wait_for_daemon() {
  local url=$1 log=$2 tries=$((${3:-10} * 10))
  for _ in $(seq "$tries"); do
    curl -sf "$url" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the daemon did not answer $url within ${3:-10} s; its output:" >&2
  cat "$log" >&2
  return 1
}
