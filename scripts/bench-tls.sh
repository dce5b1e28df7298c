#!/bin/bash
# TLS throughput of fastcache and redis-server side by side (redis-benchmark
# --tls): both servers on tls-port with the same certificates (a CA and a
# server and a client certificate made here with openssl), each round
# loading each server in turn; requests/s and the server's CPU time per
# request (user + system from /proc), then medians and ratios.
#
# usage: scripts/bench-tls.sh [fastcache-binary]
#   env: ROUNDS=3 N=200000 C=50 PIPES="16 1" TESTS=set,get
set -euo pipefail
cd "$(dirname "$0")/.."
FC=${1:-}; ROUNDS=${ROUNDS:-3}; N=${N:-200000}; C=${C:-50}; PIPES=${PIPES:-"16 1"}; TESTS=${TESTS:-set,get}
if [ -z "$FC" ]; then FC=$(mktemp -d)/fastcache; go build -o "$FC" ./cmd/fastcache; fi
D=$(mktemp -d); mkdir -p $D/r $D/f
( cd $D
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=bench-ca 2>/dev/null
  for n in server client; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr -subj /CN=localhost 2>/dev/null
    printf "subjectAltName=IP:127.0.0.1,DNS:localhost\n" > $n.ext
    openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $n.crt -days 1 -extfile $n.ext 2>/dev/null
  done )
T="--tls-cert-file $D/server.crt --tls-key-file $D/server.key --tls-ca-cert-file $D/ca.crt"
CL="--tls --cacert $D/ca.crt --cert $D/client.crt --key $D/client.key"
RP=$((20000 + RANDOM % 5000)); FP=$((RP + 1)); RT=$((RP + 2)); FT=$((RP + 3))
redis-server --port $RP --tls-port $RT $T --save '' --appendonly no --dir $D/r --daemonize no >/dev/null 2>&1 & RPID=$!
"$FC" --port $FP --tls-port $FT $T --appendonly no --save '' --dir $D/f >/dev/null 2>&1 & FPID=$!
trap 'kill $RPID $FPID 2>/dev/null; wait 2>/dev/null; rm -rf $D' EXIT
for p in $RP $FP; do for i in $(seq 100); do redis-cli -p $p ping >/dev/null 2>&1 && break; sleep 0.1; done; done
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || true) TLS N=$N C=$C tests=$TESTS; load $(cut -d' ' -f1-3 /proc/loadavg)"
for pl in $PIPES; do
  for t in ${TESTS//,/ }; do
    declare -A RPS=() CPU=()
    for r in $(seq $ROUNDS); do
      line="$t -P$pl round $r:"
      for who in redis fastcache; do
        if [ $who = redis ]; then port=$RT; pid=$RPID; else port=$FT; pid=$FPID; fi
        c0=$(cpu $pid)
        rps=$(redis-benchmark -p $port $CL -t $t -n $N -c $C -P $pl -q 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1)
        us=$(echo "($(cpu $pid) - $c0) * 10000 / $N" | bc -l | xargs printf '%.2f')
        RPS[$who]+="$rps "; CPU[$who]+="$us "
        line+="  $who ${rps}/s ${us}us"
      done
      echo "$line"
    done
    rm_=$(echo ${RPS[redis]} | tr ' ' '\n' | median); fm=$(echo ${RPS[fastcache]} | tr ' ' '\n' | median)
    echo "median $t -P$pl: redis $rm_/s $(echo ${CPU[redis]} | tr ' ' '\n' | median)us  fastcache $fm/s $(echo ${CPU[fastcache]} | tr ' ' '\n' | median)us  ($(echo "$fm / $rm_" | bc -l | xargs printf '%.2f')x)"
  done
done
