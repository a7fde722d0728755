#!/usr/bin/env bash
# make bench: berth side by side with Docker and Podman (Debian packages) where installed.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "bench: not written yet (see docs/ARCHITECTURE.md, 'Benchmarks')" >&2
exit 1
