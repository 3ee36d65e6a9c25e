#!/usr/bin/env bash
# A second Docker engine in its own network namespace, for tests that need an
# engine other than the machine's main one (Docker contexts, remote hosts,
# two engines at once). Root only.
#
#   engine-in-netns.sh up     NAME PREFIX [IMAGE...]   start it (idempotent), load IMAGEs, print its DOCKER_HOST
#   engine-in-netns.sh load   NAME IMAGE...            copy local images from the main engine into it
#   engine-in-netns.sh status NAME                     exit 0 and print its DOCKER_HOST when it answers
#   engine-in-netns.sh exec   NAME CMD [ARG...]        run CMD inside the namespace (nsenter --net)
#   engine-in-netns.sh down   NAME [--purge]           stop it by its pid, remove the namespace (--purge: and its data)
#
# NAME     the network namespace (/run/netns/NAME) and the engine's name, e.g. dusty-ctx-e2e
# PREFIX   the first three octets of a private /30 of the caller's choosing, e.g. 10.203.15:
#          the host side of the veth pair gets PREFIX.1/30, the namespace side PREFIX.2/30,
#          so published ports of the engine's containers are reached at PREFIX.2:PORT.
#
# What it makes (all paths derive from NAME):
#   socket      unix:///run/NAME/docker.sock (on the host filesystem, reachable from outside the namespace)
#   pid file    /run/NAME/docker.pid        exec root /run/NAME/exec
#   data root   /var/lib/NAME (kept by `down` so loaded images survive; `down --purge` removes it)
#   log         /run/NAME/dockerd.log
#   bridge      --bip ${ENGINE_BIP:-192.168.<3rd octet of PREFIX>.1/24}, distinct from the main engine's 172.17/16
#   cgroups     --cgroup-parent NAME, so its containers are not mixed with the main engine's
#   TLS         with ENGINE_TLS_DIR=DIR, also tcp://PREFIX.2:2376 with --tlsverify: a CA, a server
#               certificate for PREFIX.2 and a client certificate are made in DIR by openssl (kept
#               when there), DIR holding ca.pem, cert.pem and key.pem as DOCKER_CERT_PATH wants
#
# The namespace is entered with `nsenter --net=/run/netns/NAME` and not `ip netns exec`, which
# remounts /sys in a private mount namespace and leaves dockerd unable to manage cgroups.
# The namespace has no default route: its engine reaches only the host side, PREFIX.1.
set -euo pipefail

die() { echo "engine-in-netns: $*" >&2; exit 1; }
usage() { sed -n '6,10p' "$0" | sed 's/^# //' >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd=$1 name=$2
shift 2
[[ $name =~ ^[a-z0-9][a-z0-9-]{0,40}$ ]] || die "NAME must be lower-case letters, digits and dashes: $name"

run_dir=/run/$name
sock=$run_dir/docker.sock
pidfile=$run_dir/docker.pid
data_root=/var/lib/$name
host_url=unix://$sock
# Interface names are at most 15 characters; a hash of NAME keeps them unique and short.
tag=$(printf %s "$name" | md5sum | cut -c1-8)
veth_host=vh$tag
veth_ns=vn$tag

answers() { docker -H "$host_url" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
in_ns() { nsenter --net="/run/netns/$name" "$@"; }
running_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

make_netns() {
  local prefix=$1
  [[ $prefix =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "PREFIX must be three octets like 10.203.15: $prefix"
  if [ ! -e "/run/netns/$name" ]; then
    ip netns add "$name"
  fi
  if ! ip link show "$veth_host" >/dev/null 2>&1; then
    ip link add "$veth_host" type veth peer name "$veth_ns"
    ip link set "$veth_ns" netns "$name"
    ip addr add "$prefix.1/30" dev "$veth_host"
    ip link set "$veth_host" up
    in_ns ip addr add "$prefix.2/30" dev "$veth_ns"
    in_ns ip link set "$veth_ns" up
  fi
  in_ns ip link set lo up
}

# A throw-away CA and the engine's and a client's certificates (ENGINE_TLS_DIR), made once.
make_certs() {
  local dir=$1 ip=$2
  [ -f "$dir/key.pem" ] && [ -f "$dir/server-key.pem" ] && return 0
  command -v openssl >/dev/null || die "openssl is needed for a TLS listener (apt-get install openssl)"
  mkdir -p "$dir"
  (
    cd "$dir"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$name test CA" \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$ip" -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$ip" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=client" -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
      -extfile client.ext -out cert.pem 2>/dev/null
    rm -f server.csr client.csr server.ext client.ext
    chmod 644 ca.pem cert.pem server-cert.pem
  ) || die "openssl could not make the certificates in $dir"
}

start_dockerd() {
  local prefix=$1 bip dir=${ENGINE_TLS_DIR:-}
  local -a tls=()
  bip=${ENGINE_BIP:-192.168.${prefix##*.}.1/24}
  if [ -n "$dir" ]; then
    make_certs "$dir" "$prefix.2"
    tls=(-H "tcp://$prefix.2:2376" --tlsverify --tlscacert "$dir/ca.pem"
      --tlscert "$dir/server-cert.pem" --tlskey "$dir/server-key.pem")
  fi
  mkdir -p "$run_dir/exec" "$data_root"
  # An empty config file, so a daemon.json written for the main engine (hosts, bip) cannot clash.
  echo '{}' >"$run_dir/daemon.json"
  rm -f "$sock"
  # setsid: the engine outlives this script and the shell that ran it.
  setsid nsenter --net="/run/netns/$name" dockerd \
    --config-file "$run_dir/daemon.json" \
    -H "$host_url" \
    "${tls[@]}" \
    --data-root "$data_root" \
    --exec-root "$run_dir/exec" \
    --pidfile "$pidfile" \
    --bip "$bip" \
    --cgroup-parent "$name" \
    >"$run_dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    answers && return 0
    sleep 0.25
  done
  tail -n 30 "$run_dir/dockerd.log" >&2
  die "dockerd in $name did not answer on $sock within 30 s (log above)"
}

load_images() {
  local image main_id inner_id
  for image in "$@"; do
    main_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
      die "no image $image on the main engine to load into $name"
    inner_id=$(docker -H "$host_url" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
    [ "$main_id" = "$inner_id" ] && continue
    docker save "$image" | docker -H "$host_url" load >/dev/null
  done
}

stop_all() {
  local pid
  if pid=$(running_pid); then
    # A throw-away engine: its containers are killed, not given 10 s each to stop.
    docker -H "$host_url" ps -q 2>/dev/null | xargs -r docker -H "$host_url" kill >/dev/null 2>&1 || true
    kill -TERM "$pid"
    for _ in $(seq 1 120); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "engine-in-netns: dockerd $pid did not stop in 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Deleting the namespace removes both ends of the veth pair.
  if [ -e "/run/netns/$name" ]; then ip netns delete "$name"; fi
  ip link delete "$veth_host" 2>/dev/null || true
  rm -rf "$run_dir"
}

case $cmd in
  up)
    [ $# -ge 1 ] || usage
    prefix=$1
    shift
    make_netns "$prefix"
    if ! answers; then
      if pid=$(running_pid); then die "dockerd $pid in $name runs but does not answer on $sock"; fi
      start_dockerd "$prefix"
    elif [ -n "${ENGINE_TLS_DIR:-}" ] && ! tr '\0' ' ' <"/proc/$(running_pid)/cmdline" | grep -q -- --tlsverify; then
      die "dockerd in $name runs without a TLS listener; run: $0 down $name, then up again with ENGINE_TLS_DIR"
    fi
    load_images "$@"
    echo "$host_url"
    ;;
  load)
    answers || die "no engine answers on $sock; run: $0 up $name PREFIX"
    load_images "$@"
    ;;
  status)
    answers || die "no engine answers on $sock"
    echo "$host_url"
    ;;
  exec)
    [ -e "/run/netns/$name" ] || die "no network namespace $name"
    in_ns "$@"
    ;;
  down)
    stop_all
    if [ "${1:-}" = --purge ]; then rm -rf --one-file-system "$data_root"; fi
    ;;
  *) usage ;;
esac
