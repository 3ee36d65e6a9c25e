#!/usr/bin/env bash
# Starts the local Docker engine when it is not answering, and waits for it.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
echo "[setup] starting dockerd"
mkdir -p /var/log
nohup dockerd >/var/log/dusty-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 0.5
done
echo "dockerd did not start; its log:" >&2
tail -n 30 /var/log/dusty-dockerd.log >&2
exit 1
