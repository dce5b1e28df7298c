#!/usr/bin/env bash
# Side-by-side benchmark of fastcache against redis-server.
#
# For each durability setting (none: appendonly no; everysec; always) and each
# of ROUNDS rounds, runs redis-server, then fastcache (A B A B ...: one server
# at a time, each on a fresh data directory), and drives the same loads at
# both:
#   * redis-benchmark --csv -q -c 50 -d 64 -r 1000000 -n N  -t set|get|incr|mset  -P 1|16
#   * bench/loadgen: the same loads, plus a 1:10 SET:GET mix, recording every
#     request's latency in a histogram so each row has p50/p99/p99.9
#   * a connection-heavy run: -c 1000, SET and GET, -P 1 (both tools)
#   * hash rows, when TESTS names them: hset is redis-benchmark's own `-t hset`
#     (HSET myhash element:__rand_int__ <value>: ONE hash growing to up to
#     -r fields); hget, hincrby and hgetall are redis-benchmark custom
#     command lines over HKEYS 10-field hashes h:__rand_int__ (fields f1..f9
#     = the -d value, f10 = 0), written by `loadgen -t hload` at the start
#     of the session:  HGET h:__rand_int__ f1 | HINCRBY h:__rand_int__ f10 1 |
#     HGETALL h:__rand_int__  (loadgen sends the same commands)
# The mix lives in bench/loadgen (one process, per-connection interleaving of
# 1 SET then 10 GETs) rather than two concurrent redis-benchmark processes:
# two processes report two rates and two latency distributions that cannot be
# merged into one p99.9, and the ratio drifts when one finishes first.
#
# Output (bench/out/, gitignored):
#   results.csv   every run, one row each (both tools, all rounds); cpu_s is
#                 the server's CPU time (user + system) during the run
#   results.md    machine, exact commands, median-over-rounds tables with
#                 fastcache/redis ratios
#   chart.svg     grouped bars of the ratios per load and setting, 1.0 line
#   commands.log  every command run;  raw/  redis-benchmark CSV, server logs
#
# Environment (defaults in brackets):
#   N [200000]            requests per run        ROUNDS [3]
#   SETTINGS ["none everysec always"]             PIPELINES ["1 16"]
#   TESTS ["set get incr mset"]                   MIX [1:10] (SET:GET; "" = no mix)
#                         also: hset hget hincrby hgetall (see above)
#   HKEYS [100000]        10-field hashes of the hget/hincrby/hgetall rows
#   HEAVY_CONNS [1000]    connections of the connection-heavy run ("" = skip it)
#   TOOLS ["redis-benchmark loadgen"]
#   TIMECAP [60s]         loadgen stops issuing requests after this (row keeps what it did)
#   TIMEOUT [180]         seconds before `timeout` kills any single command
#   LOADGEN_PROCS [1]     GOMAXPROCS of bench/loadgen (1 = one core, like redis-benchmark)
#   CONTROL [0]           1: a second redis-server session ("redis-aa") after
#                         fastcache in every round; the report's A/A column
#                         (redis-aa / redis) is the noise floor of each row
#   REDIS_PORT [7379]  FC_PORT [7380]  OUT [bench/out]  KEEP_WORK [0]
#
# Smoke run:  N=2000 ROUNDS=1 scripts/bench.sh
# Hashes:     TESTS="hset hget hincrby hgetall" MIX="" HEAVY_CONNS="" scripts/bench.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

N=${N:-200000}
ROUNDS=${ROUNDS:-3}
SETTINGS=${SETTINGS:-"none everysec always"}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-"set get incr mset"}
MIX=${MIX-1:10}
HEAVY_CONNS=${HEAVY_CONNS-1000}
TOOLS=${TOOLS:-"redis-benchmark loadgen"}
TIMECAP=${TIMECAP:-60s}
TIMEOUT=${TIMEOUT:-180}
LOADGEN_PROCS=${LOADGEN_PROCS:-1}
REDIS_PORT=${REDIS_PORT:-7379}
FC_PORT=${FC_PORT:-7380}
OUT=${OUT:-$ROOT/bench/out}
KEEP_WORK=${KEEP_WORK:-0}
CONTROL=${CONTROL:-0}
HKEYS=${HKEYS:-100000}
CLIENTS=50
DATA=64
KEYSPACE=1000000

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
has_tool() { [[ " $TOOLS " == *" $1 "* ]]; }
# Hash rows that read the preloaded 10-field hashes h:<12 digits>.
is_hread() { [[ $1 == hget || $1 == hincrby || $1 == hgetall ]]; }
needs_hload() { local t; for t in $TESTS; do is_hread "$t" && return 0; done; return 1; }

# --- prerequisites ---------------------------------------------------------
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null || ! command -v redis-cli >/dev/null; then
  log "installing redis-server and redis-tools"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q redis-server redis-tools
  # The package starts a system redis on 6379; it does not collide with our ports.
fi
command -v go >/dev/null || die "go not found"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= HEAVY_CONNS + 64 )) || log "warning: ulimit -n $(ulimit -n) is low for ${HEAVY_CONNS} connections"

WORK=$(mktemp -d /tmp/fastcache-bench.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if [[ $KEEP_WORK == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT/raw"
RESULTS=$OUT/results.csv
CMDLOG=$OUT/commands.log
: >"$CMDLOG"
echo "server,setting,round,tool,test,clients,pipeline,requests,errors,seconds,rps,avg_ms,p50_ms,p99_ms,p999_ms,max_ms,cpu_s" >"$RESULTS"

# cpu_s PID: user + system CPU seconds the process (all its threads) has
# used so far (/proc/PID/stat fields 14 and 15, after the "(comm)" field).
CLK_TCK=$(getconf CLK_TCK)
cpu_s() { awk -v hz="$CLK_TCK" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# Quote a command the way it can be pasted back into a shell and log it.
quote() { local out="" a; for a in "$@"; do out+="$(printf '%q' "$a") "; done; printf '%s' "${out% }"; }
CUR_ROUND=0 # commands of the build and of round 1 go into the report verbatim
record() {
  local line
  line=$(quote "$@")
  echo "$line" >>"$CMDLOG"
  if (( CUR_ROUND <= 1 )); then echo "$line" >>"$WORK/commands-r1.log"; fi
}

# --- build -----------------------------------------------------------------
FC_BIN=$WORK/fastcache
LOADGEN=$WORK/loadgen
REPORT=$WORK/report
log "building fastcache, bench/loadgen, bench/report"
build() { record go build -o "$1" "$2"; go build -o "$1" "$2"; }
build "$FC_BIN" ./cmd/fastcache
build "$LOADGEN" ./bench/loadgen
build "$REPORT" ./bench/report

# --- servers ----------------------------------------------------------------
SERVER_PID=""
ping_ok() { [[ $(redis-cli -p "$1" ping 2>/dev/null) == PONG ]]; }

# start_server NAME SETTING ROUND PORT
start_server() {
  local name=$1 setting=$2 round=$3 port=$4
  local dir=$WORK/$name-$setting-r$round appendonly fsync
  case $setting in
    none) appendonly=no fsync=everysec ;;
    everysec) appendonly=yes fsync=everysec ;;
    always) appendonly=yes fsync=always ;;
    *) die "unknown setting $setting" ;;
  esac
  if ping_ok "$port"; then die "something already answers on port $port"; fi
  rm -rf "$dir" && mkdir -p "$dir"
  local cmd
  if [[ $name == redis* ]]; then
    cmd=(redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly "$appendonly" --appendfsync "$fsync"
      --aof-use-rdb-preamble yes --dir "$dir" --daemonize no --maxclients 10000)
  else
    cmd=("$FC_BIN" --port "$port" --bind 127.0.0.1 --save '' --appendonly "$appendonly" --appendfsync "$fsync"
      --dir "$dir" --maxclients 10000 --loglevel warning)
  fi
  record "${cmd[@]}"
  "${cmd[@]}" >"$OUT/raw/$name-$setting-r$round.log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 100); do
    ping_ok "$port" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "$name exited at start, see $OUT/raw/$name-$setting-r$round.log"
    sleep 0.1
  done
  die "$name did not answer PING on $port within 10s"
}

stop_server() {
  local port=$1 dir=$2
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    log "server $SERVER_PID ignored SHUTDOWN; sending SIGTERM"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$dir"
}

# --- loads -------------------------------------------------------------------
# rb SERVER SETTING ROUND PORT TEST CLIENTS PIPELINE
rb() {
  local server=$1 setting=$2 round=$3 port=$4 test=$5 c=$6 P=$7
  local raw=$OUT/raw/rb-$server-$setting-r$round-$test-c$c-P$P.csv
  local cmd=(redis-benchmark -h 127.0.0.1 -p "$port" --csv -q -c "$c" -d "$DATA" -r "$KEYSPACE" -n "$N" -P "$P" -t "$test")
  case $test in # a custom command line; its CSV row is named by the line, whose first word the awk below keeps
    hget) cmd=(redis-benchmark -h 127.0.0.1 -p "$port" --csv -q -c "$c" -r "$HKEYS" -n "$N" -P "$P" HGET h:__rand_int__ f1) ;;
    hincrby) cmd=(redis-benchmark -h 127.0.0.1 -p "$port" --csv -q -c "$c" -r "$HKEYS" -n "$N" -P "$P" HINCRBY h:__rand_int__ f10 1) ;;
    hgetall) cmd=(redis-benchmark -h 127.0.0.1 -p "$port" --csv -q -c "$c" -r "$HKEYS" -n "$N" -P "$P" HGETALL h:__rand_int__) ;;
  esac
  record timeout --foreground -k 10 "$TIMEOUT" "${cmd[@]}"
  local cpu0 cpu
  cpu0=$(cpu_s "$SERVER_PID")
  if ! timeout --foreground -k 10 "$TIMEOUT" "${cmd[@]}" >"$raw" 2>"$raw.err"; then
    log "warning: redis-benchmark $test -c $c -P $P against $server failed or timed out (see $raw.err)"
    return 0
  fi
  cpu=$(awk -v a="$cpu0" -v b="$(cpu_s "$SERVER_PID")" 'BEGIN { printf "%.2f", b - a }')
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  awk -F, -v pre="$server,$setting,$round,redis-benchmark" -v c="$c" -v P="$P" -v n="$N" -v cpu="$cpu" '
    NR > 1 && NF >= 8 && $1 !~ /needed/ {
      gsub(/"/, "")
      t = tolower($1); sub(/ .*/, "", t)
      print pre "," t "," c "," P "," n ",,," $2 "," $3 "," $5 "," $7 ",," $8 "," cpu
    }' "$raw" | tee -a "$RESULTS" | awk -F, '{ printf "    redis-benchmark %-5s -c%-4s -P%-2s %10.0f rps  p50 %s  p99 %s ms  cpu %s s\n", $5, $6, $7, $11, $13, $14, $17 }' >&2
}

# lg SERVER SETTING ROUND PORT TEST CLIENTS PIPELINE
lg() {
  local server=$1 setting=$2 round=$3 port=$4 test=$5 c=$6 P=$7
  local r=$KEYSPACE
  if is_hread "$test"; then r=$HKEYS; fi
  local cmd=("$LOADGEN" -addr "127.0.0.1:$port" -t "$test" -c "$c" -P "$P" -d "$DATA" -r "$r" -n "$N" -timecap "$TIMECAP" -procs "$LOADGEN_PROCS")
  if [[ $test == mix ]]; then cmd+=(-mix "$MIX"); fi
  record timeout --foreground -k 10 "$TIMEOUT" "${cmd[@]}"
  local row cpu0
  cpu0=$(cpu_s "$SERVER_PID")
  if ! row=$(timeout --foreground -k 10 "$TIMEOUT" "${cmd[@]}" -tag "$server,$setting,$round,loadgen" 2>>"$OUT/raw/loadgen.err"); then
    log "warning: loadgen $test -c $c -P $P against $server failed or timed out (see $OUT/raw/loadgen.err)"
    return 0
  fi
  row+=",$(awk -v a="$cpu0" -v b="$(cpu_s "$SERVER_PID")" 'BEGIN { printf "%.2f", b - a }')"
  echo "$row" >>"$RESULTS"
  awk -F, '{ printf "    loadgen         %-5s -c%-4s -P%-2s %10.0f rps  p50 %s  p99 %s  p99.9 %s ms  cpu %s s\n", $5, $6, $7, $11, $13, $14, $15, $17 }' <<<"$row" >&2
}

# hload SERVER PORT: writes the HKEYS 10-field hashes the hget/hincrby/hgetall
# rows read (not a row of the report; checked with HLEN of the last one).
hload() {
  local server=$1 port=$2
  local cmd=("$LOADGEN" -addr "127.0.0.1:$port" -t hload -c "$CLIENTS" -P 16 -d "$DATA" -r "$HKEYS" -n "$HKEYS" -timecap "$TIMECAP" -procs "$LOADGEN_PROCS")
  record timeout --foreground -k 10 "$TIMEOUT" "${cmd[@]}"
  timeout --foreground -k 10 "$TIMEOUT" "${cmd[@]}" >/dev/null 2>>"$OUT/raw/loadgen.err" || die "preloading hashes into $server failed (see $OUT/raw/loadgen.err)"
  local last
  last=$(printf 'h:%012d' $((HKEYS - 1)))
  [[ $(redis-cli -p "$port" hlen "$last") == 10 ]] || die "preloading hashes into $server: HLEN $last is not 10"
}

# session SERVER SETTING ROUND: one server, fresh directory, every load.
session() {
  local server=$1 setting=$2 round=$3 port
  if [[ $server == redis* ]]; then port=$REDIS_PORT; else port=$FC_PORT; fi
  log "[$setting round $round/$ROUNDS] $server on :$port"
  start_server "$server" "$setting" "$round" "$port"
  if needs_hload; then hload "$server" "$port"; fi
  local P t
  for P in $PIPELINES; do
    for t in $TESTS; do
      if has_tool redis-benchmark; then rb "$server" "$setting" "$round" "$port" "$t" "$CLIENTS" "$P"; fi
      if has_tool loadgen; then lg "$server" "$setting" "$round" "$port" "$t" "$CLIENTS" "$P"; fi
    done
    if [[ -n $MIX ]] && has_tool loadgen; then
      lg "$server" "$setting" "$round" "$port" mix "$CLIENTS" "$P"
    fi
  done
  if [[ -n $HEAVY_CONNS ]]; then
    for t in set get; do
      if has_tool redis-benchmark; then rb "$server" "$setting" "$round" "$port" "$t" "$HEAVY_CONNS" 1; fi
      if has_tool loadgen; then lg "$server" "$setting" "$round" "$port" "$t" "$HEAVY_CONNS" 1; fi
    done
  fi
  stop_server "$port" "$WORK/$server-$setting-r$round"
}

START=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
for setting in $SETTINGS; do
  for round in $(seq "$ROUNDS"); do
    CUR_ROUND=$round
    session redis "$setting" "$round"
    session fastcache "$setting" "$round"
    if [[ $CONTROL == 1 ]]; then session redis-aa "$setting" "$round"; fi
  done
done
ELAPSED=$(( $(date +%s) - START ))
CUR_ROUND=99

# --- report -----------------------------------------------------------------
PREAMBLE=$WORK/preamble.md
{
  echo "# fastcache vs redis-server"
  echo
  echo "Generated by \`scripts/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)') in ${ELAPSED}s."
  echo
  echo "## Machine"
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| cores (\`nproc\`) | $(nproc) |"
  echo "| CPU | $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') |"
  echo "| memory | $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
  echo "| kernel | $(uname -sr) |"
  echo "| load average before / after the run | $LOADAVG_START / $(cut -d' ' -f1-3 /proc/loadavg) |"
  echo "| go | $(go version) |"
  echo "| redis-server | $(redis-server --version) |"
  echo "| redis-benchmark | $(redis-benchmark --version 2>/dev/null || echo '?') |"
  echo
  echo "## Method"
  echo
  echo "\`$(quote env N="$N" ROUNDS="$ROUNDS" SETTINGS="$SETTINGS" PIPELINES="$PIPELINES" TESTS="$TESTS" MIX="$MIX" HEAVY_CONNS="$HEAVY_CONNS" TOOLS="$TOOLS" TIMECAP="$TIMECAP" LOADGEN_PROCS="$LOADGEN_PROCS" CONTROL="$CONTROL" HKEYS="$HKEYS" scripts/bench.sh)\`"
  echo
  echo "- One server runs at a time on a fresh data directory on the same disk; per setting the runs alternate redis-server, fastcache$( ((CONTROL == 1)) && echo ', redis-server again (the A/A control)'), redis-server, fastcache, ... for $ROUNDS round(s). Client and server share the machine's $(nproc) cores."
  echo "- Settings: **none** = \`--appendonly no\` on both; **everysec** = \`--appendonly yes --appendfsync everysec\`; **always** = \`--appendonly yes --appendfsync always\`. Redis also gets \`--save '' --aof-use-rdb-preamble yes\`; fastcache \`--save ''\` (its defaults otherwise)."
  echo "- Loads, in this order within a session, each with \`-n $N\` requests: for each pipeline depth in {$PIPELINES}: $(echo "$TESTS" | sed 's/ /, /g') with $CLIENTS connections, ${DATA}-byte values, random keys from ${KEYSPACE}$([[ -n $MIX ]] && echo ", then a $MIX SET:GET mix"); then$([[ -n $HEAVY_CONNS ]] && echo " SET and GET with $HEAVY_CONNS connections, -P 1" || echo " nothing else")."
  echo "- \`redis-benchmark\` (single-threaded C client) reports throughput and p50/p99 but not p99.9; \`bench/loadgen\` (Go, raw RESP, GOMAXPROCS=$LOADGEN_PROCS$( ((LOADGEN_PROCS == 1)) && echo ': the same one-core client budget')) drives the same loads, records every request's latency (from the write of its pipelined batch to its reply, as redis-benchmark does) in a log-linear histogram and reports p50/p99/p99.9. It also runs the SET:GET mix (1 SET then 10 GETs per connection), which redis-benchmark cannot do in one process. Each loadgen run stops issuing after $TIMECAP; every command runs under \`timeout $TIMEOUT\`."
  echo "- MSET sets 10 keys per command and counts as one request."
  echo "- Server CPU per request: the server process's user + system CPU time (\`/proc/<pid>/stat\`, all threads) read before and after each run, divided by its requests. On a machine shared with other work it says what a request costs each server, independent of the share of the cores each got (a server with two busy threads gets a larger share of an overloaded machine than single-threaded Redis, which inflates its throughput ratio)."
  if [[ " $TESTS " == *" hset "* ]]; then
    echo "- hset is \`redis-benchmark -t hset\`: \`HSET myhash element:__rand_int__ <${DATA}-byte value>\`, one hash that grows to up to $KEYSPACE fields over the session (so every connection writes the same key); loadgen sends the same command."
  fi
  if needs_hload; then
    echo "- hget, hincrby, hgetall read or change a random one of $HKEYS hashes \`h:<12 digits>\` of 10 fields (f1..f9 = ${DATA}-byte values, f10 = 0; listpack in Redis, packed in fastcache), written at the start of each session by \`loadgen -t hload\`: \`HGET h:__rand_int__ f1\`, \`HINCRBY h:__rand_int__ f10 1\`, \`HGETALL h:__rand_int__\` (redis-benchmark custom command lines with \`-r $HKEYS\`; loadgen sends the same commands)."
  fi
  echo
  echo "<details><summary>Exact commands (every command of every round is in bench/out/commands.log)</summary>"
  echo
  echo '```sh'
  echo "# build"
  grep '^go build ' "$WORK/commands-r1.log"
  echo "# servers, one at a time (round 1 of each setting; later rounds use -r2, -r3, ... directories)"
  grep -E "^(redis-server|$(printf '%q' "$FC_BIN")) " "$WORK/commands-r1.log"
  echo "# loads, in this order against each server: PORT=$REDIS_PORT (redis-server) or PORT=$FC_PORT (fastcache)"
  awk -v fc="$(printf '%q' "$FC_BIN")" '
    /^redis-server / || index($0, fc " ") == 1 { sessions++; next }
    sessions == 1 && !/^go build / { print }' "$WORK/commands-r1.log" |
    sed -e "s/ -p $REDIS_PORT / -p \$PORT /" -e "s/:$REDIS_PORT /:\$PORT /"
  echo '```'
  echo
  echo "</details>"
} >"$PREAMBLE"

record "$REPORT" -in "$RESULTS" -md "$OUT/results.md" -svg "$OUT/chart.svg" -preamble "$PREAMBLE" -n "$N"
"$REPORT" -in "$RESULTS" -md "$OUT/results.md" -svg "$OUT/chart.svg" -preamble "$PREAMBLE" -n "$N"
log "done in ${ELAPSED}s: $OUT/results.md, $OUT/chart.svg, $OUT/results.csv"
