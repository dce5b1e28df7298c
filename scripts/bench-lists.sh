#!/usr/bin/env bash
# Lists side by side with redis-server (BENCHMARKS.md, "Lists"):
#   1. scripts/bench.sh with redis-benchmark's list tests: LPUSH RPUSH LPOP
#      RPOP LRANGE_100/300/500/600, -c 50 -d 64, -P 1 and -P 16, under each
#      appendfsync setting (output in $OUT, default bench/out-lists);
#   2. bench/listbench: BLPOP hand-off latency with 50 waiting consumers
#      (each setting) and bytes per element for one 10,000,000-element list
#      and 100,000 lists of 10 (output $OUT/listbench.md).
# Environment: N [50000] ROUNDS [3] SETTINGS ["none everysec always"]
# HANDOFFS [5000] BIGELEMS [10000000] LISTS [100000], plus bench.sh's.
# Smoke run: N=2000 ROUNDS=1 HANDOFFS=200 BIGELEMS=100000 LISTS=1000 scripts/bench-lists.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export N=${N:-50000} ROUNDS=${ROUNDS:-3} SETTINGS=${SETTINGS:-"none everysec always"}
export OUT=${OUT:-$ROOT/bench/out-lists}
# Loopback ports nothing answers on, below the ephemeral range (32768-60999
# by default) so that no client connection can hold them (bench.sh's fixed
# defaults would collide with another run of it on the same machine).
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
export REDIS_PORT=${REDIS_PORT:-$(free_port)} FC_PORT=${FC_PORT:-$(free_port)}
TESTS="lpush rpush lpop rpop lrange_100 lrange_300 lrange_500 lrange_600" TOOLS=redis-benchmark MIX="" HEAVY_CONNS="" \
  scripts/bench.sh
go run ./bench/listbench -rounds "$ROUNDS" -settings "$SETTINGS" -handoffs "${HANDOFFS:-5000}" \
  -bigelems "${BIGELEMS:-10000000}" -lists "${LISTS:-100000}" >"$OUT/listbench.md"
echo "results: $OUT/results.md, $OUT/listbench.md" >&2
