#!/usr/bin/env bash
# Soak: NEW advertisers backfilling on three cdpbatchd nodes that share one
# throwaway PostgreSQL, while nodes are killed with SIGKILL at random instants
# (and restarted after a random pause, sometimes longer than the lease TTL so
# that the others take over), PostgreSQL is restarted with -m immediate, and
# one node is lost for good. At the end it prints, from the store:
#   months lost            backfill months with no COMPLETED attempt
#   months double counted  past months with more than one COMPLETED attempt
#   months on two nodes    months with two attempts whose run times overlap
#   takeover               lease expiry of a killed node (its last heartbeat +
#                          TTL) to the first claim of one of its advertisers by
#                          another node
#   early takeovers        such claims before the lease expired (a bug)
# A benchmark, not a test: never in ctest. Intervals are short (heartbeat
# 250ms, lease TTL 1500ms) so the whole run takes a few minutes.
#
#   bench/soak.sh [seed]
#   env: SOAK_ADVERTISERS (200) SOAK_MONTHS (24) SOAK_KILLS (20) SOAK_PG_RESTARTS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
seed=${1:-$(date +%s)}
advertisers=${SOAK_ADVERTISERS:-200}
months=${SOAK_MONTHS:-24}
kills=${SOAK_KILLS:-20}
pg_restarts=${SOAK_PG_RESTARTS:-2}
nodes=3
ttl_ms=1500
RANDOM=$seed

source bench/build_targets.sh
bench_build cdpbatchd

source tools/pg_temp.sh
out=$(mktemp -d /tmp/cdpbatch-soak.XXXXXX)
declare -A pid=()
late_beats=() # kills after which the victim's last heartbeat still reached the store
stop_all() {
  for n in "${!pid[@]}"; do kill -9 "${pid[$n]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_temp_stop
  rm -rf "$out"
}
trap stop_all EXIT
pg_temp_start
url=${CDPBATCH_TEST_PG_URL}
sql() { "$pg_temp_bin/psql" "$url" -X -At -v ON_ERROR_STOP=1 -c "$1"; }
now_ms() { date +%s%3N; }
# The server may still commit what a killed node had sent (a heartbeat, the
# release of its surplus leases) after the kill: waits until it has ended the
# node's session, which frees the node's lock (try_lock_node in
# persistence/postgres_cluster.cpp). False if it did not within 5 s.
session_ended() {
  local _
  for _ in $(seq 100); do
    [[ $(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1
      AND (classid::bigint << 32 | objid::bigint) = hashtextextended('cdpbatch.node.public.$1', 0)" \
      2>/dev/null) == 0 ]] && return 0
    sleep 0.05
  done
  return 1
}

start_node() {
  local n=$1
  build/bin/cdpbatchd --config config.toml --set store.url="$url" --set node.id="soak-$n" \
    --set http.listen=127.0.0.1:0 --set admin.listen=127.0.0.1:0 \
    --set log.file="$out/node-$n.log" --set job.kind=simulated \
    --set job.simulated.latency=100ms --set job.simulated.latency_jitter=100ms \
    --set backfill.months="$months" --set schedule.tick_interval=5s \
    --set node.heartbeat=250ms --set node.lease_ttl="${ttl_ms}ms" --set reaper.interval=250ms \
    --set batch.thread-pool.core-size=4 --set batch.thread-pool.max-size=4 \
    --set retry.backoff_base=100ms --set retry.backoff_max=1s >>"$out/node-$n.out" 2>&1 &
  pid[$n]=$!
}

echo "soak: seed $seed, $advertisers NEW advertisers x $months months, $nodes nodes," \
  "$kills kills, $pg_restarts PostgreSQL restarts, 1 node lost; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $(seq $nodes); do start_node "$n"; done
port=
for _ in $(seq 300); do
  port=$(grep -oE 'REST API listening on http://127\.0\.0\.1:[0-9]+/' "$out/node-1.out" |
    grep -oE '[0-9]+/$' | tr -d / || true)
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "soak: node 1 did not start:" >&2; cat "$out/node-1.out" >&2; exit 1; }
started=$(now_ms)
for i in $(seq -w 1 "$advertisers"); do
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"advertiserId\":\"soak-$i\",\"type\":\"NEW\"}" \
    "http://127.0.0.1:$port/api/v2/batch/advertisers" ||
    { echo "soak: creating soak-$i failed" >&2; exit 1; }
done

# The events in a seeded random order: kills, PostgreSQL restarts, and the
# node lost for good half-way through the kills.
events=()
for _ in $(seq "$kills"); do events+=(kill); done
for _ in $(seq "$pg_restarts"); do events+=(pg); done
mapfile -t events < <(printf '%s\n' "${events[@]}" | awk -v s="$seed" 'BEGIN { srand(s) } { print rand() "\t" $0 }' | sort -n | cut -f2)
lost_at=$(( ${#events[@]} / 2 ))
events=("${events[@]:0:lost_at}" lose "${events[@]:lost_at}")

alive=($(seq $nodes))
: >"$out/kills.tsv"
for e in "${events[@]}"; do
  sleep "$(( RANDOM % 3 + 1 )).$(( RANDOM % 10 ))"
  case $e in
    pg)
      echo "soak: $(date +%T) PostgreSQL restart -m immediate"
      pg_temp_restart_immediate
      ;;
    kill | lose)
      victim=${alive[$(( RANDOM % ${#alive[@]} ))]}
      kill -9 "${pid[$victim]}"
      wait "${pid[$victim]}" 2>/dev/null || true
      killed=$(now_ms)
      # What the victim held when it died (the store may be restarting: then
      # unknown): its leases now, less those its last transaction gave back,
      # and its last heartbeat, read once nothing it sent can still commit.
      heartbeat="SELECT (extract(epoch FROM heartbeat_at) * 1000)::bigint FROM nodes
        WHERE node_id = 'soak-$victim'"
      beat_at_kill=$(sql "$heartbeat" 2>/dev/null || echo "")
      held=$(sql "SELECT string_agg(quote_literal(advertiser_id), ',') FROM advertiser_leases
        WHERE node_id = 'soak-$victim'" 2>/dev/null || echo "")
      beat=
      : >"$out/leases-$killed.txt"
      if [[ -n $held ]] && session_ended "soak-$victim"; then
        beat=$(sql "$heartbeat" 2>/dev/null || echo "")
        [[ $beat == "$beat_at_kill" ]] || late_beats+=("$killed")
        sql "SELECT advertiser_id FROM advertiser_leases WHERE advertiser_id IN ($held)
          AND node_id IS NOT NULL" >"$out/leases-$killed.txt" 2>/dev/null || beat=
      fi
      if [[ $e == lose ]]; then
        echo "soak: $(date +%T) node soak-$victim killed and lost for good ($(wc -l <"$out/leases-$killed.txt") leases)"
        alive=($(printf '%s\n' "${alive[@]}" | grep -vx "$victim"))
        unset "pid[$victim]"
        printf '%s\t%s\t%s\t%s\n' "soak-$victim" "$killed" "${beat:-}" "" >>"$out/kills.tsv"
        continue
      fi
      pause=$(( RANDOM % (2 * ttl_ms) ))
      echo "soak: $(date +%T) node soak-$victim killed ($(wc -l <"$out/leases-$killed.txt") leases), back in ${pause}ms"
      sleep "$(( pause / 1000 )).$(printf '%03d' $(( pause % 1000 )))"
      restarted=$(now_ms)
      start_node "$victim"
      printf '%s\t%s\t%s\t%s\n' "soak-$victim" "$killed" "${beat:-}" "$restarted" >>"$out/kills.tsv"
      ;;
  esac
done

echo "soak: $(date +%T) chaos over; waiting for the backfill to finish"
finished=
for _ in $(seq 600); do
  left=$(sql "SELECT count(*) FROM advertisers WHERE active AND NOT backfill_completed" 2>/dev/null || echo -1)
  [[ $left == 0 ]] && { finished=$(now_ms); break; }
  sleep 1
done
for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}"; done
for n in "${!pid[@]}"; do wait "${pid[$n]}" || echo "soak: node soak-$n exited with $?"; done
pid=()

# Backfill months: every month row of these (all NEW) advertisers except the
# current month, which they refresh on every tick once promoted.
current="to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')"
total=$(sql "SELECT count(*) FROM advertiser_processing_states")
inactive=$(sql "SELECT count(*) FROM advertisers WHERE NOT active")
lost=$(sql "SELECT count(*) FROM advertiser_processing_states s WHERE NOT EXISTS (
  SELECT 1 FROM month_attempts a WHERE a.advertiser_id = s.advertiser_id
   AND a.processing_month = s.processing_month AND a.outcome = 'COMPLETED')")
double=$(sql "SELECT count(*) FROM (SELECT 1 FROM month_attempts
  WHERE outcome = 'COMPLETED' AND processing_month < $current
  GROUP BY advertiser_id, processing_month HAVING count(*) > 1) d")
overlapping=$(sql "SELECT count(DISTINCT (a.advertiser_id, a.processing_month))
  FROM month_attempts a JOIN month_attempts b ON a.advertiser_id = b.advertiser_id
   AND a.processing_month = b.processing_month AND a.id < b.id
  WHERE a.started_at < coalesce(b.finished_at, 'infinity')
    AND b.started_at < coalesce(a.finished_at, 'infinity')")
on_two_nodes=$(sql "SELECT count(DISTINCT (a.advertiser_id, a.processing_month))
  FROM month_attempts a JOIN month_attempts b ON a.advertiser_id = b.advertiser_id
   AND a.processing_month = b.processing_month AND a.id < b.id AND a.owner <> b.owner
  WHERE a.started_at < coalesce(b.finished_at, 'infinity')
    AND b.started_at < coalesce(a.finished_at, 'infinity')")
interrupted=$(sql "SELECT count(*) FROM month_attempts WHERE error_message LIKE 'interrupted%'")

# Takeover, for each kill whose victim's leases another node claimed before
# the victim was back: that claim minus the victim's lease expiry. A claim
# before the expiry is an early takeover, reported on its own.
takeovers=()
early=()
while IFS=$'\t' read -r victim killed beat restarted; do
  [[ -n $beat ]] || continue
  ids=$(paste -sd, "$out/leases-$killed.txt" | sed "s/[^,][^,]*/'&'/g")
  [[ -n $ids ]] || continue
  until=${restarted:-9999999999999}
  claim=$(sql "SELECT (extract(epoch FROM started_at) * 1000)::bigint, owner, advertiser_id
    FROM month_attempts WHERE advertiser_id IN ($ids) AND owner <> '$victim'
     AND started_at >= to_timestamp($killed / 1000.0) AND started_at < to_timestamp($until / 1000.0)
    ORDER BY started_at LIMIT 1")
  [[ -n $claim ]] || continue
  IFS='|' read -r first owner advertiser <<<"$claim"
  took=$(( first - (beat + ttl_ms) ))
  if (( took >= 0 )); then
    takeovers+=("$took")
  else
    late=
    [[ " ${late_beats[*]} " == *" $killed "* ]] && late=" (its last heartbeat reached the store after the kill)"
    early+=("$owner claimed $advertiser $(( -took ))ms before $victim's lease expired$late")
  fi
done <"$out/kills.tsv"

echo "== soak, seed $seed: $advertisers advertisers x $months months on $nodes nodes; $kills kills," \
  "$pg_restarts PostgreSQL restarts, 1 node lost for good"
if [[ -n $finished ]]; then
  echo "backfill done in          $(( (finished - started) / 1000 )) s"
else
  echo "backfill done in          NOT FINISHED within 10 min of the last event"
  for log in "$out"/node-*.log; do echo "-- last lines of $log"; tail -n 20 "$log"; done
fi
echo "month rows                $total (expected $(( advertisers * (months) )))"
echo "advertisers deactivated   $inactive"
echo "attempts interrupted      $interrupted"
echo "months lost               $lost"
echo "months double counted     $double"
echo "months on two nodes       $on_two_nodes (any two overlapping attempts: $overlapping)"
if (( ${#takeovers[@]} > 0 )); then
  sorted=($(printf '%s\n' "${takeovers[@]}" | sort -n))
  echo "takeover (ms)             ${#sorted[@]} takeovers: min ${sorted[0]}," \
    "median ${sorted[$(( (${#sorted[@]} - 1) / 2 ))]}, max ${sorted[-1]} (lease TTL ${ttl_ms}ms)"
else
  echo "takeover (ms)             no takeover observed"
fi
echo "early takeovers           ${#early[@]}"
for e in "${early[@]}"; do echo "  $e"; done
