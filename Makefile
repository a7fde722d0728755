# berth: `make demo` and `make test` are the whole quick start (Debian 12, as root).
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := runc conmon crun skopeo busybox-static docker-registry tini catatonit \
  containernetworking-plugins nftables iptables iproute2 golang-github-containers-common \
  debootstrap uidmap rootlesskit slirp4netns fuse-overlayfs util-linux procps psmisc curl ca-certificates openssl tmux systemd socat passwd zsh fish \
  docker-compose python3-docker dpkg-dev
DOCKER ?= $(shell command -v /usr/local/bin/docker || command -v docker)
TEST_FILES = $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)

.PHONY: setup deps build bundle install uninstall lint typecheck unit integration acceptance test demo demo-rootless bench bench-deps test-long clean

# `make install` layout (GNU conventions; DESTDIR stages the tree, e.g. for a package).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib/berth
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMDUSERUNITDIR ?= $(PREFIX)/lib/systemd/user
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
SOCKET_GROUP ?= berth
NODE ?= $(shell command -v node)

# Installs every Debian and npm dependency, then builds. Safe to run again.
setup: deps build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# Rootless berthd: slirp4netns and fuse-overlayfs open these as the user; 0666 is udev's mode.
	@for d in /dev/net/tun /dev/fuse; do [ -c $$d ] && chmod 0666 $$d || true; done
	@if ! [ -x "$(DOCKER)" ]; then \
	  echo "no docker CLI at /usr/local/bin/docker: installing Debian's docker.io for its client only"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io; \
	  systemctl disable --now docker.service docker.socket >/dev/null 2>&1 || true; \
	fi
	@# npm 11 here leaves other platforms' optional packages (biome's) out of the lock file,
	@# which `npm ci` then refuses: fall back to an install that honours the lock's versions.
	@[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || \
	  npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund

build:
	rm -rf dist
	npx tsc -p .
	scripts/buildinfo.sh >dist/src/buildinfo.json

# One esbuild bundle per program (fast start), koffi beside them, man pages and completions.
bundle:
	@[ -d node_modules/esbuild ] || { echo "esbuild is missing: run 'make setup' first" >&2; exit 1; }
	@[ -n "$(NODE)" ] || { echo "no node on the PATH (or pass NODE=/path/to/node)" >&2; exit 1; }
	node scripts/bundle.mjs "$(NODE)"

# Installs berth and berthd on the PATH, the systemd units, completions, man pages, and
# $(SYSCONFDIR)/berth/daemon.json only if there is none. Without DESTDIR it also creates the
# socket's group ($(SOCKET_GROUP)) if missing and reloads systemd (units are not enabled).
install: bundle
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(MANDIR)/man1" \
	  "$(DESTDIR)$(MANDIR)/man8" "$(DESTDIR)$(SYSTEMDUNITDIR)" "$(DESTDIR)$(SYSTEMDUSERUNITDIR)" "$(DESTDIR)$(BASHCOMPDIR)" \
	  "$(DESTDIR)$(ZSHCOMPDIR)" "$(DESTDIR)$(FISHCOMPDIR)" "$(DESTDIR)$(SYSCONFDIR)/berth"
	rm -rf "$(DESTDIR)$(LIBDIR)/node_modules"
	cp -R dist/install/lib/node_modules "$(DESTDIR)$(LIBDIR)/"
	install -m 0755 dist/install/lib/berth.mjs dist/install/lib/berthd.mjs "$(DESTDIR)$(LIBDIR)/"
	ln -sfn "$$(realpath -m --relative-to="$(BINDIR)" "$(LIBDIR)")/berth.mjs" "$(DESTDIR)$(BINDIR)/berth"
	ln -sfn "$$(realpath -m --relative-to="$(BINDIR)" "$(LIBDIR)")/berthd.mjs" "$(DESTDIR)$(BINDIR)/berthd"
	install -m 0644 dist/install/man/berth.1 "$(DESTDIR)$(MANDIR)/man1/berth.1"
	install -m 0644 dist/install/man/berthd.8 "$(DESTDIR)$(MANDIR)/man8/berthd.8"
	install -m 0644 dist/install/completion/berth.bash "$(DESTDIR)$(BASHCOMPDIR)/berth"
	install -m 0644 dist/install/completion/_berth "$(DESTDIR)$(ZSHCOMPDIR)/_berth"
	install -m 0644 dist/install/completion/berth.fish "$(DESTDIR)$(FISHCOMPDIR)/berth.fish"
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/berthd.service >"$(DESTDIR)$(SYSTEMDUNITDIR)/berthd.service"
	sed 's|^SocketGroup=.*|SocketGroup=$(SOCKET_GROUP)|' contrib/systemd/berthd.socket >"$(DESTDIR)$(SYSTEMDUNITDIR)/berthd.socket"
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/user/berthd.service >"$(DESTDIR)$(SYSTEMDUSERUNITDIR)/berthd.service"
	chmod 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/berthd.service" "$(DESTDIR)$(SYSTEMDUNITDIR)/berthd.socket" \
	  "$(DESTDIR)$(SYSTEMDUSERUNITDIR)/berthd.service"
	@[ -e "$(DESTDIR)$(SYSCONFDIR)/berth/daemon.json" ] && echo "kept $(DESTDIR)$(SYSCONFDIR)/berth/daemon.json" || \
	  sed 's|"group": "berth"|"group": "$(SOCKET_GROUP)"|' contrib/daemon.json >"$(DESTDIR)$(SYSCONFDIR)/berth/daemon.json"
	@if [ -z "$(DESTDIR)" ]; then \
	  getent group "$(SOCKET_GROUP)" >/dev/null || { groupadd --system "$(SOCKET_GROUP)" && echo "created group $(SOCKET_GROUP)"; }; \
	  [ -d /run/systemd/system ] && systemctl daemon-reload || true; \
	  echo "installed; start with: systemctl enable --now berthd.socket"; \
	fi

# Removes what install put there; keeps $(SYSCONFDIR)/berth (configuration), the group and
# /var/lib/berth (images, containers, volumes), as a package's remove (not purge) does.
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemctl disable --now berthd.socket berthd.service >/dev/null 2>&1 || true; fi
	rm -f "$(DESTDIR)$(BINDIR)/berth" "$(DESTDIR)$(BINDIR)/berthd" \
	  "$(DESTDIR)$(MANDIR)/man1/berth.1" "$(DESTDIR)$(MANDIR)/man8/berthd.8" \
	  "$(DESTDIR)$(SYSTEMDUNITDIR)/berthd.service" "$(DESTDIR)$(SYSTEMDUNITDIR)/berthd.socket" \
	  "$(DESTDIR)$(SYSTEMDUSERUNITDIR)/berthd.service" "$(DESTDIR)$(BASHCOMPDIR)/berth" "$(DESTDIR)$(ZSHCOMPDIR)/_berth" "$(DESTDIR)$(FISHCOMPDIR)/berth.fish"
	rm -rf "$(DESTDIR)$(LIBDIR)"
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

lint:
	npx biome check src test

typecheck:
	npx tsc -p . --noEmit

unit: build
	node --test --test-concurrency=1 $(TEST_FILES)

acceptance: build
	test/acceptance.sh

test: setup lint typecheck unit acceptance

# Soak (not part of `make test`): 1,000 containers, 50 API clients for 2 minutes, then RSS and
# fds back near their baseline. SOAK_CONTAINERS / SOAK_CLIENTS / SOAK_SECONDS resize it.
test-long: build
	node --test --test-concurrency=1 dist/test/long/soak.long.js

demo: setup
	scripts/demo.sh

# berthd run by a throwaway ordinary user (rootless mode); removes the user afterwards.
demo-rootless: setup
	scripts/demo-rootless.sh

# Docker and Podman from Debian, for side-by-side numbers. Their services are kept from
# starting (policy-rc.d during the install, then disabled): the bench runs private ones.
bench-deps:
	@missing=""; for p in docker.io podman; do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing (for make bench)"; \
	  own_policy=""; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; own_policy=1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  [ -z "$$own_policy" ] || rm -f /usr/sbin/policy-rc.d; \
	  systemctl disable --now docker.service docker.socket containerd.service >/dev/null 2>&1 || true; \
	fi

bench: setup bench-deps
	scripts/bench.sh $(BENCH_ARGS)

clean:
	rm -rf dist
