#!/usr/bin/env bash
# Prints the path of a cached Debian 12 root for the booted-systemd test, building it with
# debootstrap when the cache for this package list is missing. The mirror is read from this
# machine's own apt configuration at run time; it is never written into the repository.
# The cache key is the package list, so changing the list builds a fresh root once.
set -euo pipefail

packages=systemd,systemd-sysv,dbus,openssh-server,openssh-client,sudo,stunnel4,nftables,iproute2,ca-certificates,python3,procps,curl
cache_base=${WSS_SYSTEMD_CACHE:-/var/cache/wss-panel-test}
key=$(printf '%s' "bookworm:$packages" | sha256sum | cut -c1-12)
root="$cache_base/bookworm-root-$key"

if [ -f "$root/.complete" ]; then
  echo "$root"
  exit 0
fi

mirror=$( { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
           grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'; } \
         | grep -E '/debian/?$' | head -1 || true)
if [ -z "$mirror" ]; then
  echo "no Debian mirror in this machine's apt configuration" >&2
  exit 1
fi

mkdir -p "$cache_base"
# A half-built root from an interrupted run is thrown away, never reused.
rm -rf "$root.partial"
debootstrap --variant=minbase --include="$packages" bookworm "$root.partial" "$mirror" >"$cache_base/debootstrap-$key.log" 2>&1 || {
  tail -20 "$cache_base/debootstrap-$key.log" >&2
  exit 1
}
echo trial >"$root.partial/etc/hostname"
# The container's own name resolves, so sudo inside does not warn (defect 3 is tested
# separately by removing this line in a copy).
echo '127.0.1.1 trial' >>"$root.partial/etc/hosts"
# The image's apt lists and caches are not needed inside the test.
rm -rf "$root.partial/var/cache/apt/archives/"*.deb "$root.partial/var/lib/apt/lists/"*
touch "$root.partial/.complete"
rm -rf "$root"
mv "$root.partial" "$root"
echo "$root"
