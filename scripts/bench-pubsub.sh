#!/usr/bin/env bash
# Pub/sub benchmark: messages delivered per second with 1 publisher and
# 1 / 100 / 1,000 subscribers and 100 pattern subscribers, publish-to-receive
# latency p50/p99, server CPU per delivered message, and SET throughput with
# notify-keyspace-events KEA, fastcache against redis-server side by side.
# See bench/pubsubbench/main.go.
#
# Installs redis-server with apt-get when it is missing, builds fastcache and
# bench/pubsubbench, runs it and writes the markdown report to
# bench/out/pubsub.md (also printed).
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [5s]  ROWS [all: fanout-1,fanout-100,fanout-1000,pattern-100,set-kea]
#   OUT [bench/out]  PUBSUBBENCH_FLAGS [""] extra flags (-window, -payload)
#
# Smoke run:  ROUNDS=1 DURATION=1s scripts/bench-pubsub.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
ROWS=${ROWS:-}
OUT=${OUT:-$ROOT/bench/out}
PUBSUBBENCH_FLAGS=${PUBSUBBENCH_FLAGS:-}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
	log "redis-server not found: installing it with apt-get"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q redis-server
fi

BIN=$(mktemp -d "${TMPDIR:-/tmp}/bench-pubsub.XXXXXX")
trap 'rm -rf "$BIN"' EXIT
log "building fastcache and pubsubbench"
go build -o "$BIN/fastcache" ./cmd/fastcache
go build -o "$BIN/pubsubbench" ./bench/pubsubbench

mkdir -p "$OUT"
log "running: ROUNDS=$ROUNDS DURATION=$DURATION ROWS=${ROWS:-all}"
# shellcheck disable=SC2086
"$BIN/pubsubbench" -fastcache "$BIN/fastcache" -redis-server "$(command -v redis-server)" \
	-rounds "$ROUNDS" -duration "$DURATION" ${ROWS:+-rows "$ROWS"} $PUBSUBBENCH_FLAGS \
	>"$OUT/pubsub.md.tmp"
mv "$OUT/pubsub.md.tmp" "$OUT/pubsub.md"
cat "$OUT/pubsub.md"
log "wrote $OUT/pubsub.md"
