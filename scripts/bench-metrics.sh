#!/usr/bin/env bash
# What observability costs: SET -P16 throughput (redis-benchmark) of
#   redis         redis-server, latency-tracking yes (its default)
#   redis-nolt    redis-server, latency-tracking no
#   redis-exp     redis-server scraped every second by prometheus-redis-exporter
#                 (the exporter's own scrape every second: INFO ALL, CONFIG GET, ...)
#   fc            fastcache, latency-tracking yes (its default), no metrics-listen
#   fc-nolt       fastcache, latency-tracking no
#   fc-metrics    fastcache with metrics-listen, /metrics scraped every second
# one server at a time, the rows alternating in every round (A B C ... A B C),
# each on a fresh data directory. The report has the median over the rounds
# of each row and the ratios that answer the questions: what scraping costs
# (fc-metrics / fc), what latency tracking costs each server (fc / fc-nolt,
# redis / redis-nolt), and fastcache against Redis with the same setting
# (fc / redis, fc-nolt / redis-nolt). Besides throughput, every row has the
# server's CPU time per request (utime + stime of the server process over the
# run, /proc/PID/stat), which moves much less than throughput when other
# work shares the cores: it is the cost itself (serving /metrics included;
# for redis-exp the exporter's own CPU is not counted, Redis's answering it is).
#
# Installs redis-server, redis-tools and prometheus-redis-exporter with
# apt-get when missing. Output: bench/out/metrics.md (also printed) and
# bench/out/metrics.csv (every run).
#
# Environment (defaults in brackets):
#   N [2000000]  requests per run     ROUNDS [5]     APPENDFSYNC [none|everysec|always; none]
#   ROWS ["redis redis-nolt redis-exp fc fc-nolt fc-metrics"]
#   REDIS_PORT [7479]  FC_PORT [7480]  METRICS_PORT [7481]  EXPORTER_PORT [7482]  OUT [bench/out]
#
# Smoke run:  N=100000 ROUNDS=1 scripts/bench-metrics.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

N=${N:-2000000}
ROUNDS=${ROUNDS:-5}
APPENDFSYNC=${APPENDFSYNC:-none}
ROWS=${ROWS:-"redis redis-nolt redis-exp fc fc-nolt fc-metrics"}
REDIS_PORT=${REDIS_PORT:-7479}
FC_PORT=${FC_PORT:-7480}
METRICS_PORT=${METRICS_PORT:-7481}
EXPORTER_PORT=${EXPORTER_PORT:-7482}
OUT=${OUT:-$ROOT/bench/out}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-benchmark >/dev/null || need+=(redis-tools)
command -v prometheus-redis-exporter >/dev/null || need+=(prometheus-redis-exporter)
if ((${#need[@]})); then
	log "installing ${need[*]}"
	SUDO=""
	[[ $(id -u) -eq 0 ]] || SUDO=sudo
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-metrics.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
log "building fastcache"
go build -o "$WORK/fastcache" ./cmd/fastcache

wait_port() {
	for _ in $(seq 1 200); do
		redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	log "server on $1 did not start"
	return 1
}

persist_redis() {
	case $APPENDFSYNC in
	none) echo "--appendonly no" ;;
	*) echo "--appendonly yes --appendfsync $APPENDFSYNC" ;;
	esac
}
persist_fc() {
	case $APPENDFSYNC in
	none) echo "--appendonly no" ;;
	*) echo "--appendonly yes --appendfsync $APPENDFSYNC --snapshot-on-shutdown no" ;;
	esac
}

# scraper GETs url every second until killed; it counts its scrapes.
scraper() {
	local url=$1 count=$2 n=0
	while true; do
		curl -sf -o /dev/null "$url" && n=$((n + 1)) && echo "$n" >"$count"
		sleep 1
	done
}

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

# run_row ROW ROUND: start the row's server (and scraper), run the load,
# print "ops/s avg_ms p99_ms scrapes cpu_us_per_request".
run_row() {
	local row=$1 dir="$WORK/data-$1-$2" port pid extra="" scr="" exp="" count="$WORK/scrapes"
	mkdir -p "$dir"
	echo 0 >"$count"
	case $row in
	redis*)
		port=$REDIS_PORT
		[[ $row == redis-nolt ]] && extra="--latency-tracking no"
		# shellcheck disable=SC2046
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' $(persist_redis) $extra \
			--daemonize no >"$dir/server.log" 2>&1 &
		;;
	fc*)
		port=$FC_PORT
		[[ $row == fc-nolt ]] && extra="--latency-tracking no"
		[[ $row == fc-metrics ]] && extra="--metrics-listen $METRICS_PORT"
		# shellcheck disable=SC2046,SC2086
		"$WORK/fastcache" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' $(persist_fc) $extra \
			--logfile "$dir/server.log" &
		;;
	esac
	pid=$!
	PIDS+=("$pid")
	wait_port "$port"
	if [[ $row == fc-metrics ]]; then
		scraper "http://127.0.0.1:$METRICS_PORT/metrics" "$count" &
		scr=$!
	elif [[ $row == redis-exp ]]; then
		prometheus-redis-exporter -redis.addr "redis://127.0.0.1:$port" \
			-web.listen-address "127.0.0.1:$EXPORTER_PORT" >"$dir/exporter.log" 2>&1 &
		exp=$!
		PIDS+=("$exp")
		sleep 0.5
		scraper "http://127.0.0.1:$EXPORTER_PORT/metrics" "$count" &
		scr=$!
	fi
	local csv t0 t1
	t0=$(cpu_ticks "$pid")
	csv=$(redis-benchmark -p "$port" -c 50 -d 64 -r 1000000 -n "$N" -P 16 -t set --csv -q 2>/dev/null | grep '"SET"' | head -1)
	t1=$(cpu_ticks "$pid")
	[[ -n $scr ]] && kill "$scr" 2>/dev/null && wait "$scr" 2>/dev/null || true
	[[ -n $exp ]] && kill "$exp" 2>/dev/null && wait "$exp" 2>/dev/null || true
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	rm -rf "$dir"
	# "SET","123456.79","0.2",... -> ops/s (and p50, p99 in ms)
	echo "$csv" | awk -F'"' -v s="$(cat "$count")" -v c="$(( (t1 - t0) * 1000000 / TICK ))" -v n="$N" \
		'{printf "%s %s %s %s %.3f\n", $4, $8, $14, s, c / n}'
}

mkdir -p "$OUT"
CSV="$OUT/metrics.csv"
echo "round,row,ops_per_sec,avg_ms,p99_ms,scrapes,cpu_us_per_req" >"$CSV"
log "N=$N ROUNDS=$ROUNDS APPENDFSYNC=$APPENDFSYNC rows: $ROWS"
for r in $(seq 1 "$ROUNDS"); do
	for row in $ROWS; do
		read -r ops avg p99 scrapes cpu < <(run_row "$row" "$r")
		log "round $r $row: $ops ops/s (p99 $p99 ms, $scrapes scrapes, server CPU $cpu us/request)"
		echo "$r,$row,$ops,$avg,$p99,$scrapes,$cpu" >>"$CSV"
	done
done

# The report: medians per row, then the ratios.
awk -F, -v rounds="$ROUNDS" -v n="$N" -v fsync="$APPENDFSYNC" '
function median(row, col,    k, i, j, t, a) {
	k = 0
	for (i = 1; i <= nr; i++) if (R[i] == row) a[++k] = V[col, i]
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	if (k == 0) return 0
	return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
NR > 1 { nr++; R[nr] = $2; V[1, nr] = $3; V[2, nr] = $5; V[3, nr] = $6; V[4, nr] = $7; seen[$2] = 1 }
END {
	printf "SET -P16, redis-benchmark -c 50 -d 64 -r 1000000 -n %d, persistence %s, %d rounds, medians\n\n", n, fsync, rounds
	print "| row | SET ops/s | p99 ms | scrapes | server CPU us/request |"
	print "|---|---:|---:|---:|---:|"
	split("redis redis-nolt redis-exp fc fc-nolt fc-metrics", rows, " ")
	for (i = 1; i <= 6; i++) if (rows[i] in seen) {
		m[rows[i]] = median(rows[i], 1)
		c[rows[i]] = median(rows[i], 4)
		printf "| %s | %.0f | %.3f | %d | %.3f |\n", rows[i], m[rows[i]], median(rows[i], 2), median(rows[i], 3), c[rows[i]]
	}
	print ""
	print "| ratio | throughput | server CPU per request |"
	print "|---|---:|---:|"
	q("fc-metrics / fc (scraped every second vs not)", "fc-metrics", "fc")
	q("redis-exp / redis (redis_exporter scraping every second vs not)", "redis-exp", "redis")
	q("fc / fc-nolt (latency-tracking yes vs no)", "fc", "fc-nolt")
	q("redis / redis-nolt (latency-tracking yes vs no)", "redis", "redis-nolt")
	q("fc / redis (both latency-tracking yes)", "fc", "redis")
	q("fc-nolt / redis-nolt (both latency-tracking no)", "fc-nolt", "redis-nolt")
}
function q(label, a, b) { if (m[a] > 0 && m[b] > 0 && c[b] > 0) printf "| %s | %.3f | %.3f |\n", label, m[a] / m[b], c[a] / c[b] }
' "$CSV" >"$OUT/metrics.md"
cat "$OUT/metrics.md"
log "wrote $OUT/metrics.md and $CSV"
