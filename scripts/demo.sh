#!/usr/bin/env bash
# make demo: starts a private berthd and walks through what berth can do,
# with the real docker CLI (and the berth CLI) against it.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-/usr/local/bin/docker}
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
BERTH="node dist/src/cli/main.js"
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
root=$work/root exec=$work/exec sock=$work/exec/berth.sock
mkdir -p "$root" "$exec"

node dist/src/daemon/main.js --root "$root" --exec-root "$exec" -H "unix://$sock" \
  --bridge bdemo0 --network-prefix bdemo >"$work/berthd.log" 2>&1 &
daemon=$!
cleanup() {
  DOCKER_HOST=unix://$sock $DOCKER rm -f demo-web >/dev/null 2>&1 || true
  kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true
  grep " $work" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
export DOCKER_HOST=unix://$sock BERTH_HOST=unix://$sock DOCKER_BUILDKIT=0

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step $DOCKER version
# A busybox image from Debian's busybox-static.
r=$work/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/www"
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
tar --numeric-owner -C "$r" -cf "$work/busybox.tar" .
step $DOCKER import --change 'CMD ["sh"]' "$work/busybox.tar" busybox:latest
step $DOCKER images
step $DOCKER image inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} layers={{len .RootFS.Layers}}' busybox
step $DOCKER save -o "$work/busybox-saved.tar" busybox
step $DOCKER rmi busybox
step $DOCKER load -i "$work/busybox-saved.tar"
step $BERTH images
step $BERTH history busybox
