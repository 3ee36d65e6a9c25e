#!/usr/bin/env bash
# A "remote" Docker host on this machine, to try Dusty's remote provider and to
# test it: a network namespace reached over a veth pair (10.203.14.1 here,
# 10.203.14.2 there), an sshd inside it with a key made for it, and a second
# dockerd inside it with its own data root, exec root, socket and bridge.
# The images the demo and tests use are copied in with docker save | load
# (there is no registry here). The namespace and the engine come from
# scripts/engine-in-netns.sh; this adds the ssh side and a user for it.
#
#   bash scripts/remote-engine.sh up      # prints the environment to use
#   bash scripts/remote-engine.sh up --tls  # the engine also on tcp://10.203.14.2:2376 with TLS
#                                           # (certificates in its state folder); code still goes over ssh
#   bash scripts/remote-engine.sh down    # stops dockerd and sshd by their pids, removes the namespace
#
# ssh reads its configuration from the passwd home, not $HOME, so rather than
# editing your ~/.ssh/config this writes its own and a `ssh` on a PATH folder
# that passes it with -F; Dusty, docker and compose all run that `ssh`.
set -euo pipefail

NAME=${DUSTY_REMOTE_NETNS:-dusty-remote-e2e}
STATE=${DUSTY_REMOTE_STATE:-/var/tmp/$NAME}
PREFIX=10.203.14
REMOTE_IP=$PREFIX.2
ENGINE="$(dirname "$0")/engine-in-netns.sh"
SSH_PORT=2222
# The remote side's own user: its home is not yours, so a container sees a
# file only if sync carried it, and its shell (sh) starts fast.
USER_NAME=${DUSTY_REMOTE_USER:-$NAME}
IMAGES=${DUSTY_REMOTE_IMAGES:-dusty-busybox:local dusty-nginx:local}

in_ns() { nsenter --net="/run/netns/$NAME" "$@"; }
log() { printf '[remote-engine] %s\n' "$*" >&2; }

# Sends TERM to the pid in a pid file and waits for it to go (KILL after 20 s).
stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$file"
}

sshd_up() {
  mkdir -p "$STATE/bin" /run/sshd
  if ! id "$USER_NAME" >/dev/null 2>&1; then
    # Password "*": no password login, but not a locked account (sshd refuses those).
    useradd --system --home-dir "$STATE/home" --create-home --shell /bin/sh --groups docker --password "*" "$USER_NAME"
  fi
  [ -f "$STATE/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$NAME client" -f "$STATE/id_ed25519"
  [ -f "$STATE/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$NAME host" -f "$STATE/host_ed25519"
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  echo "[$REMOTE_IP]:$SSH_PORT $(cut -d' ' -f1,2 "$STATE/host_ed25519.pub")" >"$STATE/known_hosts"
  cat >"$STATE/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress $REMOTE_IP
HostKey $STATE/host_ed25519
PidFile $STATE/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin no
AllowUsers $USER_NAME
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
# docker system dial-stdio on this side must reach this namespace's engine.
SetEnv DOCKER_HOST=$ENGINE_HOST
# compose opens many sessions at once over one shared connection.
MaxSessions 100
# Lets a test hide a program on this side (PATH in ~/.ssh/environment), as on a host without it.
PermitUserEnvironment PATH
Subsystem sftp internal-sftp
EOF
  cat >"$STATE/ssh_config" <<EOF
Host $REMOTE_IP $NAME
  HostName $REMOTE_IP
  Port $SSH_PORT
  User $USER_NAME
  IdentityFile $STATE/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $STATE/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
  # One connection shared by docker, compose and rsync, as Docker's docs advise for ssh://.
  ControlMaster auto
  ControlPath $STATE/cm-%C
  ControlPersist 60
EOF
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$STATE/ssh_config" >"$STATE/bin/ssh"
  chmod 755 "$STATE/bin/ssh"
  if [ -f "$STATE/sshd.pid" ] && kill -0 "$(cat "$STATE/sshd.pid")" 2>/dev/null; then return; fi
  in_ns /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
}

case "${1:-}" in
  up)
    mkdir -p "$STATE"
    tls=
    case "${2:-}" in
      --tls) tls=$STATE/tls ;;
      '') ;;
      *) echo "usage: $0 up [--tls]" >&2; exit 2 ;;
    esac
    # shellcheck disable=SC2086
    ENGINE_HOST=$(ENGINE_TLS_DIR=$tls bash "$ENGINE" up "$NAME" "$PREFIX" $IMAGES)
    sshd_up
    if [ -n "$tls" ]; then
      cat <<EOF
# The remote engine is up, on TLS; code is copied over ssh to $REMOTE_IP (user and port: its ssh config). To use it:
export PATH="$STATE/bin:\$PATH"
export DOCKER_HOST=tcp://$REMOTE_IP:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$tls
EOF
    else
      cat <<EOF
# The remote engine is up. To use it:
export PATH="$STATE/bin:\$PATH"
export DOCKER_HOST=ssh://$USER_NAME@$REMOTE_IP:$SSH_PORT
EOF
    fi
    ;;
  down)
    # Shared ssh connections (ControlPersist) end with their master.
    for cm in "$STATE"/cm-*; do
      [ -S "$cm" ] && /usr/bin/ssh -F "$STATE/ssh_config" -o ControlPath="$cm" -O exit "$REMOTE_IP" 2>/dev/null || true
    done
    stop_pidfile "$STATE/sshd.pid"
    # Sessions outlive the listening sshd; every process of this script's own user is one of them.
    if id "$USER_NAME" >/dev/null 2>&1; then
      for pid in $(ps -o pid= -u "$USER_NAME"); do kill "$pid" 2>/dev/null || true; done
      for _ in $(seq 1 20); do [ -z "$(ps -o pid= -u "$USER_NAME")" ] && break; sleep 0.25; done
    fi
    bash "$ENGINE" down "$NAME" --purge
    if id "$USER_NAME" >/dev/null 2>&1; then userdel "$USER_NAME" || log "could not remove the user $USER_NAME"; fi
    rm -rf "$STATE"
    ;;
  *)
    echo "usage: $0 up [--tls] | down" >&2
    exit 2
    ;;
esac
