#!/usr/bin/env bash
# make bench: berth's speed and memory side by side with Docker (Debian's docker.io)
# and Podman (Debian's podman), in one run, each engine private to this run (own
# root, socket and bridge; Docker without iptables) and stopped at the end.
#   - run --rm true (mean of N runs) on --network none and on the default bridge
#   - an uncached and a cached classic build
#   - pull of a ~90 MB gzip Debian image (debootstrap) from a local docker-registry
#     (mean of P pulls, the image removed before each)
#   - host memory per running container (monitor RSS + daemon growth)
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
P=${P:-3}
DOCKER=/usr/local/bin/docker; [ -x "$DOCKER" ] || DOCKER=$(command -v docker)
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
sock=$work/exec/berth.sock
dsock=$work/docker/docker.sock
mkdir -p "$work/root" "$work/exec" "$work/docker"
node dist/src/daemon/main.js --root "$work/root" --exec-root "$work/exec" -H "unix://$sock" \
  --bridge bbench0 --network-prefix bbench >"$work/berthd.log" 2>&1 &
daemon=$!
dockerd_pid="" reg_pid=""
# Podman reads its registries (our local one is plain HTTP) from this file.
export CONTAINERS_REGISTRIES_CONF=$work/registries.conf
printf 'unqualified-search-registries = []\n' >"$CONTAINERS_REGISTRIES_CONF"
# Podman asks for nofile=1048576 by default, which this host (no CAP_SYS_RESOURCE) refuses;
# and its default network gets a private bridge here instead of cni-podman0 and iptables chains.
export CONTAINERS_CONF=$work/containers.conf
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' >"$CONTAINERS_CONF"
mkdir -p "$work/cni"
cat >"$work/cni/podman.conflist" <<'JSON'
{"cniVersion": "0.4.0", "name": "podman", "plugins": [{"type": "bridge", "bridge": "bbpod0",
 "isGateway": true, "ipMasq": false, "ipam": {"type": "host-local", "dataDir": "CNI_DATA",
 "ranges": [[{"subnet": "10.213.78.0/24", "gateway": "10.213.78.1"}]]}}]}
JSON
sed -i "s|CNI_DATA|$work/cni-ipam|" "$work/cni/podman.conflist"
podman() { command podman --root "$work/podman/root" --runroot "$work/podman/run" --runtime runc \
  --cgroup-manager cgroupfs --events-backend file --network-config-dir "$work/cni" "$@"; }

cleanup() {
  DOCKER_HOST=unix://$sock $DOCKER rm -f $(DOCKER_HOST=unix://$sock $DOCKER ps -aq) >/dev/null 2>&1
  kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null
  nft delete table ip bbench 2>/dev/null; ip link del bbench0 2>/dev/null
  if [ -n "$dockerd_pid" ]; then
    $DOCKER -H "unix://$dsock" rm -f $($DOCKER -H "unix://$dsock" ps -aq) >/dev/null 2>&1
    kill -TERM "$dockerd_pid" 2>/dev/null; wait "$dockerd_pid" 2>/dev/null
    ip link del bbdock0 2>/dev/null
  fi
  if command -v podman >/dev/null && [ -d "$work/podman" ]; then
    podman rm -af >/dev/null 2>&1; podman system reset -f >/dev/null 2>&1; ip link del bbpod0 2>/dev/null
  fi
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
  grep " $work" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done

# Docker: a private dockerd (with its own containerd) when docker.io is installed.
if command -v dockerd >/dev/null; then
  ip link add bbdock0 type bridge && ip addr add 10.213.77.1/24 dev bbdock0 && ip link set bbdock0 up
  dockerd --data-root "$work/docker/root" --exec-root "$work/docker/exec" -H "unix://$dsock" \
    --pidfile "$work/docker/dockerd.pid" --bridge bbdock0 --iptables=false --ip6tables=false \
    --containerd-namespace bench --containerd-plugins-namespace bench-plugins \
    --insecure-registry 127.0.0.0/8 >"$work/docker/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 200); do $DOCKER -H "unix://$dsock" version >/dev/null 2>&1 && break; sleep 0.1; done
fi

r=$work/rootfs; mkdir -p "$r/bin" "$r/etc"; cp /bin/busybox "$r/bin/"
for a in sh true sleep echo; do ln -s busybox "$r/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
tar -C "$r" -cf "$work/bb.tar" .

# Milliseconds a command takes, or "fail" (then the result shows as "fail", never as a time).
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo fail; return; }; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
mean() { # runs, cmd...: mean milliseconds
  local n=$1 total=0 i t; shift
  for i in $(seq 1 "$n"); do t=$(ms "$@"); [ "$t" = fail ] && { echo fail; return; }; total=$(( total + t )); done
  echo $(( total / n ))
}

declare -A result
bench_engine() { # name, cli...
  local name=$1; shift
  "$@" import "$work/bb.tar" bench-bb:latest >/dev/null 2>&1 || { echo "$name: import failed"; return; }
  result[$name,none]=$(mean "$N" "$@" run --rm --network none bench-bb true)
  "$@" run --rm bench-bb true >/dev/null 2>&1 && result[$name,bridge]=$(mean "$N" "$@" run --rm bench-bb true)
  mkdir -p "$work/ctx-$name"; printf 'FROM bench-bb\nRUN echo a > /a\nCOPY f /f\n' >"$work/ctx-$name/Dockerfile"; date >"$work/ctx-$name/f"
  result[$name,build]=$(DOCKER_BUILDKIT=0 BUILDAH_LAYERS=true ms "$@" build --no-cache -t bench-b "$work/ctx-$name")
  result[$name,cached]=$(DOCKER_BUILDKIT=0 BUILDAH_LAYERS=true ms "$@" build -t bench-b "$work/ctx-$name")
}
# KiB of host memory per running container: monitor processes' RSS plus daemon growth.
bench_memory() { # name, monitor process name, daemon pids ("" for none), cli...
  local name=$1 monitor=$2 pids=$3; shift 3
  local before after ids mon
  before=$( [ -n "$pids" ] && ps -o rss= -p "$pids" | awk '{s+=$1} END {print s+0}' || echo 0)
  ids=$(for _ in $(seq 1 20); do "$@" run -d --network none bench-bb sleep 300; done 2>/dev/null)
  if [ "$(echo "$ids" | grep -c .)" != 20 ]; then result[$name,mem]=fail; "$@" rm -f $ids >/dev/null 2>&1; return; fi
  after=$( [ -n "$pids" ] && ps -o rss= -p "$pids" | awk '{s+=$1} END {print s+0}' || echo 0)
  mon=$(ps -o rss= -C "$monitor" | awk '{s+=$1} END {print s+0}')
  result[$name,mem]=$(( (mon + after - before) / 20 ))
  "$@" rm -f $ids >/dev/null 2>&1
}

export DOCKER_BUILDKIT=0
berth_cli=(env DOCKER_HOST=unix://$sock $DOCKER)
docker_cli=($DOCKER -H unix://$dsock)
bench_engine berth "${berth_cli[@]}"
bench_memory berth conmon "$daemon" "${berth_cli[@]}"
if [ -n "$dockerd_pid" ]; then
  bench_engine docker "${docker_cli[@]}"
  bench_memory docker containerd-shim-runc-v2 "$dockerd_pid,$(pgrep -d, -f "containerd --config $work/docker" || echo "$dockerd_pid")" "${docker_cli[@]}"
fi
if command -v podman >/dev/null; then
  mkdir -p "$work/podman"
  bench_engine podman podman
  bench_memory podman conmon "" podman
fi

# Pull: a Debian image from Debian's docker-registry, pushed once by berth.
deb=/var/tmp/berth-deb/rootfs
if [ ! -x "$deb/usr/sbin/useradd" ]; then
  debootstrap --variant=minbase bookworm "$deb" http://deb.debian.org/debian >"$work/deboot.log" 2>&1 ||
    { echo "debootstrap failed: no pull benchmark"; deb=""; }
fi
if [ -n "$deb" ] && command -v docker-registry >/dev/null; then
  reg=127.0.0.1:$(( 20000 + RANDOM % 20000 ))
  printf 'version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: %s } }\nhttp: { addr: %s }\n' \
    "$work/reg" "$reg" >"$work/reg.yml"
  printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$reg" >>"$CONTAINERS_REGISTRIES_CONF"
  docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
  reg_pid=$!
  for _ in $(seq 1 50); do curl -fsS "http://$reg/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
  tar --numeric-owner -C "$deb" -cf "$work/debian.tar" .
  "${berth_cli[@]}" import "$work/debian.tar" "$reg/bench/debian:12" >/dev/null
  "${berth_cli[@]}" push "$reg/bench/debian:12" >/dev/null
  rm -f "$work/debian.tar"
  result[image,size]=$(curl -fsS -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$reg/v2/bench/debian/manifests/12" | python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]) // 1000000)')
  pull_mean() { # name, cli...
    local name=$1 total=0 i t; shift
    for i in $(seq 1 "$P"); do
      "$@" rmi -f "$reg/bench/debian:12" >/dev/null 2>&1
      "$@" image prune -f >/dev/null 2>&1
      t=$(ms "$@" pull "$reg/bench/debian:12")
      [ "$t" = fail ] && { result[$name,pull]=fail; return; }
      total=$(( total + t ))
    done
    result[$name,pull]=$(( total / P ))
  }
  pull_mean berth "${berth_cli[@]}"
  [ -n "$dockerd_pid" ] && pull_mean docker "${docker_cli[@]}"
  command -v podman >/dev/null && pull_mean podman podman
fi

printf '\n%-8s %14s %12s %12s %10s %14s %16s\n' engine "run none (ms)" "run bridge" "build (ms)" "cached" "pull (ms)" "KiB/container"
for e in berth docker podman; do
  [ -n "${result[$e,none]:-}" ] || continue
  printf '%-8s %14s %12s %12s %10s %14s %16s\n' $e "${result[$e,none]}" "${result[$e,bridge]:--}" \
    "${result[$e,build]}" "${result[$e,cached]}" "${result[$e,pull]:--}" "${result[$e,mem]:--}"
done
[ -n "${result[image,size]:-}" ] && echo "(pull: Debian bookworm, ${result[image,size]} MB of gzip layers, mean of $P pulls from a local docker-registry)"
numeric() { [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" != 0 ]; }
ratio() { numeric "${result[$1,$3]:-}" && numeric "${result[berth,$3]:-}" && echo "${result[$1,$3]} / ${result[berth,$3]}" | bc -l | xargs printf '%.2f' || echo -; }
for e in docker podman; do
  [ -n "${result[$e,none]:-}" ] || { echo "($e: engine not available on this machine; install Debian's $([ $e = docker ] && echo docker.io || echo podman) to compare)"; continue; }
  echo "ratio $e/berth (above 1: berth is faster or smaller): run none $(ratio $e x none), run bridge $(ratio $e x bridge)," \
    "build $(ratio $e x build), cached build $(ratio $e x cached), pull $(ratio $e x pull), memory $(ratio $e x mem)"
done
