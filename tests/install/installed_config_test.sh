#!/usr/bin/env bash
# The config that `cmake --install` and the .deb put in /etc/cdpbatch is valid
# and keeps the store and the log in the daemon's folders.
# Usage: installed_config_test.sh CDPBATCHD CONFIG
set -euo pipefail
effective=$("$1" --check-config --config "$2")
for expected in "store.url = 'sqlite:///var/lib/cdpbatch/cdpbatch.db'" \
                "log.file = '/var/log/cdpbatch/cdpbatchd.log'"; do
  grep -qF "$expected" <<<"$effective" || {
    echo "FAIL: $2 does not give $expected; cdpbatchd --check-config printed:"
    echo "$effective"
    exit 1
  }
done
echo "installed config ok: $2"
