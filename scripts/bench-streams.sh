#!/usr/bin/env bash
# Streams: XADD (-P 1, -P 16) under each appendfsync, XRANGE of 100 entries,
# XREADGROUP + XACK with 10 consumers, bytes per entry of a 10M-entry stream
# of 3-field entries: fastcache vs redis-server (program: bench/streambench).
#
# Environment (defaults in brackets):
#   ROUNDS [3]  N [200000] (XADD requests per run)  ENTRIES [10000000]
#   SETTINGS [none,everysec,always]  OUT [bench/out]  EXTRA_ARGS [""] (more flags)
# Output: $OUT/streams.md (markdown; progress goes to stderr).
# Smoke run:  ROUNDS=1 N=20000 ENTRIES=200000 scripts/bench-streams.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
N=${N:-200000}
ENTRIES=${ENTRIES:-10000000}
SETTINGS=${SETTINGS:-none,everysec,always}
OUT=${OUT:-bench/out}
EXTRA_ARGS=${EXTRA_ARGS:-}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
	echo "redis-server/redis-benchmark not found: installing with apt-get" >&2
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server redis-tools >&2
fi

mkdir -p "$OUT"
# shellcheck disable=SC2086
timeout 3h go run ./bench/streambench -rounds "$ROUNDS" -n "$N" -entries "$ENTRIES" -settings "$SETTINGS" $EXTRA_ARGS | tee "$OUT/streams.md"
