#!/usr/bin/env bash
# CI step for issue 14: DevCertsScriptTest runs scripts/dev-certs.sh, which needs openssl.
set -euo pipefail
if ! command -v openssl >/dev/null; then
  echo "--- installing openssl (apt) for scripts/dev-certs.sh"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl >/dev/null
fi
bash -n scripts/dev-certs.sh
