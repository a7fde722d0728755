#!/usr/bin/env bash
# make bench: berth's speed and memory, side by side with Docker and Podman
# when their engines are installed (Debian's docker.io / podman), in one run.
#   - run --rm true (mean of N runs) on --network none and on the default bridge
#   - a cached and an uncached classic build
#   - host memory per running container (conmon RSS + berthd growth)
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
DOCKER=/usr/local/bin/docker; [ -x "$DOCKER" ] || DOCKER=$(command -v docker)
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
sock=$work/exec/berth.sock
mkdir -p "$work/root" "$work/exec"
node dist/src/daemon/main.js --root "$work/root" --exec-root "$work/exec" -H "unix://$sock" \
  --bridge bbench0 --network-prefix bbench >"$work/berthd.log" 2>&1 &
daemon=$!
cleanup() {
  DOCKER_HOST=unix://$sock $DOCKER rm -f $(DOCKER_HOST=unix://$sock $DOCKER ps -aq) >/dev/null 2>&1
  kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null
  nft delete table ip bbench 2>/dev/null; ip link del bbench0 2>/dev/null
  grep " $work" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done

r=$work/rootfs; mkdir -p "$r/bin" "$r/etc"; cp /bin/busybox "$r/bin/"
for a in sh true sleep echo; do ln -s busybox "$r/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
tar -C "$r" -cf "$work/bb.tar" .

ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
mean_run() { # engine-cli... -- args
  local total=0 i
  for i in $(seq 1 "$N"); do total=$(( total + $(ms "$@") )); done
  echo $(( total / N ))
}

declare -A result
bench_engine() { # name, cli...
  local name=$1; shift
  "$@" import "$work/bb.tar" bench-bb:latest >/dev/null 2>&1 || { echo "$name: import failed"; return; }
  result[$name,none]=$(mean_run "$@" run --rm --network none bench-bb true)
  result[$name,bridge]=$(mean_run "$@" run --rm bench-bb true)
  mkdir -p "$work/ctx-$name"; printf 'FROM bench-bb\nRUN echo a > /a\nCOPY f /f\n' >"$work/ctx-$name/Dockerfile"; date >"$work/ctx-$name/f"
  result[$name,build]=$(DOCKER_BUILDKIT=0 ms "$@" build --no-cache -t bench-b "$work/ctx-$name")
  result[$name,cached]=$(DOCKER_BUILDKIT=0 ms "$@" build -t bench-b "$work/ctx-$name")
}

export DOCKER_BUILDKIT=0
bench_engine berth env DOCKER_HOST=unix://$sock $DOCKER
before=$(ps -o rss= -p $daemon)
ids=$(for i in $(seq 1 20); do DOCKER_HOST=unix://$sock $DOCKER run -d bench-bb sleep 300; done)
after=$(ps -o rss= -p $daemon)
conmon=$(ps -o rss= -C conmon | awk '{s+=$1} END {print s}')
result[berth,mem]=$(( (conmon + after - before) / 20 ))
DOCKER_HOST=unix://$sock $DOCKER rm -f $ids >/dev/null

if [ -S /var/run/docker.sock ] && $DOCKER -H unix:///var/run/docker.sock version >/dev/null 2>&1; then
  bench_engine docker $DOCKER -H unix:///var/run/docker.sock
fi
if command -v podman >/dev/null; then bench_engine podman podman; fi

printf '\n%-8s %14s %14s %12s %12s %14s\n' engine "run none (ms)" "run bridge" "build (ms)" "cached" "KiB/container"
for e in berth docker podman; do
  [ -n "${result[$e,none]:-}" ] || continue
  printf '%-8s %14s %14s %12s %12s %14s\n' $e "${result[$e,none]}" "${result[$e,bridge]}" "${result[$e,build]}" "${result[$e,cached]}" "${result[$e,mem]:--}"
done
for e in docker podman; do
  [ -n "${result[$e,none]:-}" ] || { echo "($e: engine not available on this machine; install Debian's $([ $e = docker ] && echo docker.io || echo podman) to compare)"; continue; }
  printf 'ratio %s/berth: run none %.2f, run bridge %.2f, build %.2f\n' $e \
    "$(echo "${result[$e,none]} / ${result[berth,none]}" | bc -l)" "$(echo "${result[$e,bridge]} / ${result[berth,bridge]}" | bc -l)" \
    "$(echo "${result[$e,build]} / ${result[berth,build]}" | bc -l)"
done
