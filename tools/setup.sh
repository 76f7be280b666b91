#!/usr/bin/env bash
# Installs the Debian packages cdpbatch needs to build, test and run.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcaf-dev libcaf-openssl0.17 libssl-dev openssl
  libpq-dev postgresql-15
  libsqlite3-dev sqlite3
  libtomlplusplus-dev libspdlog-dev catch2
  libcpp-httplib-dev libboost1.74-dev nlohmann-json3-dev libcli11-dev prometheus-cpp-dev
  curl wrk hyperfine jq
  chromium chromium-driver
  dpkg-dev file debootstrap
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
