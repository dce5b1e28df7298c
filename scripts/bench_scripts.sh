#!/bin/bash
# Scripting throughput of fastcache and redis-server side by side
# (redis-benchmark): EVALSHA of a 1-command and a 10-command script at
# -P 1 and -P 16, and FCALL of a 1-command function. With a second binary
# (an older build), it runs too: before and after in the same rounds.
#
# Every round runs each server once, in an order that rotates from round to
# round, so that load from elsewhere on the machine falls on all of them.
# Each run prints requests/s and the server's CPU time per request (user +
# system, from /proc: less sensitive to a busy machine than requests/s);
# then the medians and the ratios to redis-server of the medians.
#
# usage: scripts/bench_scripts.sh [fastcache-binary [baseline-binary]]
#   env: REPS=5 N=100000 C=50 CASES="e1 e10 f1" PIPES="1 16" TMO=120 (seconds per run)
set -euo pipefail
BIN=${1:-./fastcache}; BASE=${2:-}
REPS=${REPS:-5}; N=${N:-100000}; C=${C:-50}; TMO=${TMO:-120}
CASES=${CASES:-"e1 e10 f1"}; PIPES=${PIPES:-"1 16"}
RP=$((20000 + RANDOM % 5000)); FP=$((RP + 1)); BP=$((RP + 2))
D=$(mktemp -d); mkdir -p $D/f $D/b
redis-server --port $RP --save '' --appendonly no --daemonize no >/dev/null 2>&1 & RPID=$!
$BIN --port $FP --dir $D/f --appendonly no --save '' >/dev/null 2>&1 & FPID=$!
NAMES="redis fastcache"; PORTS=($RP $FP); PIDS=($RPID $FPID)
if [ -n "$BASE" ]; then
  $BASE --port $BP --dir $D/b --appendonly no --save '' >/dev/null 2>&1 & BPID=$!
  NAMES="redis fastcache baseline"; PORTS+=($BP); PIDS+=($BPID)
fi
trap 'kill ${PIDS[*]} 2>/dev/null; rm -rf $D' EXIT
for p in ${PORTS[*]}; do
  for i in $(seq 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p $p ping >/dev/null || { echo "server on port $p did not start" >&2; exit 1; }
done
ONE='return redis.call("INCR", KEYS[1])'
TEN='local n = 0 for i = 1, 10 do n = n + redis.call("INCR", KEYS[1]) end return n'
LIB='#!lua name=benchlib
redis.register_function("incr1", function(keys, args) return redis.call("INCR", keys[1]) end)'
for p in ${PORTS[*]}; do
  redis-cli -p $p script load "$ONE" >/dev/null; redis-cli -p $p script load "$TEN" >/dev/null
  redis-cli -p $p function load replace "$LIB" >/dev/null
done
S1=$(redis-cli -p $RP script load "$ONE"); S10=$(redis-cli -p $RP script load "$TEN")
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
cpu() { awk '{print $14+$15}' /proc/$1/stat; } # clock ticks (1/100 s)
run() { # index pipeline args... -> "requests/s cpu-us/request"
  local i=$1 pl=$2; shift 2
  local t0 r t1
  t0=$(cpu ${PIDS[$i]})
  r=$(timeout $TMO redis-benchmark -p ${PORTS[$i]} -n $N -c $C -P $pl -q "$@" 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1 || true)
  t1=$(cpu ${PIDS[$i]})
  echo "${r:-0} $(echo "($t1 - $t0) * 10000 / $N" | bc -l | xargs printf '%.2f')"
}
declare -A SPEC=([e1]="EVALSHA 1-cmd|EVALSHA $S1 1 k" [e10]="EVALSHA 10-cmd|EVALSHA $S10 1 k" [f1]="FCALL 1-cmd|FCALL incr1 1 k")
NS=${#PORTS[@]}
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || true) N=$N C=$C REPS=$REPS servers: $NAMES; load: $(cut -d' ' -f1-3 /proc/loadavg)"
SUMMARY=""
for c in $CASES; do
  name=${SPEC[$c]%%|*}; cmd=${SPEC[$c]#*|}
  for pl in $PIPES; do
    declare -a RPS=() CPU=()
    for i in $(seq $REPS); do
      line=$(printf "%-20s round %d:" "$name -P$pl" "$i")
      for k in $(seq 0 $((NS - 1))); do
        s=$(( (k + i) % NS ))
        read -r r u < <(run $s $pl $cmd)
        RPS[$s]+="$r "; CPU[$s]+="$u "
        line+=$(printf "  %s %s/s %sus" "$(echo $NAMES | cut -d' ' -f$((s + 1)))" "$r" "$u")
      done
      echo "$line"
    done
    row=$(printf "%-20s" "$name -P$pl")
    rm_=$(echo ${RPS[0]} | tr ' ' '\n' | median)
    for s in $(seq 0 $((NS - 1))); do
      m=$(echo ${RPS[$s]} | tr ' ' '\n' | median); u=$(echo ${CPU[$s]} | tr ' ' '\n' | median)
      row+=$(printf " %10s %6sus" "$m" "$u")
      [ $s -gt 0 ] && row+=$(printf " %5.2fx" "$(echo "$m / $rm_" | bc -l)")
    done
    SUMMARY+="$row"$'\n'
  done
done
echo "# medians: requests/s, server CPU per request, ratio to redis-server ($NAMES)"
printf "%s" "$SUMMARY"
