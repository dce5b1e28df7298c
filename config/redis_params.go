package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// The rest of Redis 7.0's parameters: a redis.conf written for Redis loads
// unchanged, and CONFIG GET/SET know every name Redis 7.0 knows (with its
// default, type, range, enum values and mutability). Each one is kept and
// reported but has no effect on fastcache unless its doc says otherwise:
// they tune parts of Redis (RDB files, jemalloc, active defrag, syslog,
// a cluster bus) that fastcache does not have; where a value would ask for
// one of those it is refused rather than ignored.

// Storage for the compatibility parameters: arrays, so the values struct's
// copy-on-write (clone) copies them too.
const (
	maxCompatBools = 64
	maxCompatInts  = 64
	maxCompatStrs  = 64
)

type compatValues struct {
	b [maxCompatBools]bool
	i [maxCompatInts]int64
	s [maxCompatStrs]string
}

const compatDoc = "accepted for compatibility with Redis 7.0 (no effect)"

// compatUsed documents the Redis parameters of this file that do take
// effect: the server reads them by name.
var compatUsed = map[string]string{
	"min-replicas-to-write":       "writes are refused (-NOREPLICAS) with fewer replicas acknowledging within min-replicas-max-lag seconds (0: off)",
	"min-slaves-to-write":         "alias of min-replicas-to-write",
	"min-replicas-max-lag":        "seconds since a replica's last acknowledgement for min-replicas-to-write",
	"min-slaves-max-lag":          "alias of min-replicas-max-lag",
	"shutdown-timeout":            "seconds a shutdown waits for lagging replicas, writes paused (0: no wait)",
	"maxmemory-eviction-tenacity": "how long a command may evict keys (0-100: 50 us a step to 10, then 15% more a step, no limit at 100); the rest goes on in the background",
	"active-expire-effort":        "work of the active expiry cycle per tick, 1-10: larger samples, more CPU, fewer expired keys left in memory",
	"shutdown-on-sigint":          "SHUTDOWN's flags for SIGINT (default|save|nosave|now|force)",
	"shutdown-on-sigterm":         "SHUTDOWN's flags for SIGTERM (default|save|nosave|now|force)",
	"replica-read-only":           "a replica refuses its clients' writes (-READONLY); no: it takes them, kept locally until the next full resync",
	"slave-read-only":             "alias of replica-read-only",
	"replica-ignore-maxmemory":    "a replica applies its primary's writes whatever maxmemory says and evicts nothing; no: it enforces maxmemory as a primary does",
	"slave-ignore-maxmemory":      "alias of replica-ignore-maxmemory",
	"replica-serve-stale-data":    "a replica whose link to its primary is down serves its data; no: it answers -MASTERDOWN to all but INFO, REPLICAOF, CONFIG, ROLE and the like",
	"slave-serve-stale-data":      "alias of replica-serve-stale-data",
	"replica-priority":            "a replica's priority for Sentinel's choice of a new primary (INFO slave_priority; 0: never promoted)",
	"slave-priority":              "alias of replica-priority",
	"replica-announced":           "whether Sentinel lists this replica (INFO replica_announced)",
	"replica-announce-ip":         "the address a replica gives its primary, which shows it in INFO and ROLE (Sentinel finds replicas there) instead of the one it sees; from the next connection",
	"slave-announce-ip":           "alias of replica-announce-ip",
	"replica-announce-port":       "the port a replica gives its primary (0: its own); from the next connection",
	"slave-announce-port":         "alias of replica-announce-port",
	"supervised":                  "how the server tells a service manager it is ready: systemd (READY=1 to $NOTIFY_SOCKET, for Type=notify), upstart (stops itself, for expect stop), auto (by the environment), no",
	"stop-writes-on-bgsave-error": "with appendonly no and save points set, writes (and PING) are refused with Redis's MISCONF while the last snapshot failed",
	"syslog-enabled":              "log to the local syslog too (as JSON lines at each line's level)",
	"syslog-ident":                "the syslog identity",
	"syslog-facility":             "the syslog facility (user, local0-local7)",
	"masteruser":                  "the ACL user of the primary a replica authenticates as, with masterauth as its password (empty: the default user)",
	"repl-backlog-ttl":            "seconds a primary keeps its backlog once its last replica left (0: for good); a replica that comes later gets a full resync",
	"repl-backlog-size":           "bytes of the primary's stream kept for replicas to continue from after a break, at least 64 MiB (Redis's 1 MB default gives 64 MiB)",
	"socket-mark-id":              "mark the listening sockets, the connections they accept and a replica's connection to its primary with this SO_MARK, for firewall and routing rules (0: none; Linux, needs CAP_NET_ADMIN; a failure is logged)",
	"server_cpulist":              "pin every thread of the server to these CPUs at start (0,2,4-7:2; Linux)",
	"bgsave_cpulist":              "pin the threads that serialize snapshots and RDB files to these CPUs (Linux)",
	"rdbcompression":              "LZF-compress the strings of the RDB files SYNC sends (redis-cli --rdb); fastcache's own snapshots use wal-compression",
	"rdbchecksum":                 "end the RDB files SYNC sends with their CRC64 (no: 0, which readers skip)",
	"repl-diskless-sync":          "stream SYNC's RDB file to a client that takes the EOF framing (redis-cli --rdb); no: write it to a temporary file in dir first and send it with its length",
	"tls-port":                    "listen for TLS connections on this port too, on every bind address (0: no TLS listener)",
	"tls-cert-file":               "the server's TLS certificate (PEM)",
	"tls-key-file":                "the private key of tls-cert-file (PEM, unencrypted)",
	"tls-client-cert-file":        "the certificate a replica shows its primary under tls-replication (empty: tls-cert-file)",
	"tls-client-key-file":         "the private key of tls-client-cert-file",
	"tls-ca-cert-file":            "CA certificates (PEM) that clients' and a primary's certificates must chain to",
	"tls-ca-cert-dir":             "a directory of CA certificate files, as tls-ca-cert-file",
	"tls-auth-clients":            "TLS clients must show a certificate (yes), may (optional) or need not (no)",
	"tls-protocols":               "the TLS versions allowed (e.g. \"TLSv1.2 TLSv1.3\"; empty: those two)",
	"tls-session-caching":         "TLS session resumption (tickets)",
	"tls-replication":             "a replica connects to its primary over TLS",
	"cluster-enabled":             "yes: a Redis Cluster of one node serving all 16384 slots, for cluster clients (README \"Cluster mode\"); set at start-up",
	"cluster-config-file":         "cluster mode: the node's ID and epochs, in the data directory (Redis's nodes.conf format)",
	"cluster-announce-ip":         "cluster mode: the IP CLUSTER SLOTS/SHARDS/NODES give (default: the address the client connected to)",
	"cluster-announce-port":       "cluster mode: the port CLUSTER SLOTS/SHARDS/NODES give (default: port)",
	"cluster-announce-tls-port":   "cluster mode: the port given to TLS clients (default: tls-port)",
	"cluster-announce-bus-port":   "cluster mode: the bus port CLUSTER NODES gives (no bus runs)",
	"cluster-announce-hostname":   "cluster mode: the hostname CLUSTER SLOTS/SHARDS/NODES give",
	"tls-cluster":                 "MIGRATE connects to its target over TLS, as Redis's (no cluster bus here); checked as Redis checks it",
	"tls-key-file-pass":           "refused when set: give tls-key-file unencrypted",
	"tls-client-key-file-pass":    "refused when set: give tls-client-key-file unencrypted",
}

// compatDocFor is the doc of a parameter of this file.
func compatDocFor(name string) string {
	if d, ok := compatUsed[name]; ok {
		return d
	}
	return compatDoc
}

// redisImmutable names the parameters Redis 7.0 refuses to change at run
// time. A parameter fastcache cannot change at run time but Redis can (port,
// appendonly, ...) accepts CONFIG SET to the value it already has.
var redisImmutable = map[string]bool{
	"daemonize": true, "aclfile": true, "databases": true, "io-threads": true, "logfile": true,
	"replicaof": true, "slaveof": true, "enable-debug-command": true, "tcp-backlog": true,
}

func init() {
	var nb, ni, ns int
	bools := func(def bool, mutable bool, names ...string) {
		k := nb
		nb++
		for _, n := range names {
			boolD(n, def, mutable, compatDocFor(n), func(v *values) *bool { return &v.compat.b[k] })
			if !mutable {
				redisImmutable[n] = true
			}
		}
	}
	ints := func(def, lo, hi int64, mutable bool, names ...string) {
		k := ni
		ni++
		for _, n := range names {
			intD(n, def, lo, hi, mutable, compatDocFor(n), func(v *values) *int64 { return &v.compat.i[k] })
			if !mutable {
				redisImmutable[n] = true
			}
		}
	}
	sizes := func(def string, lo int64, names ...string) {
		k := ni
		ni++
		for _, n := range names {
			sizeD(n, def, lo, true, compatDocFor(n), func(v *values) *int64 { return &v.compat.i[k] })
		}
	}
	strs := func(def string, mutable bool, names ...string) {
		k := ns
		ns++
		for _, n := range names {
			strD(n, def, mutable, compatDocFor(n), func(v *values) *string { return &v.compat.s[k] })
			if !mutable {
				redisImmutable[n] = true
			}
		}
	}
	enums := func(def string, allowed []string, mutable bool, names ...string) {
		k := ns
		ns++
		for _, n := range names {
			enumD(n, def, allowed, mutable, compatDocFor(n), func(v *values) *string { return &v.compat.s[k] })
			if !mutable {
				redisImmutable[n] = true
			}
		}
	}
	const intMax = 1<<31 - 1
	const longMax = 1<<63 - 1

	bools(true, false, "rdbchecksum")
	bools(false, false, "io-threads-do-reads")
	bools(false, false, "always-show-logo")
	bools(true, true, "rdbcompression")
	bools(false, true, "rdb-del-sync-files")
	bools(true, true, "activerehashing")
	bools(true, true, "stop-writes-on-bgsave-error")
	bools(true, false, "set-proc-title")
	bools(true, true, "dynamic-hz")
	bools(false, true, "repl-disable-tcp-nodelay")
	bools(true, true, "repl-diskless-sync")
	bools(false, true, "no-appendfsync-on-rewrite")
	bools(true, true, "rdb-save-incremental-fsync")
	bools(true, true, "replica-serve-stale-data", "slave-serve-stale-data")
	bools(true, true, "replica-read-only", "slave-read-only")
	bools(true, true, "replica-ignore-maxmemory", "slave-ignore-maxmemory")
	bools(true, true, "jemalloc-bg-thread")
	bools(false, true, "activedefrag")
	bools(false, false, "syslog-enabled")
	// (aof-use-rdb-preamble, aof-load-truncated, aof-rewrite-incremental-fsync
	// and aof-timestamp-enabled are in config.go)
	bools(true, true, "crash-log-enabled")
	bools(true, true, "crash-memcheck-enabled")
	bools(true, false, "disable-thp")
	bools(true, true, "replica-announced")
	bools(false, true, "aof-disable-auto-gc")
	bools(false, true, "replica-ignore-disk-write-errors")

	strs("", true, "replica-announce-ip", "slave-announce-ip")
	strs("", true, "masteruser")
	strs("redis", false, "syslog-ident")
	strs("dump.rdb", true, "dbfilename")
	strs("appendonly.aof", false, "appendfilename")
	strs("appendonlydir", false, "appenddirname")
	strs("", false, "server_cpulist")
	strs("", false, "bio_cpulist")
	strs("", false, "aof_rewrite_cpulist")
	strs("", false, "bgsave_cpulist")
	strs("", true, "ignore-warnings")
	strs("{title} {listen-addr} {server-mode}", true, "proc-title-template")
	bindSourceIdx = ns
	ns++
	strD("bind-source-addr", "", true, "the local address a replica's connection to its primary binds to (empty = the system's choice)",
		func(v *values) *string { return &v.compat.s[bindSourceIdx] })

	enums("no", []string{"upstart", "systemd", "auto", "no"}, false, "supervised")
	enums("local0", []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, false, "syslog-facility")
	enums("disabled", []string{"disabled", "on-empty-db", "swapdb"}, true, "repl-diskless-load")
	enums("no", []string{"no", "yes", "clients"}, true, "sanitize-dump-payload")
	protectedIdx = ns
	enums("no", []string{"no", "yes", "local"}, false, "enable-protected-configs")
	enums("no", []string{"no", "yes", "local"}, false, "enable-module-command")
	enums("ignore", []string{"ignore", "panic", "panic-on-replicas"}, true, "propagation-error-behavior")

	ints(1, 1, 99, true, "active-defrag-cycle-min")
	ints(25, 1, 99, true, "active-defrag-cycle-max")
	ints(10, 0, 1000, true, "active-defrag-threshold-lower")
	ints(100, 0, 1000, true, "active-defrag-threshold-upper")
	ints(1000, 1, longMax, true, "active-defrag-max-scan-fields")
	sizes("100mb", 1, "active-defrag-ignore-bytes")
	intD("lfu-log-factor", 10, 0, intMax, true, "LFU: how slowly the access counter grows (Redis's factor: 0 counts every access, 10 reaches 255 after about a million)",
		func(v *values) *int64 { return &v.lfuLogFactor })
	intD("lfu-decay-time", 1, 0, intMax, true, "LFU: minutes of idleness that take one from the access counter (0 = never)",
		func(v *values) *int64 { return &v.lfuDecayTime })
	ints(100, 0, intMax, true, "replica-priority", "slave-priority")
	ints(5, 0, intMax, true, "repl-diskless-sync-delay")
	ints(0, 0, intMax, true, "repl-diskless-sync-max-replicas")
	ints(10, 0, 100, true, "maxmemory-eviction-tenacity")
	ints(0, 0, 65535, true, "replica-announce-port", "slave-announce-port")
	ints(1, 1, 10, true, "active-expire-effort")
	ints(0, 0, intMax, true, "min-replicas-to-write", "min-slaves-to-write")
	ints(10, 0, intMax, true, "min-replicas-max-lag", "min-slaves-max-lag")
	ints(10, 0, intMax, true, "shutdown-timeout")
	ints(0, 0, 1<<32-1, false, "socket-mark-id")
	ints(3600, 0, longMax, true, "repl-backlog-ttl")
	sizes("1mb", 1, "repl-backlog-size")

	// Redis's multi-value flags of SHUTDOWN on a signal.
	for _, name := range []string{"shutdown-on-sigint", "shutdown-on-sigterm"} {
		k := ns
		ns++
		add(&directive{name: name, doc: compatDocFor(name), def: []string{"default"}, mutable: true,
			set: func(v *values, a []string) error {
				f := strings.Fields(strings.Join(a, " "))
				seen := map[string]bool{}
				for _, x := range f {
					x = strings.ToLower(x)
					switch x {
					case "default", "save", "nosave", "now", "force":
						seen[x] = true
					default:
						return errors.New("argument(s) must be one of the following: default, save, nosave, now, force")
					}
				}
				if len(f) == 0 {
					return errors.New("argument(s) must be one of the following: default, save, nosave, now, force")
				}
				if seen["save"] && seen["nosave"] {
					return errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
				}
				var out []string
				for _, x := range []string{"save", "nosave", "now", "force"} {
					if seen[x] {
						out = append(out, x)
					}
				}
				if len(out) == 0 {
					out = []string{"default"}
				}
				v.compat.s[k] = strings.Join(out, " ")
				return nil
			},
			get: func(v *values) string { return v.compat.s[k] }})
	}

	// oom-score-adj: "relative" is "yes" (as Redis 7.0 reports it).
	{
		k := ns
		ns++
		add(&directive{name: "oom-score-adj", doc: "sets the process's Linux OOM score from oom-score-adj-values (no|yes|relative|absolute)", def: []string{"no"}, mutable: true,
			set: func(v *values, a []string) error {
				s, err := one(a)
				if err != nil {
					return err
				}
				switch s = strings.ToLower(s); s {
				case "no", "absolute":
				case "yes", "relative":
					s = "yes" // one value, reported by its first name
				default:
					return errors.New("argument(s) must be one of the following: no, yes, relative, absolute")
				}
				v.compat.s[k] = s
				return nil
			},
			get: func(v *values) string { return v.compat.s[k] }})
	}
	{
		k := ns
		ns++
		add(&directive{name: "oom-score-adj-values", doc: "OOM scores for a primary, a replica, a background child (unused: no fork)", def: []string{"0 200 800"}, mutable: true,
			set: func(v *values, a []string) error {
				f := strings.Fields(strings.Join(a, " "))
				if len(f) != 3 {
					return errors.New("wrong number of arguments")
				}
				for _, x := range f {
					n, err := strconv.ParseInt(x, 10, 64)
					if err != nil || n < -2000 || n > 2000 {
						return errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
					}
				}
				v.compat.s[k] = strings.Join(f, " ")
				return nil
			},
			get: func(v *values) string { return v.compat.s[k] }})
	}
	// maxmemory-clients: a memory value or a percent of maxmemory (kept as
	// a negative number, printed back with its '%'), parsed as Redis does
	// (a memory value past 2^63-1 wraps to a negative one: a percent).
	{
		k := ni
		ni++
		maxmemoryClientsIdx = k
		add(&directive{name: "maxmemory-clients", doc: "client eviction: once the clients' memory (query and output buffers, queued MULTI commands, watched keys, subscriptions) reaches this, the largest are closed (a memory value, or a percent of maxmemory; 0 = off)", def: []string{"0"}, mutable: true,
			set: func(v *values, a []string) error {
				s, err := one(a)
				if err != nil {
					return err
				}
				var n int64
				if p, ok := strings.CutSuffix(s, "%"); ok && len(s) > 1 {
					if m, ok := string2ll(p); ok && m >= 0 {
						n = -m
					} else if u, ok := memtoull(s); ok {
						n = int64(u)
					} else {
						return errors.New("argument must be a memory or percent value")
					}
				} else if u, ok := memtoull(s); ok {
					n = int64(u)
				} else {
					return errors.New("argument must be a memory or percent value")
				}
				if n < -100 {
					return errors.New("percentage argument must be less or equal to 100")
				}
				v.compat.i[k] = n
				return nil
			},
			get: func(v *values) string {
				if n := v.compat.i[k]; n < 0 {
					return strconv.FormatInt(-n, 10) + "%"
				}
				return strconv.FormatInt(v.compat.i[k], 10)
			}})
	}
	// unixsocketperm: octal, as Redis prints it.
	{
		k := ni
		ni++
		add(&directive{name: "unixsocketperm", doc: "permissions of the unix socket file, in octal (0 = the umask's)", def: []string{"0"},
			set: func(v *values, a []string) error {
				s, err := one(a)
				if err != nil {
					return err
				}
				n, err := strconv.ParseInt(s, 8, 64)
				if err != nil {
					return errors.New("argument couldn't be parsed into an integer")
				}
				if n < 0 || n > 0777 {
					return fmt.Errorf("argument must be between 0 and 777 inclusive")
				}
				v.compat.i[k] = n
				return nil
			},
			get: func(v *values) string { return strconv.FormatInt(v.compat.i[k], 8) }})
		redisImmutable["unixsocketperm"] = true
		unixSocketPermIdx = k
	}
	// cluster-enabled yes: a Redis Cluster of one node serving every slot
	// (server/cluster.go)
	bools(false, false, "cluster-enabled")
	redisImmutable["cluster-enabled"] = true

	// cluster-*: the announced address and the node file are used in
	// cluster mode; the rest is kept (one node: no bus, no failover).
	bools(true, true, "cluster-require-full-coverage")
	bools(false, true, "cluster-replica-no-failover", "cluster-slave-no-failover")
	bools(false, true, "cluster-allow-reads-when-down")
	bools(true, true, "cluster-allow-pubsubshard-when-down")
	bools(true, true, "cluster-allow-replica-migration")
	strs("", true, "cluster-announce-ip")
	strs("nodes.conf", false, "cluster-config-file")
	strs("", true, "cluster-announce-hostname")
	enums("ip", []string{"ip", "hostname", "unknown-endpoint"}, true, "cluster-preferred-endpoint-type")
	ints(10, 0, intMax, true, "cluster-replica-validity-factor", "cluster-slave-validity-factor")
	ints(1, 0, intMax, true, "cluster-migration-barrier")
	ints(0, 0, 65535, false, "cluster-port")
	ints(0, 0, 65535, true, "cluster-announce-bus-port")
	ints(0, 0, 65535, true, "cluster-announce-port")
	ints(0, 0, 65535, true, "cluster-announce-tls-port")
	ints(15000, 0, longMax, true, "cluster-node-timeout")
	{
		// an unsigned 64-bit memory value
		k := ni
		ni++
		add(&directive{name: "cluster-link-sendbuf-limit", doc: compatDoc, def: []string{"0"}, mutable: true, kind: 'm',
			set: func(v *values, a []string) error {
				s, err := one(a)
				if err != nil {
					return err
				}
				u, ok := memtoull(s)
				if !ok {
					return errors.New("argument must be a memory value")
				}
				v.compat.i[k] = int64(u)
				return nil
			},
			get: func(v *values) string { return strconv.FormatUint(uint64(v.compat.i[k]), 10) }})
	}

	// tls-*: TLS on tls-port and for replication (server/tls.go); the
	// server checks the files and applies a change of them.
	ints(20*1024, 0, intMax, true, "tls-session-cache-size")
	ints(300, 0, intMax, true, "tls-session-cache-timeout")
	bools(false, true, "tls-cluster")
	bools(false, true, "tls-replication")
	enums("yes", []string{"no", "yes", "optional"}, true, "tls-auth-clients")
	bools(false, true, "tls-prefer-server-ciphers")
	bools(true, true, "tls-session-caching")
	for _, n := range []string{"tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file",
		"tls-client-key-file", "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file",
		"tls-ca-cert-dir", "tls-protocols", "tls-ciphers", "tls-ciphersuites"} {
		strs("", true, n)
	}
	ints(0, 0, 65535, true, "tls-port") // the TLS listeners (server/tls.go)

	// Redis's old names of two fastcache parameters.
	aliasD("slaveof", "replicaof")
	redisImmutable["slaveof"] = true
	aliasD("slave-lazy-flush", "replica-lazy-flush")

	// Redis's checks of a few values.
	check := func(name string, ok func(string) error) {
		d := byName[name]
		set := d.set
		d.set = func(v *values, a []string) error {
			if len(a) == 1 {
				if err := ok(a[0]); err != nil {
					return err
				}
			}
			return set(v, a)
		}
	}
	check("activedefrag", func(s string) error {
		if strings.EqualFold(s, "yes") {
			return errors.New("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
		}
		return nil
	})
	check("cluster-announce-hostname", func(s string) error {
		if len(s) >= 256 {
			return errors.New("Hostnames must be less than 256 characters")
		}
		for _, c := range []byte(s) {
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				return errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
			}
		}
		return nil
	})
	check("proc-title-template", func(s string) error {
		if !validProcTitle(s) {
			return errors.New("template format is invalid or contains unknown variables")
		}
		return nil
	})

	// Redis's hidden parameters (CONFIG GET lists them only when named).
	bools(false, true, "use-exit-on-panic")
	ints(0, -1<<31, intMax, true, "rdb-key-save-delay")
	ints(0, -1<<31, intMax, true, "key-load-delay")
	ints(0, 0, intMax, true, "watchdog-period")
	ints(2*1024*1024, 1024, intMax, true, "loading-process-events-interval-bytes")
	for _, n := range []string{"use-exit-on-panic", "rdb-key-save-delay", "key-load-delay", "watchdog-period", "loading-process-events-interval-bytes"} {
		hidden[n] = true
	}

	// Parameters with an effect: the pid file and the unix socket.
	strD("pidfile", "", false, "write the process id to this file at start, remove it at a clean stop (empty = none)", func(v *values) *string { return &v.pidfile })
	strD("unixsocket", "", false, "also listen on this unix socket path (empty = none)", func(v *values) *string { return &v.unixsocket })
	redisImmutable["pidfile"] = true
	redisImmutable["unixsocket"] = true

	if nb > maxCompatBools || ni > maxCompatInts || ns > maxCompatStrs {
		panic("config: compat storage too small")
	}
}

var unixSocketPermIdx, protectedIdx, bindSourceIdx, maxmemoryClientsIdx int

// hidden are parameters CONFIG GET lists only when asked by name (no glob).
var hidden = map[string]bool{}

// protected are the parameters CONFIG SET changes only as
// enable-protected-configs allows (Redis 7.0's PROTECTED_CONFIG).
var protected = map[string]bool{"dir": true, "dbfilename": true}

func protectedAllowed(v *values, local bool) bool {
	switch v.compat.s[protectedIdx] {
	case "yes":
		return true
	case "local":
		return local
	}
	return false
}

// PidFile is the pid file to write ("" = none).
func (c *Config) PidFile() string { return c.v.Load().pidfile }

// UnixSocket is the unix socket path to listen on ("" = none).
func (c *Config) UnixSocket() string { return c.v.Load().unixsocket }

// BindSourceAddr is bind-source-addr: the local address a replica's
// connection to its primary binds to ("" = the system's choice).
func (c *Config) BindSourceAddr() string { return c.v.Load().compat.s[bindSourceIdx] }

// MaxMemoryClients is maxmemory-clients in bytes (0 = client eviction
// off): a percent is of maxmemory (and 0 while maxmemory is 0, as Redis's).
func (c *Config) MaxMemoryClients() int64 {
	v := c.v.Load()
	n := v.compat.i[maxmemoryClientsIdx]
	if n >= 0 {
		return n
	}
	return int64(float64(v.maxmemory) * float64(-n) / 100)
}

// UnixSocketPerm is unixsocketperm (0 = leave the umask's permissions).
func (c *Config) UnixSocketPerm() uint32 { return uint32(c.v.Load().compat.i[unixSocketPermIdx]) }

// addUser keeps a "user <name> [rules...]" line of the config file (or a
// --user flag) for the server to create at start, as Redis's users
// declared in redis.conf. It is not a parameter: CONFIG GET/SET don't know it.
func addUser(v *values, args []string) error {
	if len(args) < 1 || (len(args) == 1 && args[0] == "") {
		return errors.New("wrong number of arguments")
	}
	v.users = append(append([][]string(nil), v.users...), append([]string(nil), args...))
	return nil
}

// Users are the config file's user lines: each a name, then its ACL rules.
func (c *Config) Users() [][]string { return c.v.Load().users }

// addRename keeps a "rename-command <name> <new-name>" line of the config
// file (or a --rename-command flag): the server renames the command at
// start, or removes it with an empty new name, as Redis does. Not a
// parameter: CONFIG GET/SET don't know it, CONFIG REWRITE keeps its lines.
func addRename(v *values, args []string) error {
	if len(args) != 2 {
		return errors.New("wrong number of arguments")
	}
	v.renames = append(append([][2]string(nil), v.renames...), [2]string{args[0], args[1]})
	return nil
}

// RenamedCommands are the rename-command lines, in order: each a command
// name and its new name ("" removes the command).
func (c *Config) RenamedCommands() [][2]string { return c.v.Load().renames }

// InDir is path taken from dir when it is relative (Redis runs in its dir:
// its aclfile, pidfile, ... are found from there); "" stays "".
func (c *Config) InDir(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(c.Dir(), path)
}

// validProcTitle reports whether t is a proc-title-template Redis accepts:
// its {variables} known, its braces closed ("{{" is a brace), and not
// empty once expanded for an empty title.
func validProcTitle(t string) bool {
	var out strings.Builder
	for len(t) > 0 {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			out.WriteString(t)
			break
		}
		out.WriteString(t[:i])
		t = t[i+1:]
		if t == "" {
			return false
		}
		if t[0] == '{' {
			out.WriteByte('{')
			t = t[1:]
			continue
		}
		j := strings.IndexByte(t, '}')
		if j < 0 {
			return false
		}
		switch t[:j] {
		case "title", "server-mode", "unixsocket":
			// may be empty
		case "listen-addr", "config-file", "port", "tls-port":
			out.WriteString("x")
		default:
			return false
		}
		t = t[j+1:]
	}
	return strings.Trim(out.String(), " ") != ""
}
