#!/usr/bin/env bash
# Installs the Debian packages the suite drives. Idempotent: does nothing when every tool is present.
# Called by `npm test` / `npm run certify` when a tool is missing, and by .ci/run.
set -euo pipefail

declare -A NEED=(
  [sipp]=sip-tester
  [rtpengine]=rtpengine-daemon
  [knotd]=knot
  [knotc]=knot
  [kdig]=knot-dnsutils
  [tshark]=tshark
  [dumpcap]=tshark
  [ip]=iproute2
  [openssl]=openssl
  [psql]=postgresql-client
  # Headless browser for the certificate's browser test (harness/report/browser.test.ts).
  [chromium]=chromium
  # The Kamailio SUT (topology/suts/kamailio): the server and kamcmd; the module packages below.
  [kamailio]=kamailio
  [kamcmd]=kamailio
)
PG_BIN=/usr/lib/postgresql/15/bin
KAM_MODULES=/usr/lib/x86_64-linux-gnu/kamailio/modules
declare -A KAM_NEED=(
  [tls.so]=kamailio-tls-modules
  [db_postgres.so]=kamailio-postgres-modules
  [uuid.so]=kamailio-extra-modules
  [http_client.so]=kamailio-utils-modules
)

missing=()
for tool in "${!NEED[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${NEED[$tool]}")
done
[ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] || missing+=(postgresql)
for module in "${!KAM_NEED[@]}"; do
  [ -e "$KAM_MODULES/$module" ] || missing+=("${KAM_NEED[$module]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install: all tools present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install: missing packages (${missing[*]}) and not root: run 'sudo topology/install.sh'" >&2
  exit 1
fi

mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
# The packages ship system services; the suite starts its own instances inside namespaces.
for svc in postgresql rtpengine-daemon knot kamailio; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
echo "install: done"
