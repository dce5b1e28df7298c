#!/bin/bash
# A redis-server replica following fastcache (its writes rendered as Redis
# commands) against the same redis-server replica following a redis-server
# primary: a redis-benchmark load on the primary, then WAIT 1 on it. For
# each primary: the load's time (throughput with a replica attached), how
# long after the load WAIT saw the replica acknowledge everything, and
# the CPU time the primary and the replica used. One server pair at a time,
# alternating each round; medians over ROUNDS.
#
# usage: scripts/bench-redis-replica.sh [fastcache-binary]
#   env: ROUNDS=3 N=1000000 P=16 TESTS=set,lpush,hset,sadd,zadd,incr FSYNC=everysec (both primaries' appendfsync)
set -euo pipefail
cd "$(dirname "$0")/.."
FC=${1:-}; ROUNDS=${ROUNDS:-3}; N=${N:-1000000}; P=${P:-16}; TESTS=${TESTS:-set,lpush,hset,sadd,zadd,incr}; FSYNC=${FSYNC:-everysec}
if [ -z "$FC" ]; then FC=$(mktemp -d)/fastcache; go build -o "$FC" ./cmd/fastcache; fi
PP=$((20000 + RANDOM % 5000)); RP=$((PP + 1))
D=$(mktemp -d)
PID=""; RPID=""
trap 'kill $PID $RPID 2>/dev/null; wait 2>/dev/null; rm -rf $D' EXIT
cpu() { awk '{print $14+$15}' /proc/$1/stat; } # clock ticks (1/100 s)
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
up() { for i in $(seq 200); do redis-cli -p $1 ping >/dev/null 2>&1 && return; sleep 0.05; done; }
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || true) N=$N -P$P tests=$TESTS primaries' appendfsync=$FSYNC; load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A LOAD CU PC RC
for r in $(seq $ROUNDS); do
  for name in redis fastcache; do
    rm -rf $D/p $D/r; mkdir -p $D/p $D/r
    if [ $name = redis ]; then
      redis-server --port $PP --dir $D/p --save '' --appendonly yes --appendfsync $FSYNC --repl-diskless-sync-delay 0 >/dev/null 2>&1 & PID=$!
    else
      "$FC" --port $PP --dir $D/p --appendonly yes --appendfsync $FSYNC >/dev/null 2>&1 & PID=$!
    fi
    up $PP
    redis-server --port $RP --dir $D/r --save '' --appendonly no --replicaof "127.0.0.1 $PP" >/dev/null 2>&1 & RPID=$!
    up $RP
    for i in $(seq 300); do redis-cli -p $RP info replication | grep -q "master_link_status:up" && break; sleep 0.1; done
    c0p=$(cpu $PID); c0r=$(cpu $RPID)
    t0=$(date +%s%N)
    redis-benchmark -p $PP -t $TESTS -n $N -P $P -r 1000000 -q >/dev/null 2>&1
    t1=$(date +%s%N)
    acked=$(redis-cli -p $PP wait 1 60000)
    t2=$(date +%s%N)
    lm=$(( (t1 - t0) / 1000000 )); cm=$(( (t2 - t1) / 1000000 ))
    pc=$(( ($(cpu $PID) - c0p) * 10 )); rc=$(( ($(cpu $RPID) - c0r) * 10 ))
    keys=$(redis-cli -p $RP dbsize); pkeys=$(redis-cli -p $PP dbsize)
    echo "round $r $name: load $lm ms, replica acknowledged +$cm ms after it (WAIT: $acked), primary cpu $pc ms, replica cpu $rc ms, keys $pkeys / replica $keys"
    LOAD[$name]+="$lm "; CU[$name]+="$cm "; PC[$name]+="$pc "; RC[$name]+="$rc "
    kill $PID $RPID; wait $PID $RPID 2>/dev/null || true; PID=""; RPID=""
  done
done
for name in redis fastcache; do
  echo "median $name primary: load $(echo ${LOAD[$name]} | tr ' ' '\n' | median) ms, replica acknowledged +$(echo ${CU[$name]} | tr ' ' '\n' | median) ms after it, primary cpu $(echo ${PC[$name]} | tr ' ' '\n' | median) ms, replica cpu $(echo ${RC[$name]} | tr ' ' '\n' | median) ms"
done
