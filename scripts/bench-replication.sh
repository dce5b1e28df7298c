#!/usr/bin/env bash
# Replication and WAL export benchmark: fastcache (0/1/4 WAL export
# subscribers, 1 fastcache replica) against redis-server (0 and 1 replica),
# SET throughput, p99 and follower lag. See bench/replbench/main.go.
#
# Installs redis-server with apt-get when it is missing, builds fastcache and
# bench/replbench, runs it and writes the markdown report to
# bench/out/replication.md (also printed).
#
# Environment (defaults in brackets):
#   N [300000]   SET requests per run     ROUNDS [3]   runs per row
#   ROWS [all]   comma-separated subset: fc,redis,fc-export1,fc-export4,fc-replica,redis-replica
#   TIMECAP [60s]  OUT [bench/out]  REPLBENCH_FLAGS [""] extra flags for replbench
#
# Smoke run:  N=20000 ROUNDS=1 scripts/bench-replication.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

N=${N:-300000}
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-}
TIMECAP=${TIMECAP:-60s}
OUT=${OUT:-$ROOT/bench/out}
REPLBENCH_FLAGS=${REPLBENCH_FLAGS:-}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v redis-server >/dev/null 2>&1; then
	log "redis-server not found: installing it with apt-get"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q redis-server
fi

BIN=$(mktemp -d "${TMPDIR:-/tmp}/bench-replication.XXXXXX")
trap 'rm -rf "$BIN"' EXIT
log "building fastcache and replbench"
go build -o "$BIN/fastcache" ./cmd/fastcache
go build -o "$BIN/replbench" ./bench/replbench

mkdir -p "$OUT"
log "running: N=$N ROUNDS=$ROUNDS ROWS=${ROWS:-all}"
# shellcheck disable=SC2086
"$BIN/replbench" -fastcache "$BIN/fastcache" -redis-server "$(command -v redis-server)" \
	-n "$N" -rounds "$ROUNDS" -timecap "$TIMECAP" ${ROWS:+-rows "$ROWS"} $REPLBENCH_FLAGS \
	>"$OUT/replication.md.tmp"
mv "$OUT/replication.md.tmp" "$OUT/replication.md"
cat "$OUT/replication.md"
log "wrote $OUT/replication.md"
