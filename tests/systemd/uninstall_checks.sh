# shellcheck shell=bash
# uninstall.sh under systemd, sourced by booted.sh after checks.sh: both modes, twice in a row,
# in either order, and a reinstall on kept data; a purge leaves the container as it was
# before install.sh (the snapshot taken by booted.sh).

uninstall() { IN /root/install/uninstall.sh --yes "$@" >"$WORK/uninstall.log" 2>&1 || { cat "$WORK/uninstall.log" >&2; return 1; }; }
owner_mode() { stat -c '%U:%G %a' "$MROOT$1"; }
nothing_installed() {
  local u
  for u in "${UNITS[@]}"; do
    [ "$(IN systemctl is-active "$u" 2>/dev/null || true)" != active ] || { echo "$u still active" >&2; return 1; }
    [ ! -e "$MROOT/etc/systemd/system/$u.service" ] || [ "$u" = stunnel@wss ] || { echo "$u.service still there" >&2; return 1; }
  done
  for f in /usr/local/bin/wss-panel /etc/sudoers.d/99-wss-panel /etc/stunnel/wss.conf /etc/ssh/sshd_config_stunnel \
    /etc/ssh/sshd_config.d/50-wss-panel.conf; do
    [ ! -e "$MROOT$f" ] || { echo "$f still there" >&2; return 1; }
  done
  ! grep -qE '^(wss|wss-panel):' "$MROOT/etc/passwd" || { echo "a service account is left" >&2; return 1; }
  ! IN nft list table inet wss_panel_tunnel >/dev/null 2>&1 || { echo "the tunnel guard table is left" >&2; return 1; }
}
kept_data_is_roots() {
  local d
  for d in /etc/wss-panel /var/lib/wss-panel; do
    [ "$(owner_mode $d)" = "root:root 700" ] || { echo "$d is $(owner_mode $d)" >&2; return 1; }
    [ -z "$(find "$MROOT$d" ! -user root -print -quit)" ] || { echo "$d holds files of a deleted uid" >&2; return 1; }
  done
  [ -s "$MROOT/var/lib/wss-panel/admin_token" ] && [ -s "$MROOT/etc/wss-panel/key.pem" ] && [ -s "$MROOT/var/lib/wss-panel/wss_panel.redb" ]
}
same_as_before() {
  snapshot >"$WORK/after"
  diff "$WORK/before" "$WORK/after" >&2
}

step "uninstall --keep-data"
check "uninstall.sh --keep-data succeeds" uninstall --keep-data
check "keep-data: every service, unit, file and service account is gone" nothing_installed
check "defect 5: kept data is owned by root, 0700, no file of a deleted uid" kept_data_is_roots
check "keep-data keeps the tunnel account" IN id alice
check "uninstall.sh --keep-data a second time succeeds" uninstall --keep-data
second_keep_changes_nothing() { nothing_installed && kept_data_is_roots && IN id alice >/dev/null; }
check "a second keep-data run changes nothing" second_keep_changes_nothing

step "reinstall on kept data"
install_it
check "every unit active after a reinstall on kept data" all_active
check "the ports answer after the reinstall" wait_ports
check "wss-panel doctor after the reinstall" doctor_all_ok
status=$(probe 127.0.0.1 80 alice:Alice-pass-1)
check "the kept user's tunnel answers 101 ($status)" test "$status" = "HTTP/1.1 101 Switching Protocols"

step "keep-data, then purge with --remove-tunnel-users"
check "uninstall.sh --keep-data succeeds" uninstall --keep-data
check "uninstall.sh --purge --remove-tunnel-users after a keep-data run succeeds" uninstall --purge --remove-tunnel-users
check "defect 4: the tunnel account and its home are gone" bash -c "! grep -q '^alice:' '$MROOT/etc/passwd' && [ ! -e '$MROOT/home/alice' ]"
check "defect 4: /var/lib/wss-panel-helper is gone" test ! -e "$MROOT/var/lib/wss-panel-helper"
check "a purge leaves the container as it was before install.sh" same_as_before
check "uninstall.sh --purge a second time succeeds" uninstall --purge --remove-tunnel-users
check "the second purge changes nothing" same_as_before

step "fresh install, then purge directly"
install_it
check "every unit active after the fresh install" all_active
IN wss-panel user add bob --password-stdin <"$MROOT/root/alice-password" >/dev/null
check "uninstall.sh --purge --remove-tunnel-users on an installed host succeeds" uninstall --purge --remove-tunnel-users
check "a direct purge leaves the container as it was before install.sh" same_as_before
