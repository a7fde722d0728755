#!/usr/bin/env bash
# make bench [BENCH_ARGS="--runs 5 --only run_none,exec --engines berth,podman"]:
# see scripts/bench.mjs. Needs `make build` and, for the peers, `make bench-deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node scripts/bench.mjs "$@"
