#!/usr/bin/env bash
# make demo-rootless: berthd run by an ordinary user. Creates a throwaway user with
# subordinate id ranges, starts `berthd` as that user (rootless is detected: rootlesskit,
# slirp4netns, state in ~/.local/share/berth, socket $XDG_RUNTIME_DIR/berth.sock), and with
# the docker CLI as that user builds an image, runs it with a published port fetched from the
# host's 127.0.0.1, shows who owns what a container writes in a bind mount, and what is
# refused. Removes the user and everything it left at the end. Run as root (to make the user).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make demo-rootless creates a throwaway user: run it as root" >&2; exit 1; }
DOCKER=${DOCKER:-/usr/local/bin/docker}
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)
user=berthdemo$$
work=$(mktemp -d /tmp/berth-demo-rootless.XXXXXX)
chmod 755 "$work"
home=$work/home run=$work/run
daemon=""
cleanup() {
  if [ -n "$daemon" ]; then kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
  # Anything the user still runs (nothing, after a clean stop) goes by pid.
  for _ in $(seq 1 120); do
    pids=$(ps -o pid= -u "$user" 2>/dev/null || true)
    [ -z "$pids" ] && break
    kill -KILL $pids 2>/dev/null || true; sleep 0.5
  done
  userdel --remove "$user" 2>/dev/null || echo "userdel $user failed: remove it by hand" >&2
  sed -i "/^$user:/d" /etc/subuid /etc/subgid
  rm -rf "$work"
}
trap cleanup EXIT
[ -e /dev/net/tun ] && chmod 0666 /dev/net/tun   # udev's mode; slirp4netns opens it as the user

useradd --create-home --home-dir "$home" --shell /bin/sh --user-group "$user"
if ! grep -q "^$user:" /etc/subuid; then
  top=$(cat /etc/subuid /etc/subgid | awk -F: '{e=$2+$3; if (e>m) m=e} END {print (m>100000 ? m : 100000)}')
  usermod --add-subuids "$top-$((top + 65535))" --add-subgids "$top-$((top + 65535))" "$user"
fi
chmod 700 "$home"
install -d -m 700 -o "$user" -g "$user" "$run"
as_user() { runuser -u "$user" -- env HOME="$home" XDG_RUNTIME_DIR="$run" PATH="$PATH" DOCKER_BUILDKIT=0 \
  DOCKER_HOST="unix://$run/berth.sock" "$@"; }
step() { printf '\n\033[1m%s$ %s\033[0m\n' "$user" "$*"; as_user "$@"; }

echo "user $user: $(grep "^$user:" /etc/subuid | cut -d: -f2-3 | tr : +) subordinate uids"
as_user node "$PWD/dist/src/daemon/main.js" --log-format text >"$work/berthd.log" 2>&1 &
daemon=$!
for _ in $(seq 1 300); do [ -S "$run/berth.sock" ] && break; sleep 0.2; done
step $DOCKER info --format '{{.SecurityOptions}} cgroups: {{.CgroupDriver}}, storage: {{.Driver}}'

r=$work/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root"
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
tar --numeric-owner -C "$r" -cf "$work/busybox.tar" .
step $DOCKER import --change 'CMD ["sh"]' "$work/busybox.tar" busybox:latest
mkdir -p "$home/ctx"
printf 'FROM busybox\nRUN mkdir /www && echo "hello from a rootless container" > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n' >"$home/ctx/Dockerfile"
chown -R "$user:$user" "$home/ctx"
step $DOCKER build -q -t web "$home/ctx"
step $DOCKER run -d --name web -p 127.0.0.1:18480:8080 web
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18480/ >/dev/null && break; sleep 0.2; done
printf '\n\033[1mroot$ curl http://127.0.0.1:18480/\033[0m\n'; curl -sS http://127.0.0.1:18480/
step $DOCKER run --rm web sh -c 'id; cat /proc/self/uid_map'
mkdir -m 777 "$work/shared"; echo "root's file" >"$work/shared/root-owned"
step $DOCKER run --rm -v "$work/shared:/shared" web sh -c 'echo x >> /shared/root-owned; echo made > /shared/new'
printf '\n\033[1mroot$ ls -ln %s\033[0m\n' "$work/shared"; ls -ln "$work/shared"
step $DOCKER run --rm -p 80:8080 web true || true
step $DOCKER run --rm --memory 64m web true || true
printf '\n\033[1mroot$ ps -u %s -o user,pid,comm\033[0m\n' "$user"; ps -u "$user" -o user:14,pid,comm
step $DOCKER rm -f web
