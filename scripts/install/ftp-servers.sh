#!/usr/bin/env bash
# Puts the three real FTP servers the tests drive on this machine, without starting any of them:
#   vsftpd                             installed with apt (it is the one ftp-server apt may install)
#   pure-ftpd, proftpd-core + -crypto  unpacked with dpkg-deb -x under $WIREPROBE_SERVERS_ROOT/root
#                                      (they conflict with vsftpd as packages; as files they run side by side)
# plus the shared libraries the unpacked binaries load and openssl (test certificates, password hashes).
# Idempotent: what is already here is skipped. Needs root (apt). Usage: scripts/install/ftp-servers.sh
set -euo pipefail

ROOT="${WIREPROBE_SERVERS_ROOT:-/opt/wireprobe-servers}"
UNPACKED="$ROOT/root"

# Shared libraries of pure-ftpd, proftpd-core and proftpd-mod-crypto (their Depends) not on a base
# image, and openssl for the login's password hash (`openssl passwd -6`). vsftpd's own postinst
# creates the `ftp` account its anonymous login runs as.
LIBRARIES=(libsodium23 libwrap0 libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libcap2 libacl1 libidn2-0 openssl)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_missing=()
installed vsftpd || apt_missing+=(vsftpd)
for package in "${LIBRARIES[@]}"; do installed "$package" || apt_missing+=("$package"); done

# Unpacked packages, each with the file that shows it is there.
declare -A UNPACK=(
  [pure-ftpd]=usr/sbin/pure-ftpd
  [proftpd-core]=usr/sbin/proftpd
  [proftpd-mod-crypto]=usr/lib/proftpd/mod_tls.so
)
unpack_missing=()
for package in "${!UNPACK[@]}"; do [ -e "$UNPACKED/${UNPACK[$package]}" ] || unpack_missing+=("$package"); done

if [ ${#apt_missing[@]} -eq 0 ] && [ ${#unpack_missing[@]} -eq 0 ]; then
  echo "ftp-servers: vsftpd installed, pure-ftpd and proftpd unpacked under $UNPACKED"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ftp-servers: missing: ${apt_missing[*]} ${unpack_missing[*]} (run as root)" >&2
  exit 2
fi

# Installing must not start daemons: there is no init system, and tests start their own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "ftp-servers: apt-get install ${apt_missing[*]}"
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

if [ ${#unpack_missing[@]} -gt 0 ]; then
  echo "ftp-servers: unpacking ${unpack_missing[*]} into $UNPACKED"
  downloads=$(mktemp -d)
  trap 'rm -rf "$downloads"' EXIT
  chown _apt "$downloads" 2>/dev/null || true # apt downloads as its _apt user when it can
  (cd "$downloads" && apt-get download -qq "${unpack_missing[@]}")
  mkdir -p "$UNPACKED"
  for deb in "$downloads"/*.deb; do dpkg-deb -x "$deb" "$UNPACKED"; done # no maintainer scripts run
fi

for package in "${!UNPACK[@]}"; do
  file="$UNPACKED/${UNPACK[$package]}"
  [ -e "$file" ] || { echo "ftp-servers: $package did not unpack" >&2; exit 1; }
  if ldd "$file" | grep -q 'not found'; then
    echo "ftp-servers: $file misses shared libraries:" >&2
    ldd "$file" | grep 'not found' >&2
    exit 1
  fi
done
command -v vsftpd >/dev/null || { echo "ftp-servers: vsftpd not on PATH after install" >&2; exit 1; }
echo "ftp-servers: vsftpd installed, pure-ftpd and proftpd unpacked under $UNPACKED"
