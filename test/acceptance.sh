#!/usr/bin/env bash
# Runs the shared acceptance suite (../shared/acceptance) against a private
# berthd and enforces the ratchet: every scenario listed in
# test/acceptance-passing.txt must pass. Scenarios that pass but are not
# listed are reported so they can join the list.
set -uo pipefail
cd "$(dirname "$0")/.."
SUITE=${ACC_SUITE:-../shared/acceptance}
LIST=test/acceptance-passing.txt
if ! [ -x "$SUITE/run.sh" ]; then
  # A clone of berth alone has no shared suite: say so plainly and skip, unless the suite was
  # asked for (ACC_SUITE set) or this is CI (CI=true), where a missing suite is a failure.
  if [ -n "${ACC_SUITE:-}" ] || [ "${CI:-}" = true ]; then
    echo "acceptance suite not found at $SUITE" >&2
    exit 1
  fi
  echo "acceptance: SKIPPED: the shared acceptance suite is not at $SUITE (it lives beside this" >&2
  echo "  repository in the project's workspace, not in it); set ACC_SUITE=<dir> to run it." >&2
  exit 0
fi

# Stage the suite privately, so a missing fixture or log dir never touches the shared copy.
run_dir=$(mktemp -d /tmp/berth-acc.XXXXXX)
state=$run_dir/state
mkdir -p "$state/root" "$state/exec"
sock=$state/exec/berth.sock
logs=$run_dir/logs
mkdir -p "$logs"

# Host network objects named per run, so two runs (or another engine) never share them.
tag=$(basename "$run_dir" | tail -c 7 | tr 'A-Z' 'a-z' | tr -c 'a-z0-9\n' x)
node dist/src/daemon/main.js --root "$state/root" --exec-root "$state/exec" -H "unix://$sock" \
  --bridge "ba${tag}0" --network-prefix "ba${tag}" --log-level info >"$run_dir/berthd.log" 2>&1 &
daemon=$!
cleanup() {
  kill -TERM "$daemon" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$daemon" 2>/dev/null
  # Anything the daemon left (it should have left nothing): containers' mounts and monitors.
  pkill -f "conmon.*$state" 2>/dev/null
  grep " $state" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT
for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "berthd did not start:"; cat "$run_dir/berthd.log"; exit 1; }

export DOCKER_HOST=unix://$sock ACC_LOG_DIR=$logs
"$SUITE/run.sh" "$@" | tee "$run_dir/result.txt"
summary=$(tail -n 1 "$run_dir/result.txt")

rc=0
while read -r name; do
  [ -z "$name" ] || [[ $name == \#* ]] && continue
  if grep -q "^PASS $name\$" "$run_dir/result.txt"; then continue; fi
  if [ $# -gt 0 ] && ! grep -q " $name" "$run_dir/result.txt"; then continue; fi # not selected
  echo "RATCHET: $name is listed in $LIST but did not pass" >&2
  rc=1
done <"$LIST"
for name in $(sed -n 's/^PASS //p' "$run_dir/result.txt"); do
  grep -qx "$name" "$LIST" || echo "NEW: $name passes; add it to $LIST" >&2
done
echo "acceptance: $summary (logs in $logs, daemon log $run_dir/berthd.log)"
if [ $rc -eq 0 ]; then
  rm -rf "$run_dir" # logs are kept only when the ratchet fails
else
  echo "--- last daemon log lines"; tail -n 30 "$run_dir/berthd.log"
fi
exit $rc
