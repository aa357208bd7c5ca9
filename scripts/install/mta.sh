#!/usr/bin/env bash
# Installs the mail servers the real-server launchers drive (servers/real/postfix.ts, exim.ts) without
# starting them: there is no init system, the launchers start their own instances with private configs.
#
#   postfix  apt-get install (preseeded "No configuration": we never use /etc/postfix/main.cf)
#   exim     postfix and exim4 conflict as packages (mail-transport-agent), so exim4-daemon-light is
#            unpacked, not installed: `dpkg-deb -x` under $WIREPROBE_SERVERS_ROOT/root (default
#            /opt/wireprobe-servers/root), no maintainer scripts; its libraries come from apt (they do
#            not conflict) and the Debian-exim account is made as exim4-base's postinst would.
#
# Idempotent: each step runs only when its result is missing. Needs root (and apt) for what is missing.
set -euo pipefail

SERVERS_ROOT=${WIREPROBE_SERVERS_ROOT:-/opt/wireprobe-servers}
EXIM_LIBS=(libc6 libcrypt1 libdb5.3 libgnutls-dane0 libgnutls30 libidn12 libidn2-0 libnsl2 libpcre2-8-0)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
installed postfix || missing+=(postfix)
for lib in "${EXIM_LIBS[@]}"; do installed "$lib" || missing+=("$lib"); done
need_exim=no
[ -x "$SERVERS_ROOT/root/usr/sbin/exim4" ] || need_exim=yes
need_user=no
getent passwd Debian-exim >/dev/null || need_user=yes

if [ ${#missing[@]} -eq 0 ] && [ $need_exim = no ] && [ $need_user = no ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/install/mta.sh: missing: ${missing[*]} $([ $need_exim = yes ] && echo exim4-unpacked) $([ $need_user = yes ] && echo Debian-exim-account) (run as root)" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
updated=no
apt_update() { if [ $updated = no ]; then apt-get update -qq; updated=yes; fi; }

if [ ${#missing[@]} -gt 0 ]; then
  # Installing must not start daemons (no init system; the launchers start their own).
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; fi
  # Without the preseed postfix's postinst asks which mail setup to write into /etc/postfix.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt_update
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ $need_user = yes ]; then
  useradd --system --user-group --no-create-home --home-dir /var/spool/exim4 --shell /usr/sbin/nologin Debian-exim
fi

if [ $need_exim = yes ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  # apt downloads as _apt when it can write there (else it warns and downloads as root).
  if getent passwd _apt >/dev/null; then chown _apt "$work"; fi
  apt_update
  (cd "$work" && apt-get download -qq exim4-daemon-light >/dev/null)
  mkdir -p "$SERVERS_ROOT/root"
  dpkg-deb -x "$work"/exim4-daemon-light_*.deb "$SERVERS_ROOT/root"
  "$SERVERS_ROOT/root/usr/sbin/exim4" -C /dev/null -bV >/dev/null 2>&1 || {
    echo "scripts/install/mta.sh: the unpacked exim4 does not run: $("$SERVERS_ROOT/root/usr/sbin/exim4" -C /dev/null -bV 2>&1 | head -3)" >&2
    exit 1
  }
fi
