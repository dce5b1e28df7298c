#!/bin/bash
# One redis-benchmark load against redis-server and fastcache side by side:
# both servers run at once (idle while the other is loaded), each round
# loads each server once in an order that rotates, and every run prints
# requests/s, the server's CPU time per request (user + system from /proc,
# all threads: it moves much less with the neighbours' load than
# requests/s) and the load generator's (with the share of a core it used:
# near 100% the client, not the server, sets the rate). Then medians and
# fastcache/redis ratios.
#
# usage: scripts/ab.sh [redis-benchmark args...]
#   e.g. scripts/ab.sh -P 16 -t lpush,rpush
#        FSYNC=always scripts/ab.sh -P 16 XADD s '*' f v
#   env: ROUNDS=3 N=200000 C=50 FSYNC=none|everysec|always
#        FC=./fastcache (binary; built from this tree when missing)
#        BASE=<older fastcache binary> (a third server, before/after)
#        PRE="redis-benchmark args" (run once against each server first)
#        FCARGS="..." / BASEARGS="..." (extra flags for fastcache / baseline)
set -euo pipefail
set -f # loads name * (XADD): no globbing of the word-split arguments
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}; N=${N:-200000}; C=${C:-50}; FSYNC=${FSYNC:-none}
FC=${FC:-}
if [ -z "$FC" ]; then FC=$(mktemp -d)/fastcache; go build -o "$FC" ./cmd/fastcache; fi
RP=$((20000 + RANDOM % 5000)); FP=$((RP + 1)); BP=$((RP + 2))
D=$(mktemp -d); mkdir -p "$D/r" "$D/f" "$D/b"
if [ "$FSYNC" = none ]; then
  RARGS=(--appendonly no); FARGS=(--appendonly no)
else
  RARGS=(--appendonly yes --appendfsync "$FSYNC"); FARGS=(--appendonly yes --appendfsync "$FSYNC")
fi
redis-server --port $RP --dir "$D/r" --save '' "${RARGS[@]}" >/dev/null 2>&1 & RPID=$!
# shellcheck disable=SC2086
"$FC" --port $FP --dir "$D/f" --save '' "${FARGS[@]}" ${FCARGS:-} >/dev/null 2>&1 & FPID=$!
NAMES=(redis fastcache); PORTS=($RP $FP); PIDS=($RPID $FPID)
if [ -n "${BASE:-}" ]; then
  # shellcheck disable=SC2086
  "$BASE" --port $BP --dir "$D/b" --save '' "${FARGS[@]}" ${BASEARGS:-} >/dev/null 2>&1 & BPID=$!
  NAMES+=(baseline); PORTS+=($BP); PIDS+=($BPID)
fi
trap 'kill ${PIDS[*]} 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
for p in "${PORTS[@]}"; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$p" ping >/dev/null || { echo "server on port $p did not start" >&2; exit 1; }
done
if [ -n "${PRE:-}" ]; then
  # shellcheck disable=SC2086
  for p in "${PORTS[@]}"; do redis-benchmark -p "$p" -q $PRE >/dev/null 2>&1; done
fi
median() { grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; } # clock ticks (1/100 s)
NS=${#PORTS[@]}
declare -a RPS CPU CCPU
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) FSYNC=$FSYNC N=$N C=$C: $*; load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$ROUNDS"); do
  line="round $i:"
  for k in $(seq 0 $((NS - 1))); do
    s=$(((k + i) % NS))
    t0=$(cpu "${PIDS[$s]}")
    r=$(/usr/bin/time -f '%U %S %e' -o "$D/time" redis-benchmark -p "${PORTS[$s]}" -n "$N" -c "$C" -q "$@" 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1 || true)
    t1=$(cpu "${PIDS[$s]}")
    u=$(echo "($t1 - $t0) * 10000 / $N" | bc -l | xargs printf '%.2f')
    read -r cu cs ce < <(tail -1 "$D/time")
    cc=$(echo "($cu + $cs) * 1000000 / $N" | bc -l | xargs printf '%.2f')
    busy=$(echo "($cu + $cs) * 100 / $ce" | bc -l | xargs printf '%.0f')
    RPS[$s]+="${r:-0} "; CPU[$s]+="$u "; CCPU[$s]+="$busy "
    line+=$(printf "  %s %s/s %sus (client %sus, %s%%)" "${NAMES[$s]}" "${r:-0}" "$u" "$cc" "$busy")
  done
  echo "$line"
done
r0=$(echo "${RPS[0]}" | tr ' ' '\n' | median); u0=$(echo "${CPU[0]}" | tr ' ' '\n' | median)
c0=$(echo "${CCPU[0]}" | tr ' ' '\n' | median)
out="medians: redis $r0/s ${u0}us client ${c0}%"
for s in $(seq 1 $((NS - 1))); do
  m=$(echo "${RPS[$s]}" | tr ' ' '\n' | median); u=$(echo "${CPU[$s]}" | tr ' ' '\n' | median)
  cc=$(echo "${CCPU[$s]}" | tr ' ' '\n' | median)
  out+=$(printf "  %s %s/s %sus client %s%% (%.2fx, cpu %.2fx)" "${NAMES[$s]}" "$m" "$u" "$cc" "$(echo "$m / $r0" | bc -l)" "$(echo "$u / $u0" | bc -l)")
done
echo "$out"
