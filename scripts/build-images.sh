#!/usr/bin/env bash
# Builds the images the demo and the tests use, from Debian packages, because
# this machine reaches no container registry. Skips images that exist.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { docker image inspect "$1" >/dev/null 2>&1; }
mirror() {
  # The first deb.debian.org-style URI of the machine's apt sources.
  # Only files apt itself reads (*.list, *.sources), and only Debian's archive.
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?$' | head -n 1 || true
}

# dusty-busybox:local: a few hundred KB; the demo apps and most tests run on it.
if ! have dusty-busybox:local; then
  echo "[setup] building dusty-busybox:local"
  root=$(mktemp -d)
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/log,var/www}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' - dusty-busybox:local >/dev/null
  rm -rf "$root"
fi

# dusty-nginx:local: Debian's nginx with the stream module, for the router.
if ! have dusty-nginx:local; then
  echo "[setup] building dusty-nginx:local with debootstrap (about a minute)"
  root=$(mktemp -d)
  debootstrap --variant=minbase --include=nginx-light,libnginx-mod-stream bookworm "$root" "${DUSTY_DEBIAN_MIRROR:-$(mirror)}" >/tmp/dusty-debootstrap.log 2>&1 ||
    { tail -n 20 /tmp/dusty-debootstrap.log >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["nginx", "-g", "daemon off;"]' - dusty-nginx:local >/dev/null
  rm -rf "$root"
fi
