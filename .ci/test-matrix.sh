#!/usr/bin/env bash
# Runs the Jest suite once per Node version pinned in .ci/node-versions and prints one
# "node <version>: N passed, N failed" line per version. Each Node is the official binary that the
# npm registry ships as a package (node-<os>-<arch>@<version>), installed once into a cache folder
# outside the work tree and reused; the project's package.json and lockfile are never touched.
# Usage: .ci/test-matrix.sh [jest arguments]   e.g. npm run test:matrix -- test/cache-metrics
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/nestjs-tiered-cache/node"
VERSIONS=$(grep -Ev '^[[:space:]]*(#|$)' .ci/node-versions)

platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=$(uname -m) ;;
  esac
  echo "$os-$arch"
}
PACKAGE="node-$(platform)"

bin_dir() { echo "$CACHE_ROOT/$1/node_modules/$PACKAGE/bin"; }

# Installs Node <version> into the cache unless a working copy is there already.
ensure_node() {
  local version=$1 dir="$CACHE_ROOT/$1"
  if [ "$("$(bin_dir "$version")/node" --version 2>/dev/null)" = "v$version" ]; then return; fi
  mkdir -p "$CACHE_ROOT"
  # NOTE: installed into a fresh folder and moved into place only once it runs, so an interrupted
  # or failed install is never mistaken for a cached one.
  local staging
  staging=$(mktemp -d "$CACHE_ROOT/.install-$version.XXXXXX")
  echo "==> installing $PACKAGE@$version into $dir"
  if ! (cd "$staging" && npm install --prefix "$staging" --no-save --no-package-lock --no-audit --no-fund \
    "$PACKAGE@$version" >"$staging.log" 2>&1) ||
    [ "$("$staging/node_modules/$PACKAGE/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "test-matrix: could not install Node $version ($PACKAGE@$version from the npm registry):" >&2
    tail -n 20 "$staging.log" >&2
    rm -rf "$staging" "$staging.log"
    return 1
  fi
  rm -rf "$dir" "$staging.log"
  mv "$staging" "$dir"
}

# Installs every pinned Node before any test runs: a version that cannot be installed fails fast.
for version in $VERSIONS; do
  ensure_node "$version"
done

echo "==> npm run build (worker scripts and the demo the e2e tests start)"
npm run build

summary=()
failed=0
started=$SECONDS
for version in $VERSIONS; do
  echo "==> jest on node $version"
  log=$(mktemp)
  version_started=$SECONDS
  set +e
  PATH="$(bin_dir "$version"):$PATH" node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand --forceExit "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  set -e
  # NOTE: test/support/summary-reporter.cjs prints "tests: N passed, N failed" as the run's last line.
  counts=$(grep -E '^tests: [0-9]+ passed' "$log" | tail -n 1 | sed 's/^tests: //')
  rm -f "$log"
  [ -n "$counts" ] || counts="no test result"
  # NOTE: a suite can fail with no failed test (an error thrown between tests): the exit code says so.
  if [ "$status" -ne 0 ]; then
    counts="$counts, jest exited with $status"
    failed=1
  fi
  summary+=("node $version: $counts ($((SECONDS - version_started))s)")
done

echo "==> test matrix ($((SECONDS - started))s)"
printf '%s\n' "${summary[@]}"
exit "$failed"
