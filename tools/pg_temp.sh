#!/usr/bin/env bash
# Throwaway PostgreSQL for tests and benchmarks, sourced by tools/test.sh and
# bench scripts: pg_temp_start sets CDPBATCH_TEST_PG_URL; pg_temp_restart_immediate
# crashes and restarts the server; pg_temp_stop tears it all down. Postgres
# refuses to run as root, so as root it runs as the 'postgres' system user
# (created by the postgresql package).

pg_temp_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

pg_temp_as() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Benchmarks on a shared machine: the kernel shares the CPU between sessions
# (autogroups), not processes, so `nice` does not lift a benchmark above a
# compile running in another session. With CDPBATCH_BENCH_NICE set (e.g. -15;
# below 0 needs root) the given process's session (default: this shell's)
# gets that niceness; pg_temp_start does the same for the server.
pg_temp_bench_priority() {
  [[ -n ${CDPBATCH_BENCH_NICE:-} ]] || return 0
  echo "$CDPBATCH_BENCH_NICE" 2>/dev/null >"/proc/${1:-$$}/autogroup" ||
    echo "pg_temp: cannot set the session's niceness to $CDPBATCH_BENCH_NICE (root?)" >&2
}

# Below the kernel's ephemeral range: a port there may be held by some
# client's outgoing connection, which a connect cannot see but a bind hits.
pg_temp_free_port() {
  local port low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  (( low > 20100 )) || low=60000
  for port in $(shuf -i "20000-$((low - 1))" -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

pg_temp_start() {
  PG_TEMP_DIR=$(mktemp -d /tmp/cdpbatch-pg.XXXXXX)
  chmod 755 "$PG_TEMP_DIR"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$PG_TEMP_DIR"
  pg_temp_as "$pg_temp_bin/initdb" -D "$PG_TEMP_DIR/data" -U postgres -A trust \
    --no-sync -E UTF8 >"$PG_TEMP_DIR/initdb.log" 2>&1 || {
    cat "$PG_TEMP_DIR/initdb.log" >&2
    return 1
  }
  # Another process may take the port between the check and the bind: then
  # the server is tried on another one.
  local tries
  for tries in 1 2 3 4 5; do
    PG_TEMP_PORT=$(pg_temp_free_port)
    pg_temp_as "$pg_temp_bin/pg_ctl" -D "$PG_TEMP_DIR/data" -l "$PG_TEMP_DIR/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $PG_TEMP_PORT -k $PG_TEMP_DIR -c max_connections=200" \
      start >/dev/null && break
    if (( tries == 5 )) || ! grep -q "Address already in use" "$PG_TEMP_DIR/server.log"; then
      cat "$PG_TEMP_DIR/server.log" >&2
      return 1
    fi
    echo "pg_temp: port $PG_TEMP_PORT was taken meanwhile; trying another" >&2
    : >"$PG_TEMP_DIR/server.log"
  done
  pg_temp_bench_priority "$(head -n 1 "$PG_TEMP_DIR/data/postmaster.pid")"
  pg_temp_as "$pg_temp_bin/createdb" -h 127.0.0.1 -p "$PG_TEMP_PORT" -U postgres cdpbatch_test
  export CDPBATCH_TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_TEMP_PORT/cdpbatch_test"
  export PG_TEMP_DIR PG_TEMP_PORT
}

# `pg_ctl restart -m immediate`: every connection is cut and nothing is flushed
# first, as a crash of the server would; it comes back on the same port.
pg_temp_restart_immediate() {
  pg_temp_as "$pg_temp_bin/pg_ctl" -D "$PG_TEMP_DIR/data" -l "$PG_TEMP_DIR/server.log" -w \
    -m immediate restart >/dev/null
}

pg_temp_stop() {
  [[ -n ${PG_TEMP_DIR:-} && -d $PG_TEMP_DIR ]] || return 0
  pg_temp_as "$pg_temp_bin/pg_ctl" -D "$PG_TEMP_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEMP_DIR"
}
