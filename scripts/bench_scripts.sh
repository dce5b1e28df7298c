#!/bin/bash
# Scripting throughput of fastcache and redis-server side by side
# (redis-benchmark): EVALSHA of a 1-command and a 10-command script at
# -P 1 and -P 16, and FCALL. Prints requests/s per run and the median of
# REPS runs, and the ratio fastcache/redis.
# usage: scripts/bench_scripts.sh [fastcache-binary]   (env: REPS=3 N=100000 C=50)
set -euo pipefail
BIN=${1:-./fastcache}
REPS=${REPS:-3}; N=${N:-100000}; C=${C:-50}
RP=$((20000 + RANDOM % 5000)); FP=$((RP + 1))
D=$(mktemp -d)
redis-server --port $RP --save '' --appendonly no --daemonize no >/dev/null 2>&1 & RPID=$!
$BIN --port $FP --dir $D --appendonly no >/dev/null 2>&1 & FPID=$!
trap 'kill $RPID $FPID 2>/dev/null; rm -rf $D' EXIT
sleep 1
ONE='return redis.call("INCR", KEYS[1])'
TEN='local n = 0 for i = 1, 10 do n = n + redis.call("INCR", KEYS[1]) end return n'
LIB='#!lua name=benchlib
redis.register_function("incr1", function(keys, args) return redis.call("INCR", keys[1]) end)'
for P in $RP $FP; do
  redis-cli -p $P script load "$ONE" >/dev/null; redis-cli -p $P script load "$TEN" >/dev/null
  redis-cli -p $P function load replace "$LIB" >/dev/null
done
S1=$(redis-cli -p $RP script load "$ONE"); S10=$(redis-cli -p $RP script load "$TEN")
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
run() { # port pipeline args...
  local p=$1 pl=$2; shift 2
  redis-benchmark -p $p -n $N -c $C -P $pl -q "$@" 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1
}
printf "%-28s %12s %12s %7s\n" case redis fastcache ratio
for spec in "EVALSHA 1-cmd|EVALSHA $S1 1 k" "EVALSHA 10-cmd|EVALSHA $S10 1 k" "FCALL 1-cmd|FCALL incr1 1 k"; do
  name=${spec%%|*}; cmd=${spec#*|}
  for pl in 1 16; do
    r=$(for i in $(seq $REPS); do run $RP $pl $cmd; done | median)
    f=$(for i in $(seq $REPS); do run $FP $pl $cmd; done | median)
    printf "%-28s %12s %12s %7.2f\n" "$name -P$pl" "$r" "$f" "$(echo "$f / $r" | bc -l)"
  done
done
