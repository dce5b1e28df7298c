#!/bin/bash
# The redis-benchmark rows of the data-type issues (hashes, sets and sorted
# sets, lists, streams) side by side with redis-server, each row through
# scripts/ab.sh (fresh servers, rounds alternating, server CPU per request
# and the load generator's share of a core), under each appendfsync
# setting, as one markdown table.
#
# The client column matters: redis-benchmark is one thread, and on a
# 2-core machine it shares the cores with the server. Its CPU per request
# bounds the rate any server can be driven at (1 / client CPU per
# request); "ceiling" is that rate over Redis's, the largest ratio this
# machine can show for the row.
#
# usage: scripts/bench-goals.sh [rows...]   (default: all; a row is a name below)
#   env: ROUNDS=3 SETTINGS="none everysec always" PIPES="16 1" FC=binary
set -euo pipefail
set -f # loads name * (XADD): no globbing of the word-split arguments
cd "$(dirname "$0")/.."
SETTINGS=${SETTINGS:-"none everysec always"}; PIPES=${PIPES:-"16 1"}
export ROUNDS=${ROUNDS:-3}
if [ -z "${FC:-}" ]; then FC=$(mktemp -d)/fastcache; go build -o "$FC" ./cmd/fastcache; fi
export FC
F10="f1 v1 f2 v2 f3 v3 f4 v4 f5 v5 f6 v6 f7 v7 f8 v8 f9 v9 f10 v10"
# name | N at -P16 | N at -P1 | PRE (fill, once per server) | load
ROWS=(
  "hset|1000000|200000||-t hset"
  "hget|1000000|200000|-n 300000 -r 100000 HSET h:__rand_int__ $F10|-r 100000 HGET h:__rand_int__ f5"
  "hincrby|1000000|200000|-n 300000 -r 100000 HSET h:__rand_int__ $F10|-r 100000 HINCRBY h:__rand_int__ n 1"
  "hgetall|300000|200000|-n 300000 -r 100000 HSET h:__rand_int__ $F10|-r 100000 HGETALL h:__rand_int__"
  "sadd|1000000|200000||-r 1000000 -t sadd"
  "spop|1000000|200000|-n 3500000 -r 100000000 -P 16 -t sadd|-t spop"
  "zadd|1000000|200000||-r 1000000 -t zadd"
  "zpopmin|1000000|200000|-n 3500000 -r 100000000 -P 16 -t zadd|-t zpopmin"
  "lpush|1000000|200000||-t lpush"
  "rpush|1000000|200000||-t rpush"
  "lpop|1000000|200000|-n 4000000 -P 16 -t lpush|-t lpop"
  "rpop|1000000|200000|-n 4000000 -P 16 -t lpush|-t rpop"
  "lrange_100|200000|100000|-n 600 -t lpush|LRANGE mylist 0 99"
  "lrange_300|100000|50000|-n 600 -t lpush|LRANGE mylist 0 299"
  "lrange_500|60000|40000|-n 600 -t lpush|LRANGE mylist 0 499"
  "lrange_600|50000|30000|-n 600 -t lpush|LRANGE mylist 0 599"
  "xadd|1000000|200000||XADD s * f1 v1 f2 v2 f3 v3"
)
want=" $* "
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD) rounds=$ROUNDS; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| row | setting | -P | redis /s | fastcache /s | ratio | server CPU us/req redis / fastcache | client busy redis / fastcache | ceiling |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
  IFS='|' read -r name n16 n1 pre load <<<"$row"
  [ $# -gt 0 ] && [[ "$want" != *" $name "* ]] && continue
  for setting in $SETTINGS; do
    for p in $PIPES; do
      n=$n16; [ "$p" = 1 ] && n=$n1
      # shellcheck disable=SC2086
      out=$(FSYNC=$setting N=$n PRE="$pre" scripts/ab.sh -P "$p" $load 2>&1) || { echo "| $name | $setting | $p | failed: $(echo "$out" | tail -1) |"; continue; }
      echo "$out" | sed 's/^/<!-- /; s/$/ -->/' >&2
      m=$(echo "$out" | grep '^medians:')
      rr=$(echo "$m" | sed -E 's/^medians: redis ([0-9.]+)\/s ([0-9.]+)us client ([0-9]+)%.*/\1 \2 \3/')
      ff=$(echo "$m" | sed -E 's/.*fastcache ([0-9.]+)\/s ([0-9.]+)us client ([0-9]+)% \(([0-9.]+)x.*/\1 \2 \3 \4/')
      read -r r ru rc <<<"$rr"; read -r f fu fc ratio <<<"$ff"
      # the client's CPU per request in Redis's rounds: its ceiling
      ccpu=$(echo "$out" | grep -o 'redis [0-9.]*/s [0-9.]*us (client [0-9.]*us' | sed -E 's/.*client ([0-9.]+)us/\1/' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
      ceil=$(echo "1000000 / $ccpu / $r" | bc -l | xargs printf '%.2f')
      printf "| %s | %s | %s | %.0f | %.0f | **%s** | %s / %s | %s%% / %s%% | %s |\n" "$name" "$setting" "$p" "$r" "$f" "$ratio" "$ru" "$fu" "$rc" "$fc" "$ceil"
    done
  done
done
