#!/usr/bin/env bash
# shellcheck disable=SC2015
# wss-panel uninstaller: undoes exactly what install.sh recorded in its manifest, newest first
# (services, units, sudoers, configs, accounts it created, directories it created, the
# firewall tables), restores files it had backed up, and leaves everything else alone: the
# admin's sshd, pre-existing accounts, packages. The data (/etc/wss-panel, /var/lib/wss-panel)
# is deleted only with --purge or a "yes"; tunnel accounts only with --remove-tunnel-users.
set -euo pipefail

ROOT="" PURGE="" YES=0 REMOVE_TUNNEL_USERS=0
die() { echo "uninstall.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a value"; ROOT=$2; shift ;;
    --purge) PURGE=1 ;;
    --keep-data) PURGE=0 ;;
    --yes|-y) YES=1 ;;
    --remove-tunnel-users) REMOVE_TUNNEL_USERS=1 ;;
    -h|--help)
      echo "Usage: uninstall.sh [--root DIR] [--purge | --keep-data] [--remove-tunnel-users] [--yes]"; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || die "run me as root"
if [ -n "$ROOT" ]; then ROOT=$(cd "$ROOT" && pwd); [ "$ROOT" != / ] || ROOT=""; fi
R() { printf '%s%s' "$ROOT" "$1"; }
INSTALLER_DIR=/var/lib/wss-panel-installer
MANIFEST=$(R $INSTALLER_DIR/manifest)
if [ ! -f "$MANIFEST" ]; then
  # A purge already ran (or nothing was installed): running again changes nothing.
  say "no manifest at $MANIFEST: nothing install.sh recorded is left to remove"
  exit 0
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$MANIFEST" "$WORK/manifest"
MANIFEST="$WORK/manifest"

# Only paths and names of the shapes install.sh writes are acted on.
valid_path() { [[ "$1" =~ ^/[A-Za-z0-9._@/-]+$ ]] && [[ "$1" != *..* ]]; }
valid_name() { [[ "$1" =~ ^[a-z_][a-z0-9_@.-]{0,63}$ ]]; }

if [ -z "$PURGE" ]; then
  if [ "$YES" -eq 1 ] || [ ! -t 0 ]; then PURGE=0
  else
    read -r -p "Delete the data too (users, traffic, config, admin password, certificate)? [y/N] " reply
    case "$reply" in y|Y|yes) PURGE=1 ;; *) PURGE=0 ;; esac
  fi
fi
SYSTEMD=0
[ -z "$ROOT" ] && [ -d /run/systemd/system ] && SYSTEMD=1

# Tunnel accounts: the helper's own list (it refuses accounts it did not create). The list is
# the helper's data: it stays as long as an account on it does, so that a later
# --remove-tunnel-users (after a keep-data run removed the binary) still finds them.
HELPER_DIR=/var/lib/wss-panel-helper
TUNNEL_LIST=$(R $HELPER_DIR/accounts)
listed_accounts_left() { # the names on the list that are still accounts
  [ -s "$TUNNEL_LIST" ] || return 0
  while read -r name; do
    valid_name "$name" && grep -q "^$name:" "$(R /etc/passwd)" && echo "$name"
  done < "$TUNNEL_LIST"
  return 0
}
remove_tunnel_account() { # NAME: the helper when installed, else the same steps by hand
  local name=$1 uid
  if [ -x /usr/local/bin/wss-panel ] && /usr/local/bin/wss-panel privileged delete-user "$name"; then return 0; fi
  uid=$(awk -F: -v u="$name" '$1 == u { print $3 }' /etc/passwd)
  [ -n "$uid" ] && [ "$uid" -ge 1000 ] || { echo "kept $name (uid ${uid:-?}: not a tunnel account)"; return 0; }
  pkill -KILL -u "$uid" 2>/dev/null || true
  for _ in $(seq 50); do pgrep -u "$uid" >/dev/null || break; sleep 0.1; done
  userdel --remove "$name" 2>/dev/null || [ $? -eq 12 ] || echo "could not remove $name"
}
if [ -n "$(listed_accounts_left)" ]; then
  if [ "$REMOVE_TUNNEL_USERS" -eq 1 ] && [ -z "$ROOT" ]; then
    for name in $(listed_accounts_left); do remove_tunnel_account "$name"; done
  else
    echo "tunnel accounts created by the panel are kept (remove them with --remove-tunnel-users):"
    listed_accounts_left | sed 's/^/  /'
  fi
fi

account_tool() { if [ -n "$ROOT" ]; then "$@" --prefix "$ROOT"; else "$@"; fi; }
undo() { # KIND ARG
  local kind=$1 arg=$2
  case "$kind" in
    unit)
      valid_name "$arg" || return 0
      if [ "$SYSTEMD" -eq 1 ]; then systemctl disable --now --quiet "$arg" 2>/dev/null || true; fi ;;
    file)
      valid_path "$arg" || return 0
      rm -f "$(R "$arg")" ;;
    backup)
      valid_path "$arg" || return 0
      if [ -e "$(R "$arg").wss-panel-orig" ]; then mv -f "$(R "$arg").wss-panel-orig" "$(R "$arg")"; fi ;;
    data)
      valid_path "$arg" || return 0
      [ -e "$(R "$arg")" ] || return 0
      if [ "$arg" = "$HELPER_DIR" ] && [ -n "$(listed_accounts_left)" ]; then return 0; fi
      if [ "$PURGE" -eq 1 ]; then rm -rf "$(R "$arg")"
      else
        # The panel account goes: its uid may be handed to the next account created. Kept
        # secrets (admin token, TLS key, store) become root's alone; install.sh hands them back.
        chown -RP 0:0 "$(R "$arg")"; chmod 0700 "$(R "$arg")"
      fi ;;
    dir)
      valid_path "$arg" || return 0
      # A kept data directory stays even when it is empty.
      if [ "$PURGE" -eq 0 ] && grep -qxF "data $arg" "$MANIFEST"; then return 0; fi
      rmdir "$(R "$arg")" 2>/dev/null || true ;;
    user)
      valid_name "$arg" || return 0
      grep -q "^$arg:" "$(R /etc/passwd)" && account_tool userdel "$arg" ;;
    group)
      valid_name "$arg" || return 0
      grep -q "^$arg:" "$(R /etc/group)" || return 0
      # shell_users while kept tunnel accounts are still members (their "Allow Shell").
      if [ -n "$(awk -F: -v g="$arg" '$1 == g { print $4 }' "$(R /etc/group)")" ]; then
        echo "kept group $arg (it still has members)"; return 0
      fi
      # wss_tunnel stays while kept tunnel accounts still have it as their primary group.
      account_tool groupdel "$arg" 2>/dev/null || echo "kept group $arg (an account still uses it)" ;;
  esac
  return 0
}

say "stopping services"
{ grep '^unit ' "$MANIFEST" || true; } | while read -r kind arg; do undo "$kind" "$arg"; done
say "removing files, accounts and directories"
# Newest first; files before the directories that held them.
tac "$MANIFEST" | { grep -v '^unit ' || true; } | while read -r kind arg; do
  [ "$kind:$arg" = "data:$INSTALLER_DIR" ] && continue
  undo "$kind" "$arg"
done
if [ "$SYSTEMD" -eq 1 ]; then
  systemctl daemon-reload
  systemctl reload ssh 2>/dev/null || true
fi
# The helper's ban list and the tunnel customers' guard: nftables tables, or (without nft)
# iptables/ip6tables chains.
if [ -z "$ROOT" ]; then
  if command -v nft >/dev/null; then
    nft delete table inet wss_panel 2>/dev/null || true
    nft delete table inet wss_panel_tunnel 2>/dev/null || true
  fi
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    while "$ipt" -w -D INPUT -j WSS_IP_BLOCK 2>/dev/null; do :; done
    "$ipt" -w -F WSS_IP_BLOCK 2>/dev/null && "$ipt" -w -X WSS_IP_BLOCK 2>/dev/null || true
    while "$ipt" -w -D OUTPUT -j WSS_TUNNEL_GUARD 2>/dev/null; do :; done
    "$ipt" -w -F WSS_TUNNEL_GUARD 2>/dev/null && "$ipt" -w -X WSS_TUNNEL_GUARD 2>/dev/null || true
  done
fi

# Installs that predate its manifest line: the helper's list is data all the same.
if ! grep -qxF "data $HELPER_DIR" "$MANIFEST"; then undo data "$HELPER_DIR"; fi
# What is left stays listed (kept data, the directories it sits in, groups kept tunnel
# accounts still use, the helper's list), so that any later run, in any order, removes it.
# With nothing left, the installer's own state goes too.
while read -r kind arg; do
  [ "$kind:$arg" = "data:$INSTALLER_DIR" ] && continue
  case "$kind" in
    data|dir) if [ -e "$(R "$arg")" ]; then echo "$kind $arg"; fi ;;
    user) if grep -q "^$arg:" "$(R /etc/passwd)"; then echo "$kind $arg"; fi ;;
    group) if grep -q "^$arg:" "$(R /etc/group)"; then echo "$kind $arg"; fi ;;
  esac
done < "$MANIFEST" > "$WORK/left"
if [ "$PURGE" -eq 1 ] && [ -e "$(R $HELPER_DIR)" ] && ! grep -qxF "data $HELPER_DIR" "$WORK/left"; then
  echo "data $HELPER_DIR" >> "$WORK/left"
fi
if grep -qvE "^dir " "$WORK/left"; then
  install -m 0600 "$WORK/left" "$(R $INSTALLER_DIR/manifest)"
  [ "$PURGE" -eq 1 ] || echo "kept the data: /etc/wss-panel, /var/lib/wss-panel (delete with --purge)"
else
  rm -rf "$(R $INSTALLER_DIR)"
  tac "$WORK/left" | while read -r kind arg; do undo dir "$arg"; done
fi
say "wss-panel removed"
