#!/usr/bin/env bash
# HyperLogLogs: PFADD to many sparse keys and to one dense key, PFCOUNT of
# one key, PFCOUNT of two dense keys, PFMERGE of two dense keys, with
# redis-benchmark (-c 50, -P 1 and 16) against redis-server and fastcache,
# one server at a time on a fresh data directory (redis, fastcache, redis,
# ...), under each durability setting. Reports requests/s, medians over
# rounds, and the fastcache/redis ratio.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  N [200000] (PFADD and PFCOUNT requests; the two-key rows run N/10)
#   SETTINGS ["none always"]  PIPELINES ["1 16"]  OUT [bench/out]
#   REDIS_PORT [7479]  FC_PORT [7480]  TIMEOUT [180] (seconds per command)
# Output: $OUT/hll.md (markdown), $OUT/hll.csv (every run).
# Smoke run:  ROUNDS=1 N=20000 scripts/bench-hll.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ROUNDS=${ROUNDS:-3}
N=${N:-200000}
SETTINGS=${SETTINGS:-"none always"}
PIPELINES=${PIPELINES:-"1 16"}
OUT=${OUT:-bench/out}
REDIS_PORT=${REDIS_PORT:-7479}
FC_PORT=${FC_PORT:-7480}
TIMEOUT=${TIMEOUT:-180}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
	echo "redis-server/redis-benchmark not found: installing with apt-get" >&2
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO=sudo
	$SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server redis-tools >&2
fi

mkdir -p "$OUT"
WORK=$(mktemp -d)
FC_BIN="$WORK/fastcache"
go build -o "$FC_BIN" ./cmd/fastcache
CSV="$OUT/hll.csv"
echo "setting,round,server,row,pipeline,rps" >"$CSV"
SERVER_PID=""
cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

start() { # server setting port
	local dir="$WORK/data-$1-$RANDOM"
	mkdir -p "$dir"
	local aof=yes fsync=everysec
	case "$2" in
	none) aof=no ;;
	*) fsync=$2 ;;
	esac
	if [ "$1" = redis ]; then
		redis-server --port "$3" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly "$aof" --appendfsync "$fsync" >"$dir/log" 2>&1 &
	else
		"$FC_BIN" --port "$3" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly "$aof" --appendfsync "$fsync" >"$dir/log" 2>&1 &
	fi
	SERVER_PID=$!
	for _ in $(seq 100); do
		redis-cli -p "$3" ping >/dev/null 2>&1 && return
		sleep 0.1
	done
	echo "server $1 did not start" >&2
	exit 1
}

stop() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

rps() { # port n r pipeline command...
	local port=$1 n=$2 r=$3 p=$4
	shift 4
	timeout "$TIMEOUT" redis-benchmark -p "$port" -c 50 -n "$n" -r "$r" -P "$p" --csv "$@" 2>/dev/null |
		awk -F'"' 'NR == 2 { print $4 }'
}

session() { # server setting round
	local port=$REDIS_PORT
	[ "$1" = fastcache ] && port=$FC_PORT
	start "$1" "$2" "$port"
	for p in $PIPELINES; do
		redis-cli -p "$port" flushall >/dev/null
		echo "$2,$3,$1,pfadd-sparse,$p,$(rps "$port" "$N" 10000 "$p" PFADD hll:__rand_int__ e:__rand_int__)" >>"$CSV"
		echo "$2,$3,$1,pfadd-dense,$p,$(rps "$port" "$N" 100000000 "$p" PFADD hll:dense e:__rand_int__)" >>"$CSV"
		echo "$2,$3,$1,pfcount,$p,$(rps "$port" "$N" 10000 "$p" PFCOUNT hll:__rand_int__)" >>"$CSV"
		redis-cli -p "$port" pfadd hll:dense2 a b c >/dev/null
		redis-cli -p "$port" pfmerge hll:dense2 hll:dense >/dev/null
		redis-cli -p "$port" pfadd hll:dense2 x y z >/dev/null
		echo "$2,$3,$1,pfcount-2-dense,$p,$(rps "$port" $((N / 10)) 1 "$p" PFCOUNT hll:dense hll:dense2)" >>"$CSV"
		echo "$2,$3,$1,pfmerge-2-dense,$p,$(rps "$port" $((N / 10)) 1 "$p" PFMERGE hll:m hll:dense hll:dense2)" >>"$CSV"
	done
	stop
	echo "  $1 $2 round $3 done" >&2
}

for setting in $SETTINGS; do
	for round in $(seq "$ROUNDS"); do
		session redis "$setting" "$round"
		session fastcache "$setting" "$round"
	done
done

{
	echo "# HyperLogLogs: fastcache vs redis-server (scripts/bench-hll.sh)"
	echo
	echo "$(nproc) cores, $(redis-server --version | cut -d' ' -f3), ROUNDS=$ROUNDS N=$N; redis-benchmark -c 50;"
	echo "pfadd-sparse: \`PFADD hll:__rand_int__ e:__rand_int__\` -r 10000 (10000 sparse keys);"
	echo "pfadd-dense: \`PFADD hll:dense e:__rand_int__\` (one key, dense after its first few thousand elements);"
	echo "pfcount: \`PFCOUNT hll:__rand_int__\` -r 10000; the two-key rows: N/10 requests over two dense keys."
	echo
	echo "| setting | row | -P | redis req/s (median) | fastcache req/s (median) | fastcache/redis |"
	echo "|---|---|---|---|---|---|"
	awk -F, 'NR > 1 { k = $1 "|" $4 "|" $5; v[k "|" $3] = v[k "|" $3] " " $6; keys[k] = 1 }
		function median(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		END {
			for (k in keys) {
				split(k, p, "|")
				r = median(v[k "|redis"]); f = median(v[k "|fastcache"])
				printf "| %s | %s | %s | %.0f | %.0f | %.2f |\n", p[1], p[2], p[3], r, f, (r > 0 ? f / r : 0)
			}
		}' "$CSV" | sort
} | tee "$OUT/hll.md"
