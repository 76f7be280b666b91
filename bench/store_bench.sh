#!/usr/bin/env bash
# The store benchmark in one run: starts a throwaway PostgreSQL (default
# settings, synchronous_commit on), runs store_bench on SQLite and on that
# PostgreSQL, then measures pgbench's single-row UPDATE transactions per
# second on the same server with 2, 4 and 8 clients, and prints how many times
# faster the batched store path is. Tears everything down at exit.
#
#   bench/store_bench.sh                 # defaults below
#   bench/store_bench.sh -n 200000 -b 1000,5000
#   PGBENCH_SECONDS=10 bench/store_bench.sh
#
# Arguments go to store_bench (see build/bin/store_bench --help).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
if [[ ! -f build/CMakeCache.txt ]]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE="${CDPBATCH_BUILD_TYPE:-Release}" >/dev/null
fi
cmake --build build -j "$(nproc)" --target store_bench >/dev/null

source tools/pg_temp.sh
pg_temp_bench_priority
trap pg_temp_stop EXIT
pg_temp_start
pg_seconds=${PGBENCH_SECONDS:-5}
pg_rows=100000
psql_args=(-X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres)

echo "== store_bench (PostgreSQL $("$pg_temp_bin/postgres" --version | awk '{print $3}'),"\
  "synchronous_commit $(psql "${psql_args[@]}" -Atc 'SHOW synchronous_commit' cdpbatch_test),"\
  "$(nproc) cores)"
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(-n 100000 -b 1,100,1000)
build/bin/store_bench --pg-url "$CDPBATCH_TEST_PG_URL" "${args[@]}" | tee "$PG_TEMP_DIR/store_bench.txt"

echo
echo "== pgbench: single-row UPDATE by primary key, ${pg_seconds}s per run"
"$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres pgbench_rows
psql "${psql_args[@]}" pgbench_rows <<SQL
CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0);
INSERT INTO bench_rows (id) SELECT generate_series(1, $pg_rows);
VACUUM ANALYZE bench_rows;
SQL
cat >"$PG_TEMP_DIR/update.sql" <<SQL
\set id random(1, $pg_rows)
UPDATE bench_rows SET n = n + 1 WHERE id = :id;
SQL
best_tps=0
printf '%-8s %12s\n' clients tps
for clients in 2 4 8; do
  tps=$("$pg_temp_bin/pgbench" -n -M prepared -f "$PG_TEMP_DIR/update.sql" -c "$clients" \
    -j "$clients" -T "$pg_seconds" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres pgbench_rows \
    | awk '/^tps = / {print int($3); exit}')
  printf '%-8s %12s\n' "$clients" "$tps"
  ((tps > best_tps)) && best_tps=$tps
done

best_store=$(awk '$1 == "postgresql" && $6 > best {best = $6} END {print int(best)}' \
  "$PG_TEMP_DIR/store_bench.txt")
echo
if ((best_tps > 0 && best_store > 0)); then
  awk -v s="$best_store" -v p="$best_tps" 'BEGIN {
    printf "PostgreSQL: store_bench best %d transitions/s vs pgbench best %d single-row tps: %.1fx\n", s, p, s / p }'
else
  echo "no ratio: store_bench or pgbench produced no PostgreSQL figure" >&2
  exit 1
fi
