#!/bin/sh
# Prints the build facts baked into berth (src/util/buildinfo.ts) as JSON: package version,
# git commit (with -dirty for a changed tree; "" outside a git checkout) and build time.
# SOURCE_DATE_EPOCH, when set, fixes the build time (reproducible builds).
cd "$(dirname "$0")/.." || exit 1
version=$(node -p 'require("./package.json").version')
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || true)
if [ -n "$commit" ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
if [ -n "$SOURCE_DATE_EPOCH" ]; then
  built=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  built=$(date -u +%Y-%m-%dT%H:%M:%SZ)
fi
printf '{"version":"%s","gitCommit":"%s","buildTime":"%s"}\n' "$version" "$commit" "$built"
