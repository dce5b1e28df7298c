#!/usr/bin/env bash
# Bytes per key (RSS), GET p99 with the keys loaded, and Zipf(0.99) hit ratio
# at the same maxmemory with allkeys-lru / allkeys-lfu: fastcache vs
# redis-server (program: bench/membench).
#
# Environment (defaults in brackets):
#   KEYS [1000000]  ROUNDS [3]  CONNS [50]  GETOPS [200000]
#   ZIPFKEYS [1000000]  ZIPFOPS [2000000]  ZIPF [0.99]  MEMFRAC [0.1]  HITROUNDS [1]
#   REDIS_SERVER [redis-server]  OUT [bench/out]  EXTRA_ARGS [""] (more flags)
# Output: $OUT/memory.md (markdown tables; progress goes to stderr).
# Smoke run:  KEYS=100000 ROUNDS=1 ZIPFOPS=400000 scripts/bench-memory.sh
# (ZIPFKEYS below ~1M makes maxmemory smaller than the servers' own
# footprint, and most SETs are refused.)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
GETOPS=${GETOPS:-200000}
ZIPFKEYS=${ZIPFKEYS:-1000000}
ZIPFOPS=${ZIPFOPS:-2000000}
ZIPF=${ZIPF:-0.99}
MEMFRAC=${MEMFRAC:-0.1}
HITROUNDS=${HITROUNDS:-1}
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
go build -o "$BIN/membench" ./bench/membench
mkdir -p "$OUT"

# shellcheck disable=SC2086
"$BIN/membench" -keys "$KEYS" -rounds "$ROUNDS" -conns "$CONNS" -getops "$GETOPS" \
	-zipfkeys "$ZIPFKEYS" -zipfops "$ZIPFOPS" -zipf "$ZIPF" -memfrac "$MEMFRAC" -hitrounds "$HITROUNDS" \
	-fastcache "$BIN/fastcache" -redis "$REDIS_SERVER" $EXTRA_ARGS >"$OUT/memory.md.tmp"
mv "$OUT/memory.md.tmp" "$OUT/memory.md"
echo "wrote $OUT/memory.md" >&2
