#!/usr/bin/env bash
# Installs Debian's chromium when /usr/bin/chromium is missing: the HTML report's browser test
# (test/report/html.test.ts) drives it through playwright-core, never playwright's own browser downloads.
# As root: installs it with apt-get (without starting any daemon). Otherwise: says how, exits 2.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/install/chromium.sh: /usr/bin/chromium is missing (run as root, or: sudo apt-get install --no-install-recommends chromium)" >&2
  exit 2
fi

# Installing must not start daemons: there is no init system (same pattern as scripts/test).
if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; fi
export DEBIAN_FRONTEND=noninteractive
# Another install may hold dpkg's lock (scripts/test installing its packages): wait for it.
APT=(apt-get -o DPkg::Lock::Timeout=600)
"${APT[@]}" update -qq
"${APT[@]}" install -y -qq --no-install-recommends chromium >/dev/null
