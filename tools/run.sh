#!/usr/bin/env bash
# Set-up, build, then run the daemon on the embedded SQLite store with the
# demo advertisers (A and B existing, C new and backfilling 24 months).
# Extra arguments go to cdpbatchd, e.g. tools/run.sh --set log.level=debug
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh >/dev/null
exec build/bin/cdpbatchd --config config.toml --demo "$@"
