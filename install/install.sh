#!/usr/bin/env bash
# shellcheck disable=SC2015,SC1091  # "A && B || die" is meant: die when either fails
# wss-panel installer for Debian 12+ / Ubuntu 22.04+.
#
# Order: answers -> validate every answer -> packages -> render every file into a temp dir ->
# validate every file (visudo, sshd -t, systemd-analyze verify, a stunnel start) -> apply
# (accounts, directories, binary, secrets, files) -> manifest -> start services -> summary.
# Nothing on the host changes before all answers are valid. Re-running converges: the binary
# is upgraded, files are rewritten only when their contents differ, and the secret, the
# certificate, the admin password and the data are kept.
#
# --root DIR stages everything under DIR (every path prefixed; account files are DIR/etc/passwd
# ...), starts nothing and runs apt only with --with-apt. Tests use it.
#
# --node --panel URL --token T installs only the data plane of a proxy node (no panel unit, no
# admin password) and enrols it with that panel (`wss-panel node enrol`) before starting it.
set -euo pipefail
umask 077

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPLATES="$SCRIPT_DIR/templates"
BIN_PATH=/usr/local/bin/wss-panel
USERNAME_RE='^[a-z_][a-z0-9_-]{0,31}$'
# Every tunnel account's primary group (the helper's TUNNEL_GROUP): sshd and the firewall key on it.
TUNNEL_GROUP=wss_tunnel
PACKAGES=(openssh-server openssh-client stunnel4 sudo openssl nftables iproute2 passwd)

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

usage() {
  cat <<'EOF'
Usage: install.sh [options]
  --yes                     no questions: defaults, previous answers, env and flags only
  --root DIR                stage under DIR: no service started, no apt (unless --with-apt)
  --with-apt                run apt-get even with --root
  --no-start                write everything but do not enable or start services
  --check-ports             check that the ports are free even with --root (always done without)
  --binary PATH             the wss-panel binary to install
  --build                   build it with cargo (release) from this source tree
  --wss-http-port N         WSS over HTTP (default 80)          env WSS_HTTP_PORT
  --wss-tls-port N          WSS over TLS (default 443)          env WSS_TLS_PORT
  --stunnel-port N          SSH over TLS via stunnel (444)      env STUNNEL_PORT
  --panel-port N            admin panel over HTTPS (54321)      env PANEL_PORT
  --panel-local-port N      the panel's plain-HTTP port on 127.0.0.1, for the proxy (54320)
  --panel-http              serve the panel over plain HTTP on 127.0.0.1 only (reach it
                            through an SSH tunnel); default: HTTPS on every address
  --panel-https             back to HTTPS after an earlier --panel-http (answers are kept)
  --forward-port N          sshd the tunnels go to (22)         env INTERNAL_FORWARD_PORT
  --stunnel-sshd-port N     sshd behind stunnel (2222)          env SSHD_STUNNEL_PORT
  --panel-user NAME         panel service account (wss-panel)   env PANEL_USER
  --proxy-user NAME         data plane service account (wss)    env PROXY_USER
  --admin-password-file F   first line = admin password         env ADMIN_PASSWORD_FILE
  --cert PATH --key PATH    use this certificate instead of a self-signed one
  --san NAME                name or IP for the self-signed certificate (repeatable)
  --import-original         import the original panel's users (asked when not --yes)
  --public-host NAME|IP     where customers connect (payloads, cards, QR); default: this
                            host's outgoing IPv4 if it is public      env PUBLIC_HOST
  --node                    a proxy node of a panel on another host: the data plane only
                            (proxy, sshd drop-in, stunnel door, root helper), no panel
  --panel URL --token T     with --node: the panel's https://HOST:PORT and the token from
                            `wss-panel node token` there (both required)
EOF
}

# ---------------------------------------------------------------- answers
NODE=0 NODE_PANEL="" NODE_TOKEN="" IMPORT_ORIGINAL=0 ROOT="" YES=0 WITH_APT=0 NO_START=0 CHECK_PORTS="" BINARY="" BUILD=0 CERT="" KEY="" SANS=()
declare -A ANS=(
  [wss_http_port]=80 [wss_tls_port]=443 [stunnel_port]=444 [panel_port]=54321
  [internal_forward_port]=22 [sshd_stunnel_port]=2222 [panel_user]=wss-panel [proxy_user]=wss
  [panel_local_port]=54320
)
ANSWER_KEYS=(wss_http_port wss_tls_port stunnel_port panel_port panel_local_port internal_forward_port sshd_stunnel_port panel_user proxy_user)
# 1: the panel on plain HTTP, loopback only (--panel-http); kept in the answers like the rest.
PANEL_HTTP=""
declare -A GIVEN=()
PASSWORD_FILE="${ADMIN_PASSWORD_FILE:-}"

for key in "${ANSWER_KEYS[@]}"; do
  env_name=${key^^}
  if [ -n "${!env_name:-}" ]; then GIVEN[$key]=${!env_name}; fi
done

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --yes|-y) YES=1 ;;
    --import-original) IMPORT_ORIGINAL=1 ;;
    --root) need_value "$@"; ROOT=$2; shift ;;
    --with-apt) WITH_APT=1 ;;
    --no-start) NO_START=1 ;;
    --check-ports) CHECK_PORTS=1 ;;
    --binary) need_value "$@"; BINARY=$2; shift ;;
    --build) BUILD=1 ;;
    --panel-http) PANEL_HTTP=1 ;;
    --panel-https) PANEL_HTTP=0 ;;
    --wss-http-port|--wss-tls-port|--stunnel-port|--panel-port|--panel-local-port|--stunnel-sshd-port|--panel-user|--proxy-user)
      need_value "$@"; key=${1#--}; key=${key//-/_}
      [ "$key" = stunnel_sshd_port ] && key=sshd_stunnel_port
      GIVEN[$key]=$2; shift ;;
    --forward-port) need_value "$@"; GIVEN[internal_forward_port]=$2; shift ;;
    --admin-password-file) need_value "$@"; PASSWORD_FILE=$2; shift ;;
    --cert) need_value "$@"; CERT=$2; shift ;;
    --key) need_value "$@"; KEY=$2; shift ;;
    --san) need_value "$@"; SANS+=("$2"); shift ;;
    --public-host) need_value "$@"; PUBLIC_HOST=$2; shift ;;
    --node) NODE=1 ;;
    --panel) need_value "$@"; NODE_PANEL=$2; shift ;;
    --token) need_value "$@"; NODE_TOKEN=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
  shift
done
# A host name or an IP literal, nothing a config or a payload could trip on.
if [ -n "${PUBLIC_HOST:-}" ] && ! [[ "$PUBLIC_HOST" =~ ^[A-Za-z0-9]([A-Za-z0-9.:-]{0,252})$ ]]; then
  die "--public-host $PUBLIC_HOST: a DNS name or an IP address (no scheme, no port)"
fi

if [ "$NODE" -eq 1 ]; then
  [ -n "$NODE_PANEL" ] && [ -n "$NODE_TOKEN" ] \
    || die "--node needs --panel https://PANEL:PORT and --token T (make one on the panel's host: wss-panel node token --name NAME)"
  [ "$IMPORT_ORIGINAL" -eq 0 ] || die "--import-original is for the panel's host, not a node"
elif [ -n "$NODE_PANEL$NODE_TOKEN" ]; then
  die "--panel and --token go with --node (installing a proxy node)"
fi

[ "$(id -u)" -eq 0 ] || die "run me as root (sudo bash $0 ...)"
if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root $ROOT: no such directory"
  ROOT=$(cd "$ROOT" && pwd)
  [ "$ROOT" != / ] || ROOT=""
fi
R() { printf '%s%s' "$ROOT" "$1"; }
for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow; do
  [ -f "$(R $f)" ] || die "$(R $f) is missing${ROOT:+ (a staging root needs copies of the account files)}"
done

check_os() {
  [ -r /etc/os-release ] || die "unsupported OS: /etc/os-release is missing"
  local id version
  id=$(. /etc/os-release && echo "${ID:-}")
  version=$(. /etc/os-release && echo "${VERSION_ID:-0}")
  case "$id" in
    debian) [ "${version%%.*}" -ge 12 ] 2>/dev/null || die "unsupported OS: Debian $version (need 12 or newer)" ;;
    ubuntu) [ "${version%%.*}" -ge 22 ] 2>/dev/null || die "unsupported OS: Ubuntu $version (need 22.04 or newer)" ;;
    *) die "unsupported OS: '$id' (Debian 12+ or Ubuntu 22.04+ only)" ;;
  esac
}
check_os

# Answers of a previous run are the defaults of this one.
STATE_DIR=$(R /etc/wss-panel)
NODE_SPOOL_DIR=/var/lib/wss-panel-node # matches ReadWritePaths= in templates/wss.service
# Installer state is root's alone: the panel user must not be able to steer what uninstall.sh
# deletes.
INSTALLER_DIR=/var/lib/wss-panel-installer
ANSWERS_FILE=$(R $INSTALLER_DIR/answers)
MANIFEST=$(R $INSTALLER_DIR/manifest)
if [ -f "$ANSWERS_FILE" ]; then
  while IFS='=' read -r key value; do
    case " ${ANSWER_KEYS[*]} " in *" $key "*) ANS[$key]=$value ;; esac
    if [ "$key" = panel_http ] && [ -z "$PANEL_HTTP" ]; then PANEL_HTTP=$value; fi
  done < "$ANSWERS_FILE"
fi
[ "${PANEL_HTTP:-0}" = 1 ] && PANEL_HTTP=1 || PANEL_HTTP=0
# The shell door's ports as Settings last set them (the helper's set-door-ports rewrites these
# files, not the answers): they win over the answers file; flags and the environment still win.
door_port() { # FILE SED-SCRIPT: the port in a file this installer wrote, if it did
  [ -f "$MANIFEST" ] && grep -qxF "file $1" "$MANIFEST" && [ -f "$(R "$1")" ] || return 0
  sed -n "$2" "$(R "$1")" | head -n1
}
p=$(door_port /etc/ssh/sshd_config_stunnel 's/^Port[[:space:]]\{1,\}\([0-9]\{1,5\}\)[[:space:]]*$/\1/p')
[ -z "$p" ] || ANS[sshd_stunnel_port]=$p
p=$(door_port /etc/stunnel/wss.conf 's/^accept[[:space:]]*=[[:space:]]*\(.*:\)\{0,1\}\([0-9]\{1,5\}\)[[:space:]]*$/\2/p')
[ -z "$p" ] || ANS[stunnel_port]=$p
# Installs before the dedicated account ran the panel as `admin` (a group with sudo rights in
# Ubuntu's stock sudoers, and a common human login name): the account this installer made
# under that name is renamed, keeping its uid, its gid and so the ownership of the data.
MIGRATE_FROM=""
if [ "${ANS[panel_user]}" = admin ] && [ -z "${GIVEN[panel_user]:-}" ] && [ -f "$MANIFEST" ] \
   && grep -qxF "user admin" "$MANIFEST"; then
  MIGRATE_FROM="admin"; ANS[panel_user]=wss-panel
fi
for key in "${!GIVEN[@]}"; do ANS[$key]=${GIVEN[$key]}; done

if [ "$YES" -eq 0 ]; then
  [ -t 0 ] || die "stdin is not a terminal: pass --yes (and flags or env) for a non-interactive install"
  for key in "${ANSWER_KEYS[@]}"; do
    [ -n "${GIVEN[$key]:-}" ] && continue
    read -r -p "$key [${ANS[$key]}]: " reply
    [ -z "$reply" ] || ANS[$key]=$reply
  done
fi

# The original panel (node wss_panel.js, /etc/wss-panel/wss_panel.db): offer to move its users
# over before its units are replaced; its services stop only after the import succeeded.
if [ -f "$(R /etc/wss-panel/wss_panel.db)" ] && grep -qs 'wss_panel\.js' "$(R /etc/systemd/system/wss_panel.service)"; then
  say "the original panel is installed here (/etc/wss-panel/wss_panel.db)"
  if [ "$YES" -eq 0 ] && [ "$IMPORT_ORIGINAL" -eq 0 ]; then
    read -r -p "import its users, history, bans and whitelist (wss-panel import-original)? [Y/n]: " reply
    case "$reply" in [nN]*) ;; *) IMPORT_ORIGINAL=1 ;; esac
  fi
fi

# ---------------------------------------------------------------- validation
PORT_KEYS=(wss_http_port wss_tls_port stunnel_port panel_port panel_local_port internal_forward_port sshd_stunnel_port)
declare -A SEEN=()
for key in "${PORT_KEYS[@]}"; do
  p=${ANS[$key]}
  [[ "$p" =~ ^[0-9]{1,5}$ ]] && [ "$p" -ge 1 ] && [ "$p" -le 65535 ] || die "$key '$p' is not a port (1-65535)"
  p=$((10#$p)); ANS[$key]=$p
  [ -z "${SEEN[$p]:-}" ] || die "$key and ${SEEN[$p]} are both $p; each port must be different"
  SEEN[$p]=$key
done
for key in panel_user proxy_user; do
  [[ "${ANS[$key]}" =~ $USERNAME_RE ]] || die "$key '${ANS[$key]}' is not a valid account name ($USERNAME_RE)"
  [ "${ANS[$key]}" != root ] || die "$key must not be root"
  [ "${ANS[$key]}" != "$TUNNEL_GROUP" ] || die "$key must not be $TUNNEL_GROUP (the tunnel customers' group)"
done
[ "${ANS[panel_user]}" != "${ANS[proxy_user]}" ] || die "panel_user and proxy_user must be different accounts"

manifest_has() { [ -f "$MANIFEST" ] && grep -qxF "$1" "$MANIFEST"; }
passwd_field() { # NAME FIELD -> value from the (staged) passwd file
  awk -F: -v u="$1" -v f="$2" '$1 == u { print $f }' "$(R /etc/passwd)"
}
for key in panel_user proxy_user; do
  name=${ANS[$key]} uid=$(passwd_field "${ANS[$key]}" 3)
  if [ -n "$uid" ] && ! manifest_has "user $name" && [ "$uid" -ge 1000 ] && [ "$uid" -ne 65534 ]; then
    die "$key '$name' is an existing login account (uid $uid); choose another name (it would get sudo rights to the helper)"
  fi
done

# A port is free, or held by the service this installer set up for it (re-run).
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)".*/\1/p' | head -n1; }
if [ -z "$CHECK_PORTS" ]; then
  if [ -n "$ROOT" ]; then CHECK_PORTS=0; else CHECK_PORTS=1; fi
fi
if [ "$CHECK_PORTS" -eq 1 ]; then
  command -v ss >/dev/null || die "ss (iproute2) is needed to check that the ports are free"
  CHECKED_PORTS=(wss_http_port wss_tls_port stunnel_port sshd_stunnel_port)
  [ "$NODE" -eq 1 ] || CHECKED_PORTS+=(panel_port panel_local_port)
  for key in "${CHECKED_PORTS[@]}"; do
    owner=$(port_owner "${ANS[$key]}")
    case "$key:$owner" in
      *:) ;;
      wss_http_port:wss-panel|wss_tls_port:wss-panel|panel_port:wss-panel|panel_local_port:wss-panel|stunnel_port:stunnel*|sshd_stunnel_port:sshd) ;;
      *) die "$key ${ANS[$key]} is already in use by '$owner'; stop it or choose another port" ;;
    esac
  done
fi

if [ -n "$CERT$KEY" ]; then
  [ -r "$CERT" ] && [ -r "$KEY" ] || die "--cert and --key must both be given and readable"
fi

# The admin password hash is the panel's writable state (it changes it): in its data dir.
# Releases before the root-owned /etc/wss-panel kept it there; the panel adopts that copy.
HASH_FILE="$(R /var/lib/wss-panel)/admin_password.hash"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# A node has no panel and so no admin password.
if [ "$NODE" -eq 0 ] && [ ! -s "$HASH_FILE" ] && [ ! -s "$STATE_DIR/admin_password.hash" ]; then
  if [ -n "$PASSWORD_FILE" ]; then
    [ -r "$PASSWORD_FILE" ] || die "admin password file $PASSWORD_FILE is not readable"
    head -n1 "$PASSWORD_FILE" > "$TMP/password"
  elif [ "$YES" -eq 0 ]; then
    while :; do
      read -r -s -p "admin password (8+ characters): " pw1; echo
      read -r -s -p "again: " pw2; echo
      [ "$pw1" = "$pw2" ] && [ ${#pw1} -ge 8 ] && break
      echo "the two entries differ or are shorter than 8 characters; again"
    done
    printf '%s\n' "$pw1" > "$TMP/password"; unset pw1 pw2
  else
    die "no admin password yet: give --admin-password-file (or ADMIN_PASSWORD_FILE)"
  fi
  pw=$(head -n1 "$TMP/password")
  [ ${#pw} -ge 8 ] || die "the admin password needs at least 8 characters"
  unset pw
fi

if [ "$BUILD" -eq 1 ]; then
  say "building wss-panel with cargo"
  (cd "$SCRIPT_DIR/.." && cargo build --release --locked) || die "cargo build failed"
  BINARY="$SCRIPT_DIR/../target/release/wss-panel"
fi
if [ -z "$BINARY" ]; then
  if [ -x "$(R $BIN_PATH)" ]; then BINARY=$(R $BIN_PATH)
  else die "no binary: give --binary PATH or --build"; fi
fi
[ -f "$BINARY" ] && [ -x "$BINARY" ] || die "--binary $BINARY is not an executable file"
"$BINARY" --version >/dev/null || die "$BINARY does not run"
if [ "$NODE" -eq 1 ]; then
  # The same checks `node enrol` makes, before anything changes (it connects only later).
  "$BINARY" install-helper check-node --panel "$NODE_PANEL" --token "$NODE_TOKEN" >/dev/null || die "nothing was changed"
fi

# ---------------------------------------------------------------- packages
if [ -z "$ROOT" ] || [ "$WITH_APT" -eq 1 ]; then
  say "installing packages: ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
fi
for tool in visudo sshd stunnel4 openssl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || die "$tool is missing (install: ${PACKAGES[*]})"
done

# ---------------------------------------------------------------- render + validate
render() { # TEMPLATE OUT
  sed -e "s|@PANEL_USER@|${ANS[panel_user]}|g" -e "s|@PROXY_USER@|${ANS[proxy_user]}|g" \
      -e "s|@BIN@|$BIN_PATH|g" -e "s|@STUNNEL_PORT@|${ANS[stunnel_port]}|g" \
      -e "s|@SSHD_STUNNEL_PORT@|${ANS[sshd_stunnel_port]}|g" -e "s|@STUNNEL_ACCEPT@|$STUNNEL_ACCEPT|g" \
      "$TEMPLATES/$1" > "$2"
}
# stunnel listens dual-stack (`:::PORT`) unless the kernel has no IPv6.
if [ -e /proc/net/if_inet6 ]; then STUNNEL_ACCEPT=":::${ANS[stunnel_port]}"; else STUNNEL_ACCEPT=${ANS[stunnel_port]}; fi
mkdir "$TMP/out" "$TMP/verify"
UNITS=(wss_panel.service wss.service sshd_stunnel.service)
# On a node, the panel account is the one that applies tunnel accounts through the root helper
# (its sudoers rule is installed as on a panel host): wss-node-agent runs as it, reading what
# the proxy spools in $NODE_SPOOL_DIR.
NODE_UNITS=(wss.service sshd_stunnel.service wss-node-agent.service)
[ "$NODE" -eq 0 ] || UNITS=("${NODE_UNITS[@]}")
for unit in "${UNITS[@]}"; do render "$unit" "$TMP/out/$unit"; done
render sshd_config_stunnel "$TMP/out/sshd_config_stunnel"
render stunnel-wss.conf "$TMP/out/wss.conf"
"$BINARY" privileged --print-sudoers "${ANS[panel_user]}" --helper-path "$BIN_PATH" > "$TMP/out/99-wss-panel"

say "validating the generated files"
/usr/sbin/visudo -c -q -f "$TMP/out/99-wss-panel" || die "visudo refused the generated sudoers file"
mkdir -p /run/sshd 2>/dev/null || true
[ -n "$ROOT" ] || ssh-keygen -A >/dev/null
/usr/sbin/sshd -t -f "$TMP/out/sshd_config_stunnel" || die "sshd -t refused the generated sshd_config_stunnel"
if command -v systemd-analyze >/dev/null; then
  # Verified with the binary that is about to be installed, since the target may not exist yet.
  for unit in "${UNITS[@]}"; do sed "s|$BIN_PATH|$BINARY|g" "$TMP/out/$unit" > "$TMP/verify/$unit"; done
  (cd "$TMP/verify" && systemd-analyze verify --man=no "${UNITS[@]/#/./}") > "$TMP/verify.log" 2>&1 \
    && [ ! -s "$TMP/verify.log" ] || { cat "$TMP/verify.log" >&2; die "systemd-analyze verify refused a generated unit"; }
fi
stunnel_dry_start() { # a copy on a free loopback port with throwaway or real TLS material
  local port cert=$CERT key=$KEY attempt rc
  if [ -z "$cert" ]; then
    # The installed pair, once the directory is root's (earlier releases gave it to the panel
    # account: root reads nothing through a link planted there).
    if [ "$(stat -c %u "$STATE_DIR" 2>/dev/null)" = 0 ] && [ -f "$STATE_DIR/cert.pem" ] && [ ! -L "$STATE_DIR/cert.pem" ] \
       && [ -f "$STATE_DIR/key.pem" ] && [ ! -L "$STATE_DIR/key.pem" ]; then cert="$STATE_DIR/cert.pem" key="$STATE_DIR/key.pem"
    else "$BINARY" install-helper gen-cert --dir "$TMP" --san localhost >/dev/null; cert="$TMP/cert.pem" key="$TMP/key.pem"; fi
  fi
  for attempt in 1 2 3 4 5; do
    port=$(shuf -i 20000-60000 -n 1)
    sed -e "s|^accept = .*|accept = 127.0.0.1:$port|" -e "s|^cert = .*|cert = $cert|" -e "s|^key = .*|key = $key|" \
      "$TMP/out/wss.conf" > "$TMP/stunnel-check.conf"
    timeout 3 stunnel4 "$TMP/stunnel-check.conf" > "$TMP/stunnel.log" 2>&1 && rc=0 || rc=$?
    # Another program may take the random port between picking and binding: pick again.
    grep -q "Address already in use" "$TMP/stunnel.log" && [ "$attempt" -lt 5 ] && continue
    break
  done
  [ "$rc" -eq 124 ] && grep -q "Configuration successful" "$TMP/stunnel.log" \
    || { cat "$TMP/stunnel.log" >&2; die "stunnel refused the generated configuration"; }
}
stunnel_dry_start

# ---------------------------------------------------------------- apply
record() { manifest_has "$1" || echo "$1" >> "$MANIFEST"; }
ensure_dir() { # PATH MODE OWNER: creates missing components, each recorded for uninstall
  local path=$1 mode=$2 owner=$3 parts=() p
  p=$path
  while [ ! -d "$(R "$p")" ]; do parts=("$p" "${parts[@]}"); p=$(dirname "$p"); done
  for p in "${parts[@]}"; do mkdir -m 0755 "$(R "$p")"; done
  for p in "${parts[@]}"; do record "dir $p"; done
  chmod "$mode" "$(R "$path")"; chown "$owner" "$(R "$path")"
}
put_file() { # SRC DEST MODE [OWNER]: writes only when the contents differ
  local src=$1 dest=$2 mode=$3 owner=${4:-0:0} target
  target=$(R "$dest")
  if [ -e "$target" ] && ! manifest_has "file $dest" && [ ! -e "$target.wss-panel-orig" ]; then
    cp -a "$target" "$target.wss-panel-orig"; record "backup $dest"
  fi
  if ! cmp -s "$src" "$target"; then
    install -m "$mode" "$src" "$target.wss-panel-new"
    mv -f "$target.wss-panel-new" "$target"
  fi
  chmod "$mode" "$target"; chown "$owner" "$target"
  record "file $dest"
}
account_tool() { if [ -n "$ROOT" ]; then "$@" --prefix "$ROOT"; else "$@"; fi; }
ensure_group() {
  grep -q "^$1:" "$(R /etc/group)" && return 0
  account_tool groupadd --system "$1"; record "group $1"
}
ensure_user() { # NAME HOME: a system user with its own group (adduser --system alone gives nogroup)
  ensure_group "$1"
  [ -n "$(passwd_field "$1" 1)" ] && return 0
  account_tool useradd --system --gid "$1" --no-create-home --home-dir "$2" --shell /usr/sbin/nologin "$1"
  record "user $1"
}
ids_of() { echo "$(passwd_field "$1" 3):$(passwd_field "$1" 4)"; }

ensure_dir $INSTALLER_DIR 0700 0:0
touch "$MANIFEST"; chmod 0600 "$MANIFEST"
record "data $INSTALLER_DIR"
say "accounts"
ensure_group shell_users
ensure_group "$TUNNEL_GROUP"
if [ -n "$MIGRATE_FROM" ] && [ -n "$(passwd_field "$MIGRATE_FROM" 1)" ] && [ -z "$(passwd_field "${ANS[panel_user]}" 1)" ]; then
  say "renaming the panel account $MIGRATE_FROM to ${ANS[panel_user]}"
  if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then systemctl stop wss_panel.service 2>/dev/null || true; fi
  account_tool usermod --login "${ANS[panel_user]}" "$MIGRATE_FROM"
  grep -q "^$MIGRATE_FROM:" "$(R /etc/group)" && account_tool groupmod --new-name "${ANS[panel_user]}" "$MIGRATE_FROM"
  sed -i -e "s/^user $MIGRATE_FROM\$/user ${ANS[panel_user]}/" -e "s/^group $MIGRATE_FROM\$/group ${ANS[panel_user]}/" "$MANIFEST"
  rm -f "$(R /var/lib/wss-panel/.sudo_as_admin_successful)"
fi
ensure_user "${ANS[panel_user]}" /var/lib/wss-panel
ensure_user "${ANS[proxy_user]}" /nonexistent
PANEL_IDS=$(ids_of "${ANS[panel_user]}")

say "directories, binary, secrets"
# /etc/wss-panel is root's, readable by the panel's group: config.json, the certificate and
# key (root writes them; the panel and, through LoadCredential=, the proxy read them). The
# panel's own writable state (store, admin password hash, tokens, backups) is its data dir.
[ -d "$(R /etc/wss-panel)" ] || record "data /etc/wss-panel"
ensure_dir /etc/wss-panel 0750 "0:${PANEL_IDS#*:}"
hand_config_dir_to_root() { # releases before this one gave the directory to the panel account
  local etc lib name entry
  etc=$(R /etc/wss-panel); lib=$(R /var/lib/wss-panel)
  # Anything that is not a plain file or directory was planted: root never reads through it.
  for entry in "$etc"/* "$etc"/.[!.]*; do
    if [ -L "$entry" ] || { [ -e "$entry" ] && [ ! -f "$entry" ] && [ ! -d "$entry" ]; }; then rm -f "$entry"; fi
  done
  chown -hR "0:${PANEL_IDS#*:}" "$etc"
  chmod -R g+rX,g-w,o-rwx "$etc"
  # Copies the panel has adopted into its data dir (see web::server) are not kept twice.
  for name in admin_password.hash admin_token; do
    if [ -f "$etc/$name" ] && [ -s "$lib/$name" ]; then rm -f "$etc/$name"; fi
  done
}
hand_config_dir_to_root
data=/var/lib/wss-panel
[ -d "$(R $data)" ] || record "data $data"
# uninstall.sh --keep-data hands kept data to root (its account is gone); nobody else could
# have written there since, so all of it goes back to the panel account.
reown=0
if [ -d "$(R $data)" ] && [ "$(stat -c %u "$(R $data)")" = 0 ]; then reown=1; fi
ensure_dir $data 0700 "$PANEL_IDS"
if [ "$reown" = 1 ]; then chown -RP "$PANEL_IDS" "$(R $data)"; fi
if [ "$NODE" -eq 1 ]; then
  # The proxy writes the panel's account list here; the node agent (the panel account) reads
  # it: the proxy's directory, setgid to the panel's group so the file is readable by it alone.
  [ -d "$(R $NODE_SPOOL_DIR)" ] || record "data $NODE_SPOOL_DIR"
  ensure_dir $NODE_SPOOL_DIR 0750 "$(ids_of "${ANS[proxy_user]}" | cut -d: -f1):${PANEL_IDS#*:}"
  chmod 2750 "$(R $NODE_SPOOL_DIR)"
fi
ensure_dir /usr/local/bin 0755 0:0
[ "$BINARY" -ef "$(R $BIN_PATH)" ] || put_file "$BINARY" "$BIN_PATH" 0755
record "file $BIN_PATH"

# Every file root writes goes through the binary, which never follows a link (see
# install/README.md, "what root trusts"): the hash goes into the panel's data dir.
if [ -n "$CERT" ]; then
  "$BINARY" install-helper use-cert --dir "$STATE_DIR" --cert "$CERT" --key "$KEY" >/dev/null
else
  [ ${#SANS[@]} -gt 0 ] || { SANS=("$(hostname -f 2>/dev/null || hostname)"); for ip in $(hostname -I 2>/dev/null); do SANS+=("$ip"); done; }
  "$BINARY" install-helper gen-cert --dir "$STATE_DIR" "${SANS[@]/#/--san=}" >/dev/null
fi
if [ -s "$TMP/password" ]; then
  "$BINARY" install-helper hash-password --password-file "$TMP/password" --out "$HASH_FILE" >/dev/null
  rm -f "$TMP/password"
fi
NODE_SPOOL_FLAG=(); if [ "$NODE" -eq 1 ]; then NODE_SPOOL_FLAG=(--node-spool-dir "$NODE_SPOOL_DIR"); fi
PANEL_HTTP_FLAG=(); if [ "$PANEL_HTTP" = 1 ]; then PANEL_HTTP_FLAG=(--panel-http); fi
# The public address customers connect to: --public-host, else the source address of this
# host's default route when it is a public one (behind NAT it is not: set it in Settings).
if [ -z "${PUBLIC_HOST:-}" ] && [ -z "$ROOT" ]; then
  PUBLIC_HOST=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' || true)  # no route (offline, a container): no guess
  case "$PUBLIC_HOST" in 10.*|127.*|169.254.*|192.168.*|172.1[6-9].*|172.2[0-9].*|172.3[01].*|100.6[4-9].*|100.[7-9][0-9].*|100.1[01][0-9].*|100.12[0-7].*) PUBLIC_HOST="" ;; esac
fi
PUBLIC_HOST_FLAG=(); if [ -n "${PUBLIC_HOST:-}" ]; then PUBLIC_HOST_FLAG=(--public-host "$PUBLIC_HOST"); say "public address: $PUBLIC_HOST (Settings → Public address to change)"; fi
"$BINARY" install-helper write-config --out "$STATE_DIR/config.json" --panel-user "${ANS[panel_user]}" \
  --panel-port "${ANS[panel_port]}" --wss-http-port "${ANS[wss_http_port]}" --wss-tls-port "${ANS[wss_tls_port]}" \
  --stunnel-port "${ANS[stunnel_port]}" --sshd-stunnel-port "${ANS[sshd_stunnel_port]}" \
  --internal-forward-port "${ANS[internal_forward_port]}" --data-dir /var/lib/wss-panel --panel-local-port "${ANS[panel_local_port]}" "${PANEL_HTTP_FLAG[@]}" \
  "${PUBLIC_HOST_FLAG[@]}" "${NODE_SPOOL_FLAG[@]}" >/dev/null
# The helper's list of the tunnel accounts it creates: data, like the store (uninstall.sh).
[ -d "$(R /var/lib/wss-panel-helper)" ] || record "data /var/lib/wss-panel-helper"
if [ -z "$ROOT" ]; then
  # Tunnel customers must not reach this host's own services; the panel re-applies this at start.
  udpgw=$("$BINARY" install-helper show-config --file "$STATE_DIR/config.json" | sed -n 's/^udpgw_port=//p') || udpgw=7300
  "$BINARY" privileged guard-tunnels "${udpgw:-7300}" >/dev/null \
    || echo "warning: the tunnel firewall was not applied: tunnel users can reach this server's loopback services (see wss-panel doctor)"
fi
{ for key in "${ANSWER_KEYS[@]}"; do echo "$key=${ANS[$key]}"; done; echo "panel_http=$PANEL_HTTP"; } > "$TMP/answers"
cmp -s "$TMP/answers" "$ANSWERS_FILE" || install -m 0600 "$TMP/answers" "$ANSWERS_FILE"
if [ "$NODE" -eq 1 ]; then
  # Trades the one-time token for this node's secret over TLS pinned to the fingerprint in the
  # token, and adds panel_url, node_name, node_secret and panel_cert_sha256 to config.json.
  say "enrolling with the panel at $NODE_PANEL"
  "$BINARY" --config "$STATE_DIR/config.json" node enrol --panel "$NODE_PANEL" --token "$NODE_TOKEN" \
    || die "enrolment failed (above); no service was started: make a new token and run install.sh --node again"
fi

say "units and configs"
ensure_dir /etc/systemd/system 0755 0:0
# The original's badvpn-udpgw (udpgw.service: root, an unpinned build) holds the UDPGW port the
# proxy now serves itself: it is stopped and its unit set aside (uninstall.sh puts it back).
BADVPN_UNIT=/etc/systemd/system/udpgw.service
if grep -qs 'badvpn-udpgw' "$(R $BADVPN_UNIT)"; then
  say "the original's badvpn UDPGW (udpgw.service) is replaced by the proxy's built-in UDPGW"
  if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then systemctl disable --now udpgw.service 2>/dev/null || true; fi
  mv -f "$(R $BADVPN_UNIT)" "$(R $BADVPN_UNIT).wss-panel-orig"
  record "backup $BADVPN_UNIT"
fi
for unit in "${UNITS[@]}"; do put_file "$TMP/out/$unit" "/etc/systemd/system/$unit" 0644; done
ensure_dir /etc/ssh 0755 0:0
put_file "$TMP/out/sshd_config_stunnel" /etc/ssh/sshd_config_stunnel 0600
ensure_dir /etc/stunnel 0755 0:0
put_file "$TMP/out/wss.conf" /etc/stunnel/wss.conf 0644
ensure_dir /etc/sudoers.d 0755 0:0
put_file "$TMP/out/99-wss-panel" /etc/sudoers.d/99-wss-panel 0440

# Tunnels arrive at the main sshd from loopback: password logins there for tunnel accounts (the
# tunnel group) only; root and every other account keep the host's rules. Only a drop-in, and
# only if the admin's sshd_config includes drop-ins; rolled back if sshd -t fails.
main_sshd_dropin() {
  local main dropin=/etc/ssh/sshd_config.d/50-wss-panel.conf version
  main=$(R /etc/ssh/sshd_config)
  grep -Eqi '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf' "$main" 2>/dev/null || {
    echo "note: $main does not include sshd_config.d; tunnels need password logins from 127.0.0.1 there (not changed)"
    return 0
  }
  {
    echo "# Generated by wss-panel install.sh: WSS tunnels reach this sshd from loopback only."
    version=$(ssh -V 2>&1 | sed -n 's/^OpenSSH_\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    # shellcheck disable=SC2086
    set -- $version
    if [ "${1:-0}" -gt 9 ] || { [ "${1:-0}" -eq 9 ] && [ "${2:-0}" -ge 8 ]; }; then
      echo "# Every tunnel comes from 127.0.0.1: one bad client must not lock everyone out."
      echo "PerSourcePenaltyExemptList 127.0.0.1/32,::1/128"
    fi
    echo "Match Group $TUNNEL_GROUP Address 127.0.0.1,::1"
    echo "    PasswordAuthentication yes"
    echo "    AllowTcpForwarding yes"
  } > "$TMP/50-wss-panel.conf"
  ensure_dir /etc/ssh/sshd_config.d 0755 0:0
  put_file "$TMP/50-wss-panel.conf" "$dropin" 0644
  if [ -z "$ROOT" ] && ! /usr/sbin/sshd -t; then
    rm -f "$dropin"; sed -i "\\|^file $dropin\$|d" "$MANIFEST"
    die "sshd -t failed with $dropin; removed it again, the admin's sshd is unchanged"
  fi
}
main_sshd_dropin

# ---------------------------------------------------------------- start
SERVICES=(wss_panel.service wss.service sshd_stunnel.service stunnel@wss.service)
[ "$NODE" -eq 0 ] || SERVICES=("${NODE_UNITS[@]}" stunnel@wss.service)
if [ -n "$ROOT" ] || [ "$NO_START" -eq 1 ]; then
  say "not starting services (${ROOT:+staged under $ROOT}${ROOT:+, }--no-start or staging)"
  [ "$IMPORT_ORIGINAL" -eq 0 ] || say "not importing either: run wss-panel import-original before starting wss_panel"
elif [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: services written but not started"
else
  if [ "$IMPORT_ORIGINAL" -eq 1 ]; then
    say "importing from the original panel"
    "$BIN_PATH" --config /etc/wss-panel/config.json import-original --from /etc/wss-panel \
      || die "import-original failed (see above): nothing was imported and the original panel keeps running"
    systemctl stop wss.service wss_panel.service 2>/dev/null || true # the original's processes
  fi
  systemctl daemon-reload
  for svc in "${SERVICES[@]}"; do
    record "unit $svc"
    systemctl enable --quiet "$svc"
    systemctl restart "$svc"
  done
  if [ -e "$(R /etc/ssh/sshd_config.d/50-wss-panel.conf)" ]; then systemctl reload ssh || true; fi
  # Debian's SysV stunnel4 starts every /etc/stunnel/*.conf, ours included: port 444 twice.
  if systemctl is-enabled --quiet stunnel4 2>/dev/null; then
    echo "warning: stunnel4 (SysV) is enabled and would also start /etc/stunnel/wss.conf;"
    echo "         if you do not use it for anything else: systemctl disable --now stunnel4"
  fi
fi

HOST=$(hostname -I 2>/dev/null | awk '{print $1}')
HOST=${HOST:-<this server>}
if [ "$NODE" -eq 1 ]; then
  cat <<EOF

wss-panel node is installed and enrolled with $NODE_PANEL (see it in the panel's Nodes view).
  WSS tunnels:  ws://$HOST:${ANS[wss_http_port]}  wss://$HOST:${ANS[wss_tls_port]} -> sshd 127.0.0.1:${ANS[internal_forward_port]}
  SSH over TLS: port ${ANS[stunnel_port]} -> sshd_stunnel 127.0.0.1:${ANS[sshd_stunnel_port]}
  status:       systemctl status ${SERVICES[*]}
  logs:         journalctl -u wss -f
  uninstall:    $SCRIPT_DIR/uninstall.sh
EOF
  exit 0
fi
if [ "$PANEL_HTTP" = 1 ]; then
  PANEL_LINE="http://127.0.0.1:${ANS[panel_port]}/ (plain HTTP, this host only: ssh -L ${ANS[panel_port]}:127.0.0.1:${ANS[panel_port]} root@$HOST)"
else
  FINGERPRINT=$("$BINARY" install-helper fingerprint --cert "$STATE_DIR/cert.pem")
  PANEL_LINE="https://$HOST:${ANS[panel_port]}/
                certificate SHA-256 fingerprint (compare it with the browser's warning):
                $FINGERPRINT"
fi
cat <<EOF

wss-panel is installed.
  panel:        $PANEL_LINE
                (login: admin password you chose)
  WSS tunnels:  ws://$HOST:${ANS[wss_http_port]}  wss://$HOST:${ANS[wss_tls_port]} -> sshd 127.0.0.1:${ANS[internal_forward_port]}
  SSH over TLS: port ${ANS[stunnel_port]} -> sshd_stunnel 127.0.0.1:${ANS[sshd_stunnel_port]} (users with "Allow Shell")
  status:       systemctl status wss_panel wss sshd_stunnel stunnel@wss
  logs:         journalctl -u wss_panel -u wss -f
  check:        sudo wss-panel doctor   (one line per check, with the fix for each problem)
  uninstall:    $SCRIPT_DIR/uninstall.sh
EOF
