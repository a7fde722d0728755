#!/usr/bin/env bash
# make demo: starts a private berthd and runs the main job with the real docker
# CLI (and the berth CLI): make a busybox image from Debian's busybox-static,
# build an image from a Dockerfile, run it with a published port and fetch a
# page, then push it to a local registry (Debian's docker-registry, then berth's own) and pull
# it back. Everything it makes is removed at the end.
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
reg_pid="" own_pid=""
cleanup() {
  DOCKER_HOST=unix://$sock $DOCKER rm -f demo-web >/dev/null 2>&1 || true
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null
  [ -n "$own_pid" ] && kill "$own_pid" 2>/dev/null
  kill -TERM $daemon 2>/dev/null; wait $daemon 2>/dev/null || true
  nft delete table ip bdemo 2>/dev/null || true
  ip link del bdemo0 2>/dev/null || true
  grep " $work" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
export DOCKER_HOST=unix://$sock BERTH_HOST=unix://$sock DOCKER_BUILDKIT=0

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step $DOCKER version --format 'client {{.Client.Version}}, server {{.Server.Platform.Name}} {{.Server.Version}} (API {{.Server.APIVersion}})'

# 1. A busybox image from Debian's busybox-static.
r=$work/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root"
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
tar --numeric-owner -C "$r" -cf "$work/busybox.tar" .
step $DOCKER import --change 'CMD ["sh"]' "$work/busybox.tar" busybox:latest
step $DOCKER images
step $DOCKER save -o "$work/busybox-saved.tar" busybox
step $DOCKER rmi busybox
step $DOCKER load -i "$work/busybox-saved.tar"

# 2. Build an image from a Dockerfile.
mkdir -p "$work/ctx"
echo "<h1>hello from a berth container</h1>" >"$work/ctx/index.html"
cat >"$work/ctx/Dockerfile" <<'DF'
FROM busybox
WORKDIR /www
COPY index.html ./
RUN echo "built at $(date -u +%FT%TZ)" > /www/built.txt
EXPOSE 80
CMD ["httpd", "-f", "-p", "80", "-h", "/www"]
DF
step $DOCKER build -t demo/web:1 "$work/ctx"
step $BERTH history demo/web:1

# 3. Run it with a published port and fetch the page.
port=$(( 20000 + RANDOM % 20000 ))
step $DOCKER run -d --name demo-web -p "127.0.0.1:$port:80" demo/web:1
step $DOCKER ps
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
step curl -fsS "http://127.0.0.1:$port/index.html"
step $DOCKER rm -f demo-web

# 4. Push to a local registry and pull back.
reg=127.0.0.1:$(( 20000 + RANDOM % 20000 ))
mkdir "$work/reg"
printf 'version: 0.1\nlog: { level: error }\nstorage: { filesystem: { rootdirectory: %s } }\nhttp: { addr: %s }\n' "$work/reg" "$reg" >"$work/reg.yml"
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://$reg/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
step $DOCKER tag demo/web:1 "$reg/demo/web:1"
step $DOCKER push "$reg/demo/web:1"
step $DOCKER rmi "$reg/demo/web:1" demo/web:1
step $DOCKER pull "$reg/demo/web:1"
step $DOCKER run --rm "$reg/demo/web:1" cat /www/index.html

# 5. The same through berth's own registry server.
own=127.0.0.1:$(( 20000 + RANDOM % 20000 ))
$BERTH registry serve --addr "$own" --root "$work/own-reg" >"$work/own-reg.log" 2>&1 &
own_pid=$!
for _ in $(seq 1 50); do curl -fsS "http://$own/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
step $DOCKER tag "$reg/demo/web:1" "$own/demo/web:1"
step $DOCKER push "$own/demo/web:1"
step $DOCKER rmi "$own/demo/web:1" "$reg/demo/web:1"
step $DOCKER pull "$own/demo/web:1"
step $DOCKER search "$own/demo"
step $DOCKER run --rm "$own/demo/web:1" cat /www/built.txt
printf '\n\033[1mdemo done\033[0m\n'
