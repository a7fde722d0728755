# berth: `make demo` and `make test` are the whole quick start (Debian 12, as root).
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := runc conmon crun skopeo busybox-static docker-registry tini catatonit \
  containernetworking-plugins nftables iptables iproute2 golang-github-containers-common \
  debootstrap uidmap util-linux procps psmisc curl ca-certificates openssl
DOCKER ?= $(shell command -v /usr/local/bin/docker || command -v docker)
TEST_FILES = $(shell find dist/test -name '*.test.js' 2>/dev/null | sort)

.PHONY: setup deps build lint typecheck unit integration acceptance test demo bench bench-deps clean

# Installs every Debian and npm dependency, then builds. Safe to run again.
setup: deps build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
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
	@# GET /version's GitCommit and BuildTime (src/util/buildinfo.ts).
	@printf '{"GitCommit":"%s","BuildTime":"%s"}\n' "$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
	  "$$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" > dist/build-info.json

lint:
	npx biome check src test

typecheck:
	npx tsc -p . --noEmit

unit: build
	node --test --test-concurrency=1 $(TEST_FILES)

acceptance: build
	test/acceptance.sh

test: setup lint typecheck unit acceptance

demo: setup
	scripts/demo.sh

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
	scripts/bench.sh

clean:
	rm -rf dist
