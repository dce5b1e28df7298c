#!/usr/bin/env bash
# Hashes, fastcache vs redis-server (BENCHMARKS.md, "Hashes"), in four parts:
#   throughput  scripts/bench.sh with TESTS="hset hget hincrby hgetall":
#               redis-benchmark -t hset and HGET/HINCRBY/HGETALL of 10-field
#               hashes, -P1 and -P16, under appendonly no / everysec / always
#   memory      bench/membench -hashes: bytes per field for 10,000 hashes of
#               100 fields and for one hash of 1,000,000 fields
#   restart     bench/restart -hashes: kill -9 and restart with 100,000
#               hashes x 100 fields (10M fields; snapshot + WAL tail vs AOF
#               with an RDB preamble)
#   snapshot    bench/restart -bighash: SET/GET p99 on 1,000,000 string keys
#               without and with a BGSAVE running, while a 1,000,000-field
#               hash exists
# Every part alternates the servers (A B A B) over ROUNDS rounds and reports
# medians and fastcache/redis ratios.
#
# Environment (defaults in brackets):
#   PARTS ["throughput memory restart snapshot"]   ROUNDS [3]
#   N [200000] SETTINGS ["none everysec always"] HKEYS [100000]   (throughput)
#   SHAPES [10000x100,1x1000000]                                  (memory)
#   RHASHES [100000] RFIELDS [100]                                (restart)
#   SKEYS [1000000] BIGHASH [1000000] OPS [200000] TIMECAP [60s]  (snapshot)
#   OUT [bench/out/hashes]
# Output: $OUT/throughput/results.md, $OUT/memory.md, $OUT/restart.md,
# $OUT/snapshot.md (progress on stderr).
# Smoke run:
#   ROUNDS=1 N=2000 HKEYS=1000 SETTINGS=none SHAPES=100x100,1x10000 RHASHES=1000 SKEYS=10000 BIGHASH=10000 OPS=5000 scripts/bench-hashes.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PARTS=${PARTS:-"throughput memory restart snapshot"}
ROUNDS=${ROUNDS:-3}
N=${N:-200000}
SETTINGS=${SETTINGS:-"none everysec always"}
HKEYS=${HKEYS:-100000}
SHAPES=${SHAPES:-10000x100,1x1000000}
RHASHES=${RHASHES:-100000}
RFIELDS=${RFIELDS:-100}
SKEYS=${SKEYS:-1000000}
BIGHASH=${BIGHASH:-1000000}
OPS=${OPS:-200000}
TIMECAP=${TIMECAP:-60s}
OUT=${OUT:-bench/out/hashes}
REDIS_SERVER=${REDIS_SERVER:-redis-server}

has_part() { [[ " $PARTS " == *" $1 "* ]]; }
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if ! command -v "$REDIS_SERVER" >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
	log "redis-server/redis-benchmark not found: installing with apt-get"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server redis-tools >&2
	REDIS_SERVER=redis-server
fi

mkdir -p "$OUT"
BIN=$(mktemp -d)
trap 'rm -rf "$BIN"' EXIT
go build -o "$BIN/fastcache" ./cmd/fastcache
go build -o "$BIN/membench" ./bench/membench
go build -o "$BIN/restart" ./bench/restart

# A loopback port nothing answers on, for scripts/bench.sh (the Go programs
# pick their own from the kernel), below the ephemeral range (32768-60999 by
# default) so that no client connection of this run or another can hold it
# when the server starts.
free_port() {
	local p
	while :; do
		p=$((16000 + RANDOM % 16000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

if has_part throughput; then
	log "throughput: scripts/bench.sh TESTS=\"hset hget hincrby hgetall\""
	REDIS_PORT=$(free_port) FC_PORT=$(free_port) N=$N ROUNDS=$ROUNDS SETTINGS=$SETTINGS HKEYS=$HKEYS \
		TESTS="hset hget hincrby hgetall" MIX="" HEAVY_CONNS="" OUT="$OUT/throughput" \
		scripts/bench.sh
fi
if has_part memory; then
	log "memory: bench/membench -hashes $SHAPES"
	"$BIN/membench" -skip-bytes -skip-hit -rounds "$ROUNDS" -hashes "$SHAPES" \
		-fastcache "$BIN/fastcache" -redis "$REDIS_SERVER" >"$OUT/memory.md.tmp"
	mv "$OUT/memory.md.tmp" "$OUT/memory.md"
fi
if has_part restart; then
	log "restart: bench/restart -hashes $RHASHES -fields $RFIELDS"
	"$BIN/restart" -hashes "$RHASHES" -fields "$RFIELDS" -skip-snapload -rounds "$ROUNDS" \
		-fastcache "$BIN/fastcache" -redis "$REDIS_SERVER" >"$OUT/restart.md.tmp"
	mv "$OUT/restart.md.tmp" "$OUT/restart.md"
fi
if has_part snapshot; then
	log "snapshot: bench/restart -keys $SKEYS -bighash $BIGHASH -skip-restart"
	"$BIN/restart" -keys "$SKEYS" -bighash "$BIGHASH" -skip-restart -ops "$OPS" -timecap "$TIMECAP" -rounds "$ROUNDS" \
		-fastcache "$BIN/fastcache" -redis "$REDIS_SERVER" >"$OUT/snapshot.md.tmp"
	mv "$OUT/snapshot.md.tmp" "$OUT/snapshot.md"
fi
log "wrote $OUT"
