# shellcheck shell=bash
# shellcheck disable=SC2016  # single-quoted commands run inside the container
# The checks of the booted test on an installed container, sourced by booted.sh (which defines
# IN, check, step, fail, boot, install_it, all_active, wait_ports, snapshot, UNITS, WORK, MROOT).

# The container's private network has no DNS resolver: the one PROBLEM allowed is the UDPGW
# check's "no answer" (which proves the UDPGW took doctor's DNS probe); everything else is OK.
# Services were just (re)started: the proxy may still be dialling /ipc, so up to 5 tries.
doctor_all_ok() {
  for _ in 1 2 3 4 5; do
    IN wss-panel doctor >"$WORK/doctor.txt" 2>&1
    grep -q '^PROBLEM  udpgw: 127.0.0.1:7300: no answer within' "$WORK/doctor.txt" \
      && [ "$(grep -c '^PROBLEM' "$WORK/doctor.txt")" = 1 ] && return 0
    sleep 2
  done
  cat "$WORK/doctor.txt" >&2; return 1
}
check "wss-panel doctor: every check OK (but DNS, absent in a private network)" doctor_all_ok
# defect 3: sudo warns "unable to resolve host" when the hostname is not in /etc/hosts; the
# helper still runs and answers, so doctor must still say OK.
cp "$MROOT/etc/hosts" "$WORK/hosts"
sed -i '/[[:space:]]trial$/d' "$MROOT/etc/hosts"
IN runuser -u wss-panel -- sudo -n /usr/local/bin/wss-panel privileged is-active wss >"$WORK/sudo.txt" 2>&1 || true
check "defect 3 precondition: sudo warns about the hostname" grep -q "unable to resolve host" "$WORK/sudo.txt"
check "defect 3: doctor judges the helper by its answer, not by sudo's warning" doctor_all_ok
cat "$WORK/hosts" >"$MROOT/etc/hosts"

# defect 7: the panel runs as its own account, not as `admin`.
check "defect 7: wss_panel runs as wss-panel" test "$(IN systemctl show -P User wss_panel)" = wss-panel
check "issue 9: /etc/wss-panel is root's, readable by the panel's group" test "$(IN stat -c '%U:%G %a' /etc/wss-panel /etc/wss-panel/config.json | tr '\n' ' ')" = "root:wss-panel 750 root:wss-panel 640 "
check "issue 9: the panel's own files are in its data dir" IN test -s /var/lib/wss-panel/admin_password.hash -a -s /var/lib/wss-panel/admin_token
check "defect 7: no admin account or group" bash -c "! grep -q '^admin:' '$MROOT/etc/passwd' && ! grep -q '^admin:' '$MROOT/etc/group'"

# defect 2: the panel's service list is the installer's units, all live.
services_live() {
  local token
  token=$(cat "$MROOT/var/lib/wss-panel/admin_token")
  IN curl -sf -H "Authorization: Bearer $token" http://127.0.0.1:54320/api/system/status >"$WORK/system.json" || return 1
  python3 - "$WORK/system.json" <<'PY'
import json, sys
services = json.load(open(sys.argv[1]))["services"]
wanted = {"wss", "wss_panel", "stunnel@wss", "sshd_stunnel"}
sys.exit(0 if set(services) == wanted and all(services[s] == "active" for s in wanted) else f"services: {services}")
PY
}
check "defect 2: the panel shows stunnel@wss (and every installer unit) active, no stunnel4" services_live

# defect 6: `user add` answers once the Linux account exists.
printf 'Alice-pass-1\n' >"$MROOT/root/alice-password"
printf '#!/bin/sh\necho Alice-pass-1\n' >"$MROOT/root/askpass"; chmod 0700 "$MROOT/root/askpass"
IN wss-panel user add alice --allow-shell true --password-stdin <"$MROOT/root/alice-password" >/dev/null
check "defect 6: the Linux account exists when user add returns" IN id alice
check "alice's primary group is wss_tunnel" test "$(IN id -gn alice)" = wss_tunnel

probe() { # HOST PORT USER:PASS -> the proxy's status line for a WebSocket upgrade
  IN bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "GET / HTTP/1.1\r\nHost: tunnel\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nProxy-Authorization: Basic %s\r\n\r\n" "$(printf %s "$2" | base64 -w0)" >&3
    timeout 5 head -n1 <&3 | tr -d "\r"' "$1" "$2" "$3"
}
status=$(probe 127.0.0.1 80 alice:Alice-pass-1)
check "a tunnel answers 101 ($status)" test "$status" = "HTTP/1.1 101 Switching Protocols"
status=$(probe 127.0.0.1 80 alice:wrong-password)
check "a wrong password answers 401 ($status)" test "${status% *}" = "HTTP/1.1 401"
status=$(probe ::1 80 alice:Alice-pass-1)
check "defect 8: a tunnel over ::1 answers 101 ($status)" test "$status" = "HTTP/1.1 101 Switching Protocols"

ssh_opts=(-F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o NumberOfPasswordPrompts=1
  -o PreferredAuthentications=password -o LogLevel=ERROR)
ssh_as_alice() { # PROXYCOMMAND COMMAND -> stdout of ssh; its stderr in $WORK/ssh.err
  IN env SSH_ASKPASS=/root/askpass SSH_ASKPASS_REQUIRE=force setsid -w ssh "${ssh_opts[@]}" \
    -o "ProxyCommand=$1" alice@tunnel "$2" </dev/null 2>"$WORK/ssh.err"
}
no_chdir_error() { ! grep -q "Could not chdir" "$WORK/ssh.err"; }
out=$(ssh_as_alice 'wss-panel connect ws://127.0.0.1:80 --user alice --password-file /root/alice-password' 'echo tunnel-$(id -un)') || true
check "OpenSSH through wss-panel connect ($out)" test "$out" = tunnel-alice
check "defect 9: the tunnel login finds its home ($(cat "$WORK/ssh.err"))" no_chdir_error
out=$(ssh_as_alice 'openssl s_client -quiet -verify_quiet -connect 127.0.0.1:444' 'echo shell-$(pwd)') || true
check "defect 9: a shell over stunnel 444 starts in its home ($out $(cat "$WORK/ssh.err"))" test "$out" = shell-/home/alice
check "defect 9: no 'Could not chdir to home directory'" no_chdir_error
out=$(ssh_as_alice 'openssl s_client -quiet -verify_quiet -connect [::1]:444' 'echo v6') || true
check "defect 8: stunnel answers on [::1]:444 ($out $(cat "$WORK/ssh.err"))" test "$out" = v6

# defect 1: a restart with a proxy (and a tunnel) connected takes < 2 s; the tunnel survives.
mkfifo "$WORK/held-in"
exec 7<>"$WORK/held-in"
IN env SSH_ASKPASS=/root/askpass SSH_ASKPASS_REQUIRE=force setsid -w ssh "${ssh_opts[@]}" \
  -o 'ProxyCommand=wss-panel connect ws://127.0.0.1:80 --user alice --password-file /root/alice-password' \
  alice@tunnel 'echo up; read -r line; echo "still $line"' <"$WORK/held-in" >"$WORK/held.txt" 2>&1 &
held=$!
for _ in $(seq 100); do grep -q '^up$' "$WORK/held.txt" && break; sleep 0.1; done
check "a tunnel is open before the restart" grep -q '^up$' "$WORK/held.txt"
t0=$(date +%s%N)
IN systemctl restart wss_panel
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
step "systemctl restart wss_panel: $ms ms"
check "defect 1: systemctl restart wss_panel with a proxy connected takes < 2 s ($ms ms)" test "$ms" -lt 2000
echo alive >&7
wait "$held" || true
exec 7>&-
check "the tunnel survives the panel restart" grep -q '^still alive$' "$WORK/held.txt"
check "every unit active after the restart" all_active

# A reboot of the container comes back with everything active and working.
IN systemctl reboot || true
wait_gone
boot
step "rebooted"
check "every unit active after a reboot" all_active
check "the ports answer after a reboot" wait_ports
status=$(probe 127.0.0.1 80 alice:Alice-pass-1)
check "a tunnel answers 101 after a reboot ($status)" test "$status" = "HTTP/1.1 101 Switching Protocols"
