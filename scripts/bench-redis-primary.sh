#!/bin/bash
# fastcache as a replica of a redis-server primary, next to a redis-server
# replica of the same primary: a redis-benchmark load runs on the primary
# while both follow it. For each replica: how long after the load it had
# applied the whole stream (its offset equal to the primary's), and the CPU
# time it used meanwhile (user + system, from /proc). Rounds rotate nothing
# (both replicas follow the same stream at once); medians over ROUNDS.
#
# usage: scripts/bench-redis-primary.sh [fastcache-binary]
#   env: ROUNDS=3 N=2000000 P=16 TESTS=set,lpush,hset,sadd,zadd,incr FSYNC=everysec (fastcache's appendfsync)
set -euo pipefail
cd "$(dirname "$0")/.."
FC=${1:-}; ROUNDS=${ROUNDS:-3}; N=${N:-2000000}; P=${P:-16}; TESTS=${TESTS:-set,lpush,hset,sadd,zadd,incr}; FSYNC=${FSYNC:-everysec}
if [ -z "$FC" ]; then FC=$(mktemp -d)/fastcache; go build -o "$FC" ./cmd/fastcache; fi
PP=$((20000 + RANDOM % 5000)); FP=$((PP + 1)); RP=$((PP + 2))
D=$(mktemp -d); mkdir -p $D/p $D/f $D/r
redis-server --port $PP --dir $D/p --save '' --appendonly no --repl-diskless-sync-delay 0 --daemonize no >/dev/null 2>&1 & PPID_=$!
trap 'kill $PPID_ ${FPID:-} ${RPID:-} 2>/dev/null; wait 2>/dev/null; rm -rf $D' EXIT
for i in $(seq 100); do redis-cli -p $PP ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-server --port $RP --dir $D/r --save '' --appendonly yes --appendfsync $FSYNC --replicaof "127.0.0.1 $PP" --daemonize no >/dev/null 2>&1 & RPID=$!
"$FC" --port $FP --dir $D/f --appendonly yes --appendfsync $FSYNC --replicaof "127.0.0.1 $PP" >/dev/null 2>&1 & FPID=$!
off() { redis-cli -p $1 info replication | grep -E "^(master_repl_offset|slave_repl_offset):" | head -1 | cut -d: -f2 | tr -d '\r'; }
link() { redis-cli -p $1 info replication 2>/dev/null | grep -q "master_link_status:up"; }
for i in $(seq 300); do link $FP && link $RP && break; sleep 0.1; done
cpu() { awk '{print $14+$15}' /proc/$1/stat; } # clock ticks (1/100 s)
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || true) N=$N -P$P tests=$TESTS replicas' appendfsync=$FSYNC; load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A CU CPU
for r in $(seq $ROUNDS); do
  redis-cli -p $PP flushall >/dev/null
  c0f=$(cpu $FPID); c0r=$(cpu $RPID)
  t0=$(date +%s%N)
  redis-benchmark -p $PP -t $TESTS -n $N -P $P -r 1000000 -q >/dev/null 2>&1
  t1=$(date +%s%N); PO=$(off $PP)
  line="round $r: load $(( (t1 - t0) / 1000000 )) ms, $PO bytes of stream;"
  for port in $FP $RP; do
    while [ "$(off $port)" != "$PO" ]; do sleep 0.005; done
    ms=$(( ($(date +%s%N) - t1) / 1000000 ))
    if [ $port = $FP ]; then name=fastcache; c=$(( $(cpu $FPID) - c0f )); else name=redis; c=$(( $(cpu $RPID) - c0r )); fi
    CU[$name]+="$ms "; CPU[$name]+="$c "
    line+=" $name caught up +${ms} ms, cpu $((c * 10)) ms;"
  done
  echo "$line"
done
for name in fastcache redis; do
  echo "median $name: caught up +$(echo ${CU[$name]} | tr ' ' '\n' | median) ms after the load, cpu $(( $(echo ${CPU[$name]} | tr ' ' '\n' | median) * 10 )) ms"
done
