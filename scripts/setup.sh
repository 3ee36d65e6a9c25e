#!/usr/bin/env bash
# Everything Dusty, its demo and its tests need on a fresh Debian machine.
# Idempotent: each step checks before it acts, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages ---------------------------------------------------------
# openssh-server, openssh-client, rsync: the remote-engine provider and its e2e test (scripts/remote-engine.sh);
# python3-paramiko: docker-compose 1.29 imports it for any ssh:// DOCKER_HOST (it still runs the system ssh).
# libnss3-tools: certutil, to trust the local HTTPS CA in Chromium and Firefox profiles.
# docker-registry, apache2-utils (htpasswd): a registry that wants a password, for image_requires_login's e2e test.
pkgs=(docker.io docker-compose git debootstrap busybox-static chromium curl iproute2 ca-certificates
  openssh-server openssh-client rsync python3-paramiko libnss3-tools docker-registry apache2-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The registry package starts a registry on :5000 where systemd runs; the tests start their own.
if [ -d /run/systemd/system ] && systemctl is-enabled --quiet docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

# --- Docker engine -------------------------------------------------------------
bash scripts/start-engine.sh

# --- Local images (there is no registry on this machine) ----------------------
bash scripts/build-images.sh

# --- npm packages and build ----------------------------------------------------
# Electron's binary cannot be downloaded here; its types are all the build needs.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
stamp=node_modules/.dusty-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
log "building"
npm run --silent build
log "ready"
