#!/usr/bin/env bash
# The .deb in a clean Debian 12 root: build it, install it with apt (which
# pulls the dependencies it declares), start cdpbatchd there as the cdpbatch
# user, ask /api/v2/batch/status over loopback from outside the root, stop it,
# remove and purge the package: the database must stay. Needs root and
# debootstrap; without them it fails, it does not skip.
# Usage: deb_install_test.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
work=$build/install-test
# The clean root, made once by debootstrap (about 2 minutes) and never changed:
# each run installs into an overlay of it whose changes live in a tmpfs, so a
# fresh root costs nothing and is gone at unmount.
minbase=$work/bookworm-minbase
scratch=$work/scratch
root=$work/root
# apt's package lists and the dependencies' .debs persist (apt still resolves
# the package's Depends every run; it only does not download them again).
lists=$work/apt/lists
archives=$work/apt/archives
mirror=${CDPBATCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "install-test: $*"; }

[[ $(id -u) -eq 0 ]] || fail "needs root (debootstrap, chroot, mount); run it as root, as CI does"
command -v debootstrap >/dev/null || fail "debootstrap is missing: run tools/setup.sh"
command -v cpack >/dev/null || fail "cpack is missing: install cmake"

mounts=()
daemon=
cleanup() {
  [[ -z $daemon ]] || kill -KILL "$daemon" 2>/dev/null || true
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
}
trap cleanup EXIT
mount_in() { # mount arguments..., the last one the mount point
  mount "$@"
  mounts+=("${!#}")
}

# A run that was killed may have left its mounts; rm -r must never reach
# through one into the host.
release_mounts_under() {
  findmnt -rn -o TARGET | grep -F "$1/" | tac | xargs -r -d '\n' umount || true
  if findmnt -rn -o TARGET | grep -qF "$1/"; then
    fail "something is still mounted under $1: unmount it, then rerun"
  fi
}

release_mounts_under "$work"
mkdir -p "$work"
started=$SECONDS

step "building the .deb"
rm -rf "$work/packages"
(cd "$build" && cpack -G DEB -B "$work/packages") > "$work/cpack.log" 2>&1 ||
  { tail -30 "$work/cpack.log"; fail "cpack failed (log: $work/cpack.log)"; }
debs=("$work"/packages/cdpbatch_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "expected one cdpbatch_*.deb in $work/packages"
deb=${debs[0]}

depends=$(dpkg-deb -f "$deb" Depends)
# libssl3 is not linked by the binaries themselves but by CAF's openssl
# module: it is checked in the root, where apt must have pulled it.
for lib in libcaf-core libcaf-io libcaf-openssl libpq5 libsqlite3 libspdlog libfmt \
           libprometheus-cpp-core adduser; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
[[ $(dpkg-deb -I "$deb" conffiles) == /etc/cdpbatch/config.toml ]] ||
  fail "/etc/cdpbatch/config.toml is not the package's conffile"

if [[ ! -d $minbase ]]; then
  step "making the clean Debian 12 root once: debootstrap --variant=minbase bookworm"
  rm -rf --one-file-system "$minbase.part" "$work/apt"
  debootstrap --variant=minbase bookworm "$minbase.part" "$mirror" > "$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; fail "debootstrap failed (log: $work/debootstrap.log)"; }
  mv "$minbase.part" "$minbase"
fi
if [[ ! -d $lists ]]; then
  mkdir -p "$work/apt" "$archives"
  cp -a "$minbase/var/lib/apt/lists" "$lists"
fi
step "mounting a fresh overlay of the clean root"
mkdir -p "$scratch" "$root"
mount_in -t tmpfs -o mode=0755 cdpbatch-install-test "$scratch"
mkdir "$scratch/upper" "$scratch/work"
mount_in -t overlay -o "lowerdir=$minbase,upperdir=$scratch/upper,workdir=$scratch/work" \
  cdpbatch-install-test "$root"
mount_in -t proc proc "$root/proc"
[[ -c $root/dev/null ]] || mount_in --bind /dev "$root/dev"
mount_in --bind "$lists" "$root/var/lib/apt/lists"
mount_in --bind "$archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The environment of a service: nothing of this shell's (a CDPBATCH_API_TOKEN
# or sanitizer options would change what runs).
clean_env=(/usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
in_root() { chroot "$root" "${clean_env[@]}" "$@"; }

step "apt-get install $(basename "$deb")"
cp "$deb" "$root/tmp/cdpbatch.deb"
install_deb() {
  in_root DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 \
    /tmp/cdpbatch.deb > "$work/apt-install.log" 2>&1
}
# The kept package lists are refreshed only when the mirror has moved on.
if ! install_deb; then
  in_root apt-get update -q > "$work/apt-update.log" 2>&1 ||
    { tail -20 "$work/apt-update.log"; fail "apt-get update in the root failed"; }
  install_deb || { tail -30 "$work/apt-install.log"; fail "apt-get install of the .deb failed"; }
fi

step "checking what was installed"
# shellcheck disable=SC2016 # dpkg-query expands ${Status}, not the shell
[[ $(in_root dpkg-query -W -f='${Status}' libssl3 2>/dev/null) == "install ok installed" ]] ||
  fail "libssl3 (for the admin port's TLS) was not installed with the package"
uid=$(in_root id -u cdpbatch) || fail "the package made no cdpbatch user"
gid=$(in_root id -g cdpbatch)
[[ $(in_root getent passwd cdpbatch | cut -d: -f7) == */nologin ]] ||
  fail "the cdpbatch user can log in"
for dir in /var/lib/cdpbatch /var/log/cdpbatch; do
  [[ $(stat -c '%u:%g %a' "$root$dir") == "$uid:$gid 750" ]] ||
    fail "$dir is $(stat -c '%U:%G %a' "$root$dir"), expected cdpbatch:cdpbatch 750"
done
[[ $(stat -c '%u:%g %a' "$root/etc/cdpbatch/config.toml") == "0:$gid 640" ]] ||
  fail "/etc/cdpbatch/config.toml is not root:cdpbatch 640"
unit=$root/usr/lib/systemd/system/cdpbatchd.service
grep -qx 'ExecStart=/usr/bin/cdpbatchd --config /etc/cdpbatch/config.toml' "$unit" ||
  fail "the unit does not start /usr/bin/cdpbatchd with /etc/cdpbatch/config.toml"
[[ ! -e $root/etc/systemd/system/multi-user.target.wants/cdpbatchd.service ]] ||
  fail "installing enabled the unit; only an operator may"
[[ -x $root/usr/bin/cdpctl && -f $root/usr/share/doc/cdpbatch/README.md ]] ||
  fail "cdpctl or the README is missing"

step "starting cdpbatchd as cdpbatch ($uid:$gid) on loopback"
# Port 0: other tests and daemons on this machine hold the default ports.
chroot --userspec="$uid:$gid" "$root" "${clean_env[@]}" /bin/sh -c 'cd /var/lib/cdpbatch && exec /usr/bin/cdpbatchd \
  --config /etc/cdpbatch/config.toml --set http.listen=127.0.0.1:0 --set admin.listen=127.0.0.1:0' \
  > "$work/daemon.log" 2>&1 < /dev/null &
daemon=$!
port=
for _ in $(seq 150); do
  port=$(sed -n 's|.*REST API listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/daemon.log")
  [[ -z $port ]] || break
  kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.log"; fail "cdpbatchd exited at start"; }
  sleep 0.2
done
[[ -n $port ]] || { cat "$work/daemon.log"; fail "cdpbatchd did not listen within 30 s"; }
[[ $(stat -c %u "/proc/$daemon") == "$uid" ]] || fail "cdpbatchd does not run as cdpbatch"
status=$(curl -fsS "http://127.0.0.1:$port/api/v2/batch/status") ||
  fail "GET /api/v2/batch/status failed"
[[ $status == *'"advertisers":{"total":0'* ]] || fail "unexpected status: $status"
step "status: $status"
db=$root/var/lib/cdpbatch/cdpbatch.db
[[ $(stat -c %u "$db") == "$uid" ]] || fail "no database owned by cdpbatch at /var/lib/cdpbatch"
[[ -s $root/var/log/cdpbatch/cdpbatchd.log ]] || fail "nothing logged to /var/log/cdpbatch"

kill -TERM "$daemon"
code=0
wait "$daemon" || code=$?
daemon=
[[ $code -eq 0 ]] || { cat "$work/daemon.log"; fail "cdpbatchd exited $code after SIGTERM"; }

step "apt-get remove cdpbatch"
in_root DEBIAN_FRONTEND=noninteractive apt-get remove -y -q -o Dpkg::Use-Pty=0 cdpbatch > "$work/apt-remove.log" 2>&1 ||
  { tail -20 "$work/apt-remove.log"; fail "apt-get remove failed"; }
[[ ! -e $root/usr/bin/cdpbatchd ]] || fail "remove left /usr/bin/cdpbatchd"
[[ -f $db && -f $root/etc/cdpbatch/config.toml ]] || fail "remove took the database or the config"
[[ $(stat -c %u "$db") == "$uid" ]] || fail "remove changed the database's owner"

step "dpkg --purge cdpbatch"
in_root dpkg --purge cdpbatch > "$work/purge.log" 2>&1 ||
  { cat "$work/purge.log"; fail "dpkg --purge failed"; }
[[ ! -e $root/etc/cdpbatch/config.toml && ! -e $root/var/log/cdpbatch ]] ||
  fail "purge left the config or the logs"
[[ -f $db ]] || fail "purge took the database"
[[ -z $(in_root dpkg-statoverride --list | grep cdpbatch || true) ]] ||
  fail "purge left dpkg-statoverride entries"

step "passed in $((SECONDS - started)) s"
