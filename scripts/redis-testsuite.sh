#!/usr/bin/env bash
# Runs Redis 7.0.15's own test suite (its Tcl unit tests) against fastcache,
# in the suite's external-server mode: each unit gets a fresh fastcache (no
# persistence, DEBUG enabled) on a loopback port, and the suite talks to it as
# it would to a redis-server started elsewhere.
#
#   scripts/redis-testsuite.sh                 # every unit in UNITS below
#   scripts/redis-testsuite.sh type/hash sort  # just these units
#   scripts/redis-testsuite.sh --fetch         # only download the source
#
# What it needs: tclsh (`apt-get install -y tcl`) and Redis's source, which it
# downloads once from Debian's archive (checked against its SHA-256) into
# $REDIS_SRC_CACHE (default ~/.cache/fastcache). Tests that cannot apply are
# skipped by scripts/redis-testsuite.skip (one test name per line, each with
# the reason above it) and by tag: needs:repl (Redis's replication protocol;
# fastcache's replicas follow its own WAL stream). Nothing of the suite is
# kept in this repository.
#
# Environment: PORT (default 17400), BASEPORT (the suite's own ports, default
# 21111), OUT (logs, default /tmp/fastcache-redis-testsuite), FC (a fastcache
# binary; default: built from this tree), TMO (seconds per unit, default 600),
# EXTRA (more runtest options: --no-latency, --only <test>, --dont-clean ...).
# SPAWN=1 runs the units the way the suite tests redis-server itself: it
# starts a server per test group with the group's config file and flags
# (src/redis-server is a wrapper that runs fastcache), so the many tests
# tagged external:skip run too (acl, auth, info, limits, maxmemory, wait,
# networking, most of introspection ...); FCEXTRA adds flags to every
# server (e.g. FCEXTRA="--appendonly yes" for the units that SAVE).
# Exit status: 0 when no unit had a failure or an exception.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

UNITS_DEFAULT="type/hash type/set type/zset type/list type/list-2 type/list-3
type/incr type/string type/stream type/stream-cgroups sort keyspace expire scan
dump bitops bitfield hyperloglog geo multi scripting functions pubsub
pubsubshard tracking info-command info introspection introspection-2 acl
acl-v2 auth protocol other latency-monitor slowlog querybuf limits maxmemory
lazyfree networking pause obuf-limits oom-score-adj shutdown quit memefficiency violations wait
integration/redis-cli integration/redis-benchmark integration/convert-zipmap-hash-on-load
integration/convert-ziplist-hash-on-load integration/convert-ziplist-zset-on-load
integration/corrupt-dump integration/corrupt-dump-fuzzer client-eviction"
fetch_only=
if [ "${1:-}" = --fetch ]; then
	fetch_only=1
	shift
fi
units=("$@")
[ ${#units[@]} -gt 0 ] || read -r -a units <<<"$(echo $UNITS_DEFAULT)"

version=7.0.15
sha=4b1dc4ee6d622a09fff9c6777191209750fb5e5a725ef78ea012d6eef4c22982
cache=${REDIS_SRC_CACHE:-$HOME/.cache/fastcache}
src=$cache/redis-$version
if [ ! -x "$src/runtest" ]; then
	mkdir -p "$cache"
	tgz=$cache/redis_$version.orig.tar.gz
	curl -sSfL -o "$tgz" "http://deb.debian.org/debian/pool/main/r/redis/redis_$version.orig.tar.gz"
	echo "$sha  $tgz" | sha256sum -c --quiet -
	tar -xzf "$tgz" -C "$cache"
fi
[ -z "$fetch_only" ] || { echo "$src"; exit 0; }
command -v tclsh >/dev/null || { echo "tclsh is missing: apt-get install -y tcl" >&2; exit 2; }

port=${PORT:-17400}
out=${OUT:-/tmp/fastcache-redis-testsuite}
mkdir -p "$out"
fc=${FC:-}
if [ -z "$fc" ]; then
	fc=$out/fastcache
	go build -o "$fc" ./cmd/fastcache
fi

# The suite runs from a copy of its tests/ directory: a run deletes every
# server directory under tests/tmp when it starts and ends, those of other
# runs of the same source too (runs in parallel, on other PORTs, are safe).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/tests" "$src/runtest" "$work/"
rm -rf "$work/tests/tmp"

# EXTRA=--tls runs the suite over TLS (`apt-get install -y tcl-tls`): the
# certificates its servers and clients use, as Redis's
# utils/gen-test-certs.sh makes them (tests/tls/), but the DH parameters,
# which take long to make and fastcache does not use.
tlsargs=()
if [[ " ${EXTRA:-} " == *" --tls "* ]]; then
	echo 'package require tls' | tclsh >/dev/null 2>&1 || { echo "the Tcl tls package is missing: apt-get install -y tcl-tls" >&2; exit 2; }
	t=$work/tests/tls
	mkdir -p "$t"
	openssl genrsa -out "$t/ca.key" 2048 2>/dev/null
	openssl req -x509 -new -nodes -sha256 -key "$t/ca.key" -days 3650 -subj '/O=Redis Test/CN=Certificate Authority' -out "$t/ca.crt"
	printf '[ server_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = server\n[ client_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = client\n' >"$t/openssl.cnf"
	for c in "server Server-only -extfile $t/openssl.cnf -extensions server_cert" "client Client-only -extfile $t/openssl.cnf -extensions client_cert" "redis Generic-cert"; do
		set -- $c
		name=$1 cn=$2
		shift 2
		openssl genrsa -out "$t/$name.key" 2048 2>/dev/null
		openssl req -new -sha256 -subj "/O=Redis Test/CN=$cn" -key "$t/$name.key" |
			openssl x509 -req -sha256 -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAserial "$t/ca.txt" -CAcreateserial -days 365 "$@" -out "$t/$name.crt" 2>/dev/null
	done
	: >"$t/redis.dh"
	tlsargs=(--port 0 --tls-port "$port" --tls-cert-file "$t/server.crt" --tls-key-file "$t/server.key"
		--tls-ca-cert-file "$t/ca.crt" --tls-client-cert-file "$t/client.crt" --tls-client-key-file "$t/client.key")
fi
mkdir -p "$work/tests/tmp" "$work/src"
if [ -n "${SPAWN:-}" ]; then
	# The suite starts src/redis-server <config file> [flags] and waits for
	# " PID: <pid>" and "Ready to accept" in its output: the wrapper runs
	# the binary named by FASTCACHE_BIN (each run's own) with its log in
	# that output. Straight into the file, not through a pipe: the tests
	# read the log right after the reply of the command that wrote it.
	cat >"$work/src/redis-server" <<'WRAP'
#!/usr/bin/env bash
echo " PID: $$"
exec "${FASTCACHE_BIN:?}" "$@" $FASTCACHE_EXTRA 2>&1
WRAP
	chmod +x "$work/src/redis-server"
	ln -s "$(command -v redis-cli)" "$work/src/redis-cli"
	if command -v redis-benchmark >/dev/null; then
		ln -s "$(command -v redis-benchmark)" "$work/src/redis-benchmark" # integration/redis-benchmark
	fi
	export FASTCACHE_BIN=$(cd "$(dirname "$fc")" && pwd)/$(basename "$fc") FASTCACHE_EXTRA=${FCEXTRA:-}
fi

# The suite freezes servers with `exec kill -SIGSTOP <pid>` and assumes they
# are frozen when kill returns, as a single-threaded redis-server practically
# is. Linux stops the other threads of a process only once the thread that
# took the signal runs: on a busy machine fastcache's other threads went on
# for a while (wait.tcl saw a "stopped" replica acknowledge writes sent
# after the signal). This kill returns after a SIGSTOP once every thread of
# the process is stopped.
realkill=$(type -P kill)
mkdir -p "$work/bin"
cat >"$work/bin/kill" <<KILL
#!/usr/bin/env bash
$realkill "\$@" || exit
case "\$1" in -SIGSTOP | -STOP | -19) ;; *) exit 0 ;; esac
for _ in \$(seq 1000); do
	running=0
	for f in /proc/\$2/task/*/stat; do
		st=\$(sed 's/.*) //' "\$f" 2>/dev/null | cut -c1)
		[ -z "\$st" ] || [ "\$st" = T ] || { running=1; break; }
	done
	[ \$running = 0 ] && exit 0
	sleep 0.01
done
KILL
chmod +x "$work/bin/kill"
export PATH="$work/bin:$PATH"

eval "extra=(${EXTRA:-})" # words as the shell splits them, quotes kept
failed=0
printf '%-22s %5s %5s %5s %5s %5s\n' unit ok err exc skip secs
for u in "${units[@]}"; do
	n=${u//\//_}
	path=unit/$u # a name under tests/unit, or integration/<name>
	case $u in integration/*) path=$u ;; esac
	t0=$SECONDS
	if [ -n "${SPAWN:-}" ]; then
		(cd "$work" && timeout "${TMO:-600}" ./runtest --single "$path" --clients 1 --timeout 300 \
			--baseport "${BASEPORT:-21111}" --portcount 200 \
			--tags -needs:repl --skipfile "$root/scripts/redis-testsuite.skip" "${extra[@]}" 2>&1 |
			sed 's/\x1b\[[0-9;]*m//g' >"$out/$n.log") || true
	else
		data=$(mktemp -d)
		"$fc" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$data" \
			--loglevel warning --enable-debug-command yes "${tlsargs[@]}" >"$out/$n.server.log" 2>&1 &
		pid=$!
		cli=(-p "$port")
		[ ${#tlsargs[@]} = 0 ] || cli+=(--tls --cacert "$work/tests/tls/ca.crt" --cert "$work/tests/tls/client.crt" --key "$work/tests/tls/client.key")
		for _ in $(seq 300); do
			redis-cli "${cli[@]}" ping >/dev/null 2>&1 && break
			sleep 0.1
		done
		(cd "$work" && timeout "${TMO:-600}" ./runtest --host 127.0.0.1 --port "$port" \
			--single "$path" --clients 1 --timeout 300 --baseport "${BASEPORT:-21111}" \
			--tags -needs:repl --skipfile "$root/scripts/redis-testsuite.skip" "${extra[@]}" 2>&1 |
			sed 's/\x1b\[[0-9;]*m//g' >"$out/$n.log") || true
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -rf "$data"
	fi
	ok=$(grep -c '^\[ok\]' "$out/$n.log" || true)
	err=$(grep -c '^\[err\]' "$out/$n.log" || true)
	exc=$(grep -c '^\[exception\]' "$out/$n.log" || true)
	skip=$(grep -c '^\[skip\]' "$out/$n.log" || true)
	done_=$(grep -c 'All tests passed\|\[1/1 done\]' "$out/$n.log" || true)
	printf '%-22s %5s %5s %5s %5s %5s%s\n' "$u" "$ok" "$err" "$exc" "$skip" "$((SECONDS - t0))" "$([ "$done_" -gt 0 ] || echo '  (did not finish)')"
	if [ "$err" -gt 0 ] || [ "$exc" -gt 0 ] || [ "$done_" -eq 0 ]; then
		failed=1
		grep -A2 '^\[err\]\|^\[exception\]' "$out/$n.log" | sed 's/^/    /' | head -20
	fi
done
echo "logs: $out"
exit $failed
