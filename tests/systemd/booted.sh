#!/usr/bin/env bash
# The installer and the services under a real systemd as PID 1: a cached Debian 12 root
# (root.sh) copied, booted with systemd-nspawn (private network: nothing reaches the host),
# install.sh --yes inside, then the checks of issue 16, each defect's assertion named
# "defect N". Run by the integration test `systemd_booted` (tests/it/systemd.rs):
#   booted.sh BINARY REPO_DIR
# Exit 0 only when every check passed; the container is powered off and removed on any exit.
set -euo pipefail

BIN=$1 REPO=$2
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
START=$(date +%s)
step() { echo "[$(($(date +%s) - START))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { # DESCRIPTION COMMAND...: the command must succeed
  local what=$1; shift
  "$@" || fail "$what"
  echo "  ok: $what"
}

BASE=$(bash "$HERE/root.sh")
step "cached root: $BASE"
WORK=$(mktemp -d /var/tmp/wss-booted.XXXXXX)
MROOT=$WORK/root
NSPAWN_PID=""
# Is the process running (not gone, not a zombie waiting to be reaped)?
running() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$st" ] && [ "$st" != Z ]; }
cleanup() {
  local rc=$?
  if [ -n "$NSPAWN_PID" ] && running "$NSPAWN_PID"; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true
    for _ in $(seq 50); do running "$NSPAWN_PID" || break; sleep 0.2; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  if [ "$rc" -ne 0 ] && [ -f "$WORK/nspawn.log" ]; then
    echo "--- container console (last 40 lines)" >&2; tail -40 "$WORK/nspawn.log" >&2
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT INT TERM

cp -a --reflink=auto "$BASE" "$MROOT"
install -m 0755 "$BIN" "$MROOT/root/wss-panel"
cp -a "$REPO/install" "$MROOT/root/install"
echo 'Admin-pass-1234' > "$MROOT/root/admin-password"
step "root copied"

boot() {
  setsid systemd-nspawn -b -D "$MROOT" --register=no --keep-unit --private-network \
    --console=read-only -M trial >>"$WORK/nspawn.log" 2>&1 &
  NSPAWN_PID=$!
  # For the Rust driver, which stops this container if this script is killed before its trap.
  if [ -n "${WSS_BOOTED_PIDFILE:-}" ]; then echo "$NSPAWN_PID" >"$WSS_BOOTED_PIDFILE"; fi
  LEADER=""
  # The container's PID 1 (systemd), once it listens on its private bus socket.
  for _ in $(seq 300); do
    LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd | head -n1 || true)
    [ -n "$LEADER" ] && nsenter -t "$LEADER" -a -- test -S /run/systemd/private 2>/dev/null && break
    LEADER=""
    sleep 0.1
  done
  [ -n "$LEADER" ] || fail "systemd-nspawn started no container within 30 s"
  # is-system-running --wait returns once boot has finished: "running" or "degraded".
  local state
  state=$(timeout 60 nsenter -t "$LEADER" -a -- systemctl is-system-running --wait 2>/dev/null || true)
  [ "$state" = running ] || { IN systemctl --failed --no-pager || true; fail "the container booted '$state', not 'running'"; }
}
IN() { nsenter -t "$LEADER" -a -- "$@"; }
# Waits (up to 10 s) until the container's systemd has stopped running (after poweroff/reboot).
wait_gone() {
  for _ in $(seq 100); do running "$NSPAWN_PID" || { wait "$NSPAWN_PID" || true; return 0; }; sleep 0.1; done
  fail "the container did not shut down within 10 s"
}

boot
step "booted"

# What the container holds before install.sh: uninstall --purge must come back to exactly this.
snapshot() {
  IN bash -c 'find /etc /usr/local /var/lib /home -xdev \( -path /var/lib/apt -o -path /var/lib/dpkg \
      -o -path /var/lib/systemd -o -path /var/lib/dbus -o -path /var/lib/private -o -path /etc/ssh/ssh_host_\* \
      -o -path "/etc/*-" -o -path /etc/.pwd.lock \) -prune \
      -o -printf "%p %u %g %m\n" | sort; cut -d: -f1 /etc/passwd /etc/group | sort; nft list tables'
}
snapshot >"$WORK/before"

UNITS=(wss_panel wss sshd_stunnel stunnel@wss)
install_it() {
  local t0
  t0=$(date +%s)
  IN /root/install/install.sh --yes --binary /root/wss-panel --admin-password-file /root/admin-password \
    >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; fail "install.sh --yes failed"; }
  step "installed in $(($(date +%s) - t0)) s"
}
all_active() { for u in "${UNITS[@]}"; do IN systemctl is-active --quiet "$u" || { echo "$u is not active" >&2; return 1; }; done; }
wait_ports() { # the services bind once started; give them up to 10 s
  for _ in $(seq 100); do
    IN bash -c 'exec 3<>/dev/tcp/127.0.0.1/80 && exec 4<>/dev/tcp/127.0.0.1/444 && exec 5<>/dev/tcp/127.0.0.1/54320' 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

install_it
check "every unit active after install" all_active
check "the ports answer" wait_ports
check "the system is not degraded" test "$(IN systemctl is-system-running)" = running

# shellcheck source=tests/systemd/checks.sh
. "$HERE/checks.sh"
# shellcheck source=tests/systemd/uninstall_checks.sh
. "$HERE/uninstall_checks.sh"
# shellcheck source=tests/systemd/node_checks.sh
. "$HERE/node_checks.sh"
step "done"
