#!/usr/bin/env bash
# Restart time after kill -9 and SET/GET latency during a snapshot:
# fastcache vs redis-server (program: bench/restart).
#
# Environment (defaults in brackets):
#   KEYS [1000000]  ROUNDS [3]  CONNS [50]  OPS [200000]  TIMECAP [60s]
#   REDIS_SERVER [redis-server]  OUT [bench/out]  EXTRA_ARGS [""] (more flags)
# Output: $OUT/restart.md (markdown tables; progress goes to stderr).
# Smoke run:  KEYS=100000 ROUNDS=1 scripts/bench-restart.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
OPS=${OPS:-200000}
TIMECAP=${TIMECAP:-60s}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
OUT=${OUT:-bench/out}
EXTRA_ARGS=${EXTRA_ARGS:-}

if ! command -v "$REDIS_SERVER" >/dev/null 2>&1; then
	echo "redis-server not found: installing with apt-get" >&2
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >&2
	REDIS_SERVER=redis-server
fi

BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/fastcache" ./cmd/fastcache
go build -o "$BIN/restart" ./bench/restart
mkdir -p "$OUT"

# shellcheck disable=SC2086
"$BIN/restart" -keys "$KEYS" -rounds "$ROUNDS" -conns "$CONNS" -ops "$OPS" -timecap "$TIMECAP" \
	-fastcache "$BIN/fastcache" -redis "$REDIS_SERVER" $EXTRA_ARGS >"$OUT/restart.md.tmp"
mv "$OUT/restart.md.tmp" "$OUT/restart.md"
echo "wrote $OUT/restart.md" >&2
