#!/usr/bin/env bash
# Everything a fresh machine needs before it can build, test or run a lattice:
# the Debian packages the tests start (sshd, prometheus, etcd), pnpm at the
# pinned version, the locked dependencies, and a build. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

PNPM_VERSION=10.34.9
DEBIAN_PACKAGES=(openssh-server prometheus etcd-server etcd-client)

step "Debian packages: ${DEBIAN_PACKAGES[*]}"
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Their packaged services are not wanted: tests start private instances on
  # random loopback ports and stop them by PID.
  for svc in prometheus etcd ssh; do $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true; done
else
  echo "all present"
fi

step "pnpm $PNPM_VERSION"
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g "pnpm@$PNPM_VERSION"
fi
pnpm --version

step "pnpm install --frozen-lockfile"
pnpm install --frozen-lockfile

step "pnpm build"
pnpm build
