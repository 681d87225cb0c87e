# shellcheck shell=bash
# shellcheck disable=SC2016,SC2154  # single-quoted commands run inside the container; ssh_opts is checks.sh's
# A proxy node under systemd, sourced by booted.sh after uninstall_checks.sh (the container is
# back to its state before install.sh): a panel for it to enrol with runs by hand on the
# container's loopback (root, recording backend: it touches no account here, so every account
# the node gets is made by the node's own agent), then `install.sh --node`. Checks that the
# node's units run under their hardening, that the proxy spools the panel's accounts where the
# agent (the panel account) reads them, that a user made on the panel logs in through the node
# with OpenSSH (a shell user: the agent grants the shell on the node too), that a pause locks the node's account, and that uninstall removes it all.

NODE_UNITS=(wss sshd_stunnel stunnel@wss wss-node-agent)
step "a node: install.sh --node against a panel on the container's loopback"
IN mkdir -p /opt/panel/data
IN /root/wss-panel install-helper gen-cert --dir /opt/panel --san 127.0.0.1 >/dev/null
IN /root/wss-panel install-helper hash-password --password-file /root/admin-password \
  --out /opt/panel/data/admin_password.hash >/dev/null
cat >"$MROOT/opt/panel/config.json" <<JSON
{ "panel_tls": true, "panel_bind": "127.0.0.1", "panel_port": 9443, "panel_local_port": 9080,
  "data_dir": "/opt/panel/data", "tls_cert": "/opt/panel/cert.pem", "tls_key": "/opt/panel/key.pem",
  "command_backend": "recording", "bcrypt_cost": 4, "internal_api_secret": "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')",
  "udpgw_port": 0, "wss_http_port": 18080, "wss_tls_port": 18443 }
JSON
IN systemd-run --quiet --unit=other-panel /root/wss-panel --config /opt/panel/config.json panel
OTHER=(/root/wss-panel --config /opt/panel/config.json)
panel_up() { for _ in $(seq 100); do IN "${OTHER[@]}" node list >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
check "the panel the node enrols with answers" panel_up
token=$(IN "${OTHER[@]}" node --json token --name node-b --expires 1h | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
IN /root/install/install.sh --yes --node --panel https://127.0.0.1:9443 --token "$token" --binary /root/wss-panel \
  >"$WORK/node-install.log" 2>&1 || { cat "$WORK/node-install.log" >&2; fail "install.sh --node failed"; }
step "node installed"
nodes_active() { for u in "${NODE_UNITS[@]}"; do IN systemctl is-active --quiet "$u" || { echo "$u is not active" >&2; return 1; }; done; }
check "every node unit active, wss-node-agent included" nodes_active
check "wss-node-agent runs as the panel account" test "$(IN systemctl show -P User wss-node-agent)" = wss-panel
check "no panel unit on a node" test ! -e "$MROOT/etc/systemd/system/wss_panel.service"

printf 'Carol-pass-1\n' >"$MROOT/root/carol-password"
printf '#!/bin/sh\necho Carol-pass-1\n' >"$MROOT/root/carol-askpass"; chmod 0700 "$MROOT/root/carol-askpass"
IN "${OTHER[@]}" user add carol --allow-shell true --password-stdin <"$MROOT/root/carol-password" >/dev/null
until_true() { for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
check "the node's agent creates the panel's new user within 20 s" until_true IN id carol
check "the spool is the proxy's, readable by the panel's group only" \
  test "$(IN stat -c '%U:%G %a' /var/lib/wss-panel-node /var/lib/wss-panel-node/node-accounts.json | tr '\n' ' ')" = "wss:wss-panel 2750 wss:wss-panel 640 "
check "no plaintext password in the spool" bash -c "! grep -q Carol-pass-1 '$MROOT/var/lib/wss-panel-node/node-accounts.json'"
status=$(probe 127.0.0.1 80 carol:Carol-pass-1)
check "carol's tunnel through the node answers 101 ($status)" test "$status" = "HTTP/1.1 101 Switching Protocols"
out=$(IN env SSH_ASKPASS=/root/carol-askpass SSH_ASKPASS_REQUIRE=force setsid -w ssh "${ssh_opts[@]}" \
  -o 'ProxyCommand=wss-panel connect ws://127.0.0.1:80 --user carol --password-file /root/carol-password' \
  carol@tunnel 'echo node-$(id -un)' </dev/null 2>"$WORK/ssh.err") || true
check "OpenSSH logs in through the node with the panel's password and carol's shell ($out $(cat "$WORK/ssh.err"))" test "$out" = node-carol
locked() { IN passwd -S carol | awk '{print $2}' | grep -qx L; }
IN "${OTHER[@]}" user pause carol >/dev/null
check "a pause on the panel locks carol's account on the node" until_true locked
IN "${OTHER[@]}" user resume carol >/dev/null
check "a resume unlocks it" until_true eval '! locked'

step "uninstall the node"
check "uninstall.sh --purge --remove-tunnel-users on the node succeeds" uninstall --purge --remove-tunnel-users
node_gone() {
  for u in "${NODE_UNITS[@]}"; do
    [ "$(IN systemctl is-active "$u" 2>/dev/null || true)" != active ] || { echo "$u still active" >&2; return 1; }
  done
  [ ! -e "$MROOT/etc/systemd/system/wss-node-agent.service" ] && [ ! -e "$MROOT/var/lib/wss-panel-node" ] \
    && ! grep -q '^carol:' "$MROOT/etc/passwd"
}
check "the node's units, spool and tunnel account are gone" node_gone
IN systemctl stop other-panel
rm -rf "$MROOT/opt/panel"
check "a node purge leaves the container as it was before install.sh" same_as_before
