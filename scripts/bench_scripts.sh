#!/bin/bash
# Scripting throughput of fastcache and redis-server side by side
# (redis-benchmark): EVALSHA of a 1-command and a 10-command script at
# -P 1 and -P 16, and FCALL of a 1-command function. Rounds alternate the
# servers (redis first in odd rounds, fastcache first in even ones) so that
# load from elsewhere on the machine falls on both; every round is printed,
# then the medians and the ratio fastcache/redis of the medians.
# usage: scripts/bench_scripts.sh [fastcache-binary]
#   env: REPS=5 N=100000 C=50 CASES="e1 e10 f1" PIPES="1 16" TMO=120 (seconds per run)
set -euo pipefail
BIN=${1:-./fastcache}
REPS=${REPS:-5}; N=${N:-100000}; C=${C:-50}; TMO=${TMO:-120}
CASES=${CASES:-"e1 e10 f1"}; PIPES=${PIPES:-"1 16"}
RP=$((20000 + RANDOM % 5000)); FP=$((RP + 1))
D=$(mktemp -d)
redis-server --port $RP --save '' --appendonly no --daemonize no >/dev/null 2>&1 & RPID=$!
$BIN --port $FP --dir $D --appendonly no >/dev/null 2>&1 & FPID=$!
trap 'kill $RPID $FPID 2>/dev/null; rm -rf $D' EXIT
for p in $RP $FP; do
  for i in $(seq 50); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
done
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
  timeout $TMO redis-benchmark -p $p -n $N -c $C -P $pl -q "$@" 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1 || echo 0
}
declare -A SPEC=([e1]="EVALSHA 1-cmd|EVALSHA $S1 1 k" [e10]="EVALSHA 10-cmd|EVALSHA $S10 1 k" [f1]="FCALL 1-cmd|FCALL incr1 1 k")
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null) N=$N C=$C REPS=$REPS load: $(cut -d' ' -f1-3 /proc/loadavg)"
SUMMARY=""
for c in $CASES; do
  name=${SPEC[$c]%%|*}; cmd=${SPEC[$c]#*|}
  for pl in $PIPES; do
    rs=(); fs=()
    for i in $(seq $REPS); do
      if (( i % 2 )); then r=$(run $RP $pl $cmd); f=$(run $FP $pl $cmd)
      else f=$(run $FP $pl $cmd); r=$(run $RP $pl $cmd); fi
      rs+=("$r"); fs+=("$f")
      printf "  %-20s round %d: redis %10s fastcache %10s\n" "$name -P$pl" "$i" "$r" "$f"
    done
    rm_=$(printf "%s\n" "${rs[@]}" | median); fm=$(printf "%s\n" "${fs[@]}" | median)
    SUMMARY+=$(printf "%-20s %12s %12s %7.2f" "$name -P$pl" "$rm_" "$fm" "$(echo "$fm / $rm_" | bc -l)")$'\n'
  done
done
printf "%-20s %12s %12s %7s\n" "case (medians)" redis fastcache ratio
printf "%s" "$SUMMARY"
