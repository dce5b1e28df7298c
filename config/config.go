// Package config reads fastcache's configuration the way redis-server does
// (an optional redis.conf-syntax file, then --directive value flags that
// override it) and serves CONFIG GET and CONFIG SET with the same names.
//
// Concurrency: the values live in an immutable struct behind an
// atomic.Pointer. Getters load it without locking (they are on hot paths:
// every read of a connection, every pipeline), and CONFIG SET builds a
// modified copy, runs the OnChange hooks and publishes it, under a mutex that
// serialises writers only.
package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/internal/glob"
)

// ErrHelp and ErrVersion are returned by Load for -h/--help and -v/--version.
var (
	ErrHelp    = errors.New("help requested")
	ErrVersion = errors.New("version requested")
)

// values is one immutable generation of the configuration.
type values struct {
	bind                         []string
	port                         int64
	dir                          string
	daemonize, protectedMode     bool
	enableDebugCommand           string
	lazyfree                     [6]bool
	tcpBacklog, tcpKeepalive     int64
	databases                    int64
	hashMaxListpackEntries       int64
	lfuLogFactor, lfuDecayTime   int64
	hashMaxListpackValue         int64
	hllSparseMaxBytes            int64
	setMaxIntsetEntries          int64
	zsetMaxListpackEntries       int64
	zsetMaxListpackValue         int64
	streamNodeMaxBytes           int64
	streamNodeMaxEntries         int64
	listMaxListpackSize          int64
	listCompressDepth            int64
	appendonly                   bool
	appendfsync                  string
	walCompression               string
	walSegmentSize, walQueueSize int64
	walRepair                    bool
	aofCompat                    [4]bool // aof-use-rdb-preamble, aof-load-truncated, aof-rewrite-incremental-fsync, aof-timestamp-enabled
	save                         string
	autoPct                      int64
	autoMin                      int64
	snapshotKeep                 int64
	snapshotOnShutdown           bool
	saveRDBCopy                  bool
	maxmemory                    int64
	policy                       string
	samples                      int64
	requirepass                  string
	aclfile, aclPubsubDefault    string
	acllogMaxLen                 int64
	maxclients                   int64
	slowlogSlower, slowlogMaxLen int64
	timeout                      int64
	busyReply                    int64 // busy-reply-threshold (lua-time-limit), ms
	protoMaxBulkLen, cqbl        int64
	hz                           int64
	loglevel, logfile, logformat string
	shards                       int64
	ioThreads                    int64
	exportListen, exportConnect  string
	exportToken                  string
	exportMaxSubs                int64
	exportOnFull                 string
	exportWriteTimeout           int64
	replicaof, masterauth        string
	replPingPeriod, replTimeout  int64        // seconds
	pubsub                       pubsubValues // config/pubsub.go
	metricsListen                string
	latencyTracking              bool
	latencyPercentiles           []float64
	latencyThreshold             int64
	pidfile, unixsocket          string
	users                        [][]string   // config/redis_params.go: user lines
	renames                      [][2]string  // config/redis_params.go: rename-command lines
	saveGiven                    bool         // a save line was read (the next ones add to it)
	compat                       compatValues // config/redis_params.go
}

// Config is the server's configuration.
type Config struct {
	v     atomic.Pointer[values]
	mu    sync.Mutex // serialises Set
	hooks map[string][]func(*Config) error
	file  string
}

type directive struct {
	name    string
	doc     string
	def     []string
	mutable bool
	set     func(v *values, args []string) error
	get     func(v *values) string
	canon   string // an alias's directive (its hooks run); "" for a directive itself
	kind    byte   // 'm' a memory value, 's' a string (how CONFIG REWRITE writes it)
}

var (
	directives []*directive
	byName     = map[string]*directive{}
)

func add(d *directive) {
	directives = append(directives, d)
	byName[d.name] = d
}

// aliasD registers alias as another name of the directive name, as Redis
// 7.0's config aliases (the *-ziplist-* names of the *-listpack-* ones): the
// same value, set by either name (config file, flags, CONFIG SET, which runs
// name's hooks), and listed under both by CONFIG GET.
func aliasD(alias, name string) {
	d := byName[name]
	add(&directive{name: alias, doc: "alias of " + name, def: d.def, mutable: d.mutable, set: d.set, get: d.get, canon: name})
}

// canonical is the directive an alias names (name itself otherwise).
func canonical(name string) string {
	if d := byName[name]; d != nil && d.canon != "" {
		return d.canon
	}
	return name
}

func one(args []string) (string, error) {
	if len(args) != 1 {
		return "", errors.New("wrong number of arguments")
	}
	return args[0], nil
}

func boolD(name string, def bool, mutable bool, doc string, p func(*values) *bool) {
	d := "no"
	if def {
		d = "yes"
	}
	add(&directive{name: name, doc: doc, def: []string{d}, mutable: mutable,
		set: func(v *values, a []string) error {
			s, err := one(a)
			if err != nil {
				return err
			}
			switch strings.ToLower(s) {
			case "yes":
				*p(v) = true
			case "no":
				*p(v) = false
			default:
				return errors.New("argument must be 'yes' or 'no'")
			}
			return nil
		},
		get: func(v *values) string {
			if *p(v) {
				return "yes"
			}
			return "no"
		}})
}

func intD(name string, def, min, max int64, mutable bool, doc string, p func(*values) *int64) {
	add(&directive{name: name, doc: doc, def: []string{strconv.FormatInt(def, 10)}, mutable: mutable,
		set: func(v *values, a []string) error {
			s, err := one(a)
			if err != nil {
				return err
			}
			n, ok := string2ll(s)
			if !ok {
				return errors.New("argument couldn't be parsed into an integer")
			}
			if n < min || n > max {
				return fmt.Errorf("argument must be between %d and %d inclusive", min, max)
			}
			*p(v) = n
			return nil
		},
		get: func(v *values) string { return strconv.FormatInt(*p(v), 10) }})
}

// clampD makes an integer directive keep its value within [lo, hi] after
// parsing, as Redis's apply function does for hz.
func clampD(name string, lo, hi int64) {
	d := byName[name]
	set := d.set
	d.set = func(v *values, a []string) error {
		if err := set(v, a); err != nil {
			return err
		}
		n, _ := strconv.ParseInt(d.get(v), 10, 64)
		return set(v, []string{strconv.FormatInt(min(max(n, lo), hi), 10)})
	}
}

// sizeD is a memory value from min to 2^63-1 bytes, parsed as Redis's
// memtoull (a value past 2^63-1 is out of range, as Redis's signed
// sizes). maxmemory, unsigned in Redis, takes any 64-bit value, kept as at
// most 2^63-1.
func sizeD(name string, def string, min int64, mutable bool, doc string, p func(*values) *int64) {
	add(&directive{name: name, doc: doc, def: []string{def}, mutable: mutable, kind: 'm',
		set: func(v *values, a []string) error {
			s, err := one(a)
			if err != nil {
				return err
			}
			u, ok := memtoull(s)
			if !ok {
				return errors.New("argument must be a memory value")
			}
			if name == "maxmemory" {
				*p(v) = int64(min64u(u, 1<<63-1))
				return nil
			}
			if u > 1<<63-1 || int64(u) < min {
				return fmt.Errorf("argument must be between %d and %d inclusive", min, int64(1<<63-1))
			}
			*p(v) = int64(u)
			return nil
		},
		get: func(v *values) string { return strconv.FormatInt(*p(v), 10) }})
}

func min64u(a, b uint64) uint64 {
	if a < b {
		return a
	}
	return b
}

// string2d parses a double as Redis's string2d (strtod over the whole
// string): no leading space, no NaN, no overflow, no underflow to zero; hex
// floats without an exponent and inf/infinity are accepted as strtod does.
func string2d(s string) (float64, bool) {
	if s == "" || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\v' || s[0] == '\f' ||
		strings.ContainsRune(s, '_') {
		return 0, false
	}
	t := s
	body := strings.TrimLeft(t, "+-")
	if len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X") && !strings.ContainsAny(body, "pP") {
		t += "p0" // strtod's hex without a binary exponent
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(v) {
		return 0, false
	}
	if v == 0 && strings.ContainsAny(strings.Split(strings.ToLower(body), "e")[0], "123456789abcdef") &&
		!strings.HasPrefix(strings.ToLower(body), "0x") {
		return 0, false // underflow: strtod sets ERANGE
	}
	return v, true
}

// string2ll parses an integer as Redis's string2ll: an optional '-', no
// '+', no leading zeros, no spaces, no overflow.
func string2ll(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	neg := strings.HasPrefix(s, "-")
	d := strings.TrimPrefix(s, "-")
	if d == "" || len(d) > 19 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		u = u*10 + uint64(d[i]-'0')
	}
	switch {
	case neg && u <= 1<<63:
		return -int64(u), true
	case !neg && u <= 1<<63-1:
		return int64(u), true
	}
	return 0, false
}

// memtoull parses a memory value as Redis's memtoull: digits (an empty
// run is 0) then an optional unit b, k, kb, m, mb, g, gb in any case; no
// sign, no spaces; the product must fit in 64 bits unsigned.
func memtoull(s string) (uint64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	mul := uint64(0)
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1 << 10
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1 << 20
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1 << 30
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	var u uint64
	for _, ch := range s[:i] {
		d := uint64(ch - '0')
		if u > (1<<64-1-d)/10 {
			u = 1<<64 - 1 // strtoull saturates on overflow (ERANGE is not checked)
			break
		}
		u = u*10 + d
	}
	if u > (1<<64-1)/mul {
		return 0, false
	}
	return u * mul, true
}

// enumExtras counts the values at the end of an enum's list that Redis 7.0
// does not have (its CONFIG SET error does not list them).
var enumExtras = map[string]int{"loglevel": 1}

func enumD(name, def string, allowed []string, mutable bool, doc string, p func(*values) *string) {
	add(&directive{name: name, doc: doc + " (" + strings.Join(allowed, "|") + ")", def: []string{def}, mutable: mutable,
		set: func(v *values, a []string) error {
			s, err := one(a)
			if err != nil {
				return err
			}
			s = strings.ToLower(s)
			for _, x := range allowed {
				if s == x {
					*p(v) = s
					return nil
				}
			}
			// Redis 7.0's list, in its order (values Redis 7.0 lacks are accepted, not listed)
			shown := allowed
			if n := enumExtras[name]; n > 0 {
				shown = allowed[:len(allowed)-n]
			}
			return fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(shown, ", "))
		},
		get: func(v *values) string { return *p(v) }})
}

func strD(name, def string, mutable bool, doc string, p func(*values) *string) {
	add(&directive{name: name, doc: doc, def: []string{def}, mutable: mutable, kind: 's',
		set: func(v *values, a []string) error {
			s, err := one(a)
			if err != nil {
				return err
			}
			*p(v) = s
			return nil
		},
		get: func(v *values) string { return *p(v) }})
}

func init() {
	add(&directive{name: "bind", doc: "addresses to listen on; a leading '-' makes an address optional (skipped if unavailable)",
		def: []string{"127.0.0.1", "-::1"}, mutable: true,
		set: func(v *values, a []string) error {
			var out []string
			for _, x := range a {
				out = append(out, strings.Fields(x)...)
			}
			if len(out) == 0 {
				return errors.New("at least one address is required")
			}
			v.bind = out
			return nil
		},
		get: func(v *values) string { return strings.Join(v.bind, " ") }})
	intD("port", 6379, 0, 65535, true, "TCP port (0 = pick a free port)", func(v *values) *int64 { return &v.port })
	strD("dir", "./data", false, "data directory: the WAL in <dir>/wal, snapshots in <dir>/snapshot", func(v *values) *string { return &v.dir })
	// CONFIG GET dir is the absolute path, as Redis's (its getcwd() after
	// chdir to dir); relative paths are relative to the directory the
	// server started in.
	byName["dir"].get = func(v *values) string {
		if abs, err := filepath.Abs(v.dir); err == nil {
			return abs
		}
		return v.dir
	}
	boolD("daemonize", false, false, "run in the background, as Redis's: the command returns at once, the server goes on detached (its own session, no terminal), writing the pidfile (/var/run/fastcache.pid if none is set); not when supervised by systemd", func(v *values) *bool { return &v.daemonize })
	for i, name := range []string{"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
		"lazyfree-lazy-user-del", "lazyfree-lazy-user-flush", "replica-lazy-flush"} {
		boolD(name, false, true, "accepted for compatibility: deleting a key is always O(1) for the event loop (a dropped collection is reclaimed by Go's garbage collector in the background), as UNLINK in Redis",
			func(v *values) *bool { return &v.lazyfree[i] })
	}
	enumD("enable-debug-command", "no", []string{"no", "yes", "local"}, false, "DEBUG allowed from any connection (yes), from loopback ones (local) or none (no)", func(v *values) *string { return &v.enableDebugCommand })
	boolD("protected-mode", true, true, "refuse clients from other addresses than the loopback interface while the default user has no password (Redis's protected mode)", func(v *values) *bool { return &v.protectedMode })
	intD("tcp-backlog", 511, 0, 1<<20, false, "accepted for compatibility", func(v *values) *int64 { return &v.tcpBacklog })
	intD("tcp-keepalive", 300, 0, 1<<31-1, true, "seconds of a client connection's silence before TCP keepalive probes (then 3 probes a third of that apart; a dead peer is dropped); 0 = off", func(v *values) *int64 { return &v.tcpKeepalive })
	intD("databases", 16, 1, 1<<16, false, "number of databases (SELECT 0 .. databases-1)", func(v *values) *int64 { return &v.databases })
	intD("hash-max-listpack-entries", 512, 0, 1<<63-1, true, "a hash with more fields moves from the packed to the table encoding", func(v *values) *int64 { return &v.hashMaxListpackEntries })
	sizeD("hash-max-listpack-value", "64", 0, true, "a hash with a longer field or value moves from the packed to the table encoding", func(v *values) *int64 { return &v.hashMaxListpackValue })
	sizeD("hll-sparse-max-bytes", "3000", 0, true, "a sparse HyperLogLog (header included) that would grow past this becomes dense (12304 bytes)", func(v *values) *int64 { return &v.hllSparseMaxBytes })
	intD("set-max-intset-entries", 512, 0, 1<<63-1, true, "an all-integer set with more members moves from the intset to the table encoding", func(v *values) *int64 { return &v.setMaxIntsetEntries })
	intD("zset-max-listpack-entries", 128, 0, 1<<63-1, true, "a sorted set with more members moves from the packed to the skiplist encoding", func(v *values) *int64 { return &v.zsetMaxListpackEntries })
	sizeD("zset-max-listpack-value", "64", 0, true, "a sorted set with a longer member moves from the packed to the skiplist encoding", func(v *values) *int64 { return &v.zsetMaxListpackValue })
	sizeD("stream-node-max-bytes", "4096", 0, true, "a stream node (listpack) takes entries up to this size (0 = no limit)", func(v *values) *int64 { return &v.streamNodeMaxBytes })
	intD("stream-node-max-entries", 100, 0, 1<<63-1, true, "a stream node takes up to this many entries (0 = no limit)", func(v *values) *int64 { return &v.streamNodeMaxEntries })
	intD("list-max-listpack-size", -2, -1<<31, 1<<31-1, true, "entries per list node, or with -1..-5 bytes per node (4, 8, 16, 32, 64 KiB)", func(v *values) *int64 { return &v.listMaxListpackSize })
	for _, n := range []string{"hash-max-%s-entries", "hash-max-%s-value", "zset-max-%s-entries", "zset-max-%s-value", "list-max-%s-size"} {
		aliasD(fmt.Sprintf(n, "ziplist"), fmt.Sprintf(n, "listpack"))
	}
	intD("list-compress-depth", 0, 0, 1<<31-1, true, "accepted for compatibility: list nodes are not compressed", func(v *values) *int64 { return &v.listCompressDepth })
	boolD("appendonly", true, true, "write every change to the WAL and replay it at start ('no' = pure in-memory cache; CONFIG SET starts and stops the WAL on a live server)", func(v *values) *bool { return &v.appendonly })
	for i, d := range []struct {
		name string
		def  bool
	}{{"aof-use-rdb-preamble", true}, {"aof-load-truncated", true}, {"aof-rewrite-incremental-fsync", true}, {"aof-timestamp-enabled", false}} {
		boolD(d.name, d.def, true, "accepted for compatibility: the WAL's base is a snapshot, a torn tail is cut (wal-repair for damage elsewhere), fsyncs follow appendfsync",
			func(v *values) *bool { return &v.aofCompat[i] })
	}
	enumD("appendfsync", "everysec", []string{"everysec", "always", "no"}, true, "when the WAL is fsynced", func(v *values) *string { return &v.appendfsync })
	enumD("wal-compression", "s2", []string{"none", "s2", "zstd"}, false, "compression of WAL frames and snapshot blocks", func(v *values) *string { return &v.walCompression })
	sizeD("wal-segment-size", "64mb", 4096, false, "WAL segment rotation size", func(v *values) *int64 { return &v.walSegmentSize })
	sizeD("wal-queue-size", "4mb", 4096, false, "per-shard bound of records waiting for the WAL writer (writers wait beyond it)", func(v *values) *int64 { return &v.walQueueSize })
	boolD("wal-repair", false, false, "at start, truncate the WAL at the first damage instead of refusing to start", func(v *values) *bool { return &v.walRepair })
	add(&directive{name: "save", doc: "with appendonly no: snapshot after <seconds> <changes> (Redis's RDB save points; \"\" = none); with appendonly yes snapshots follow auto-aof-rewrite-*",
		def: []string{"3600", "1", "300", "100", "60", "10000"}, mutable: true,
		set: func(v *values, a []string) error {
			s := strings.TrimSpace(strings.Join(a, " "))
			f := strings.Fields(s)
			if len(f)%2 != 0 {
				return errors.New("Invalid save parameters")
			}
			for _, x := range f {
				if _, err := strconv.ParseInt(x, 10, 64); err != nil {
					return errors.New("Invalid save parameters")
				}
			}
			v.save = s
			return nil
		},
		get: func(v *values) string { return v.save }})
	intD("auto-aof-rewrite-percentage", 100, 0, 1<<31-1, true, "snapshot when the WAL grew by this % of the last snapshot's size (0 = never)", func(v *values) *int64 { return &v.autoPct })
	sizeD("auto-aof-rewrite-min-size", "64mb", 0, true, "... and by at least this many bytes", func(v *values) *int64 { return &v.autoMin })
	intD("snapshot-keep", 2, 1, 1000, true, "snapshots kept on disk (older ones and the WAL they cover are deleted)", func(v *values) *int64 { return &v.snapshotKeep })
	boolD("snapshot-on-shutdown", true, true, "take a snapshot on a clean stop, so the next start is fast", func(v *values) *bool { return &v.snapshotOnShutdown })
	boolD("save-rdb-copy", false, true, "every snapshot (SAVE, BGSAVE, save points, shutdown) also writes <dir>/<dbfilename> in Redis's RDB format, for tools that copy dump.rdb", func(v *values) *bool { return &v.saveRDBCopy })
	sizeD("maxmemory", "0", 0, true, "memory limit for keys and values (0 = none)", func(v *values) *int64 { return &v.maxmemory })
	enumD("maxmemory-policy", "noeviction", []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
		"allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, true, "what to evict at maxmemory", func(v *values) *string { return &v.policy })
	intD("maxmemory-samples", 5, 1, 1<<31-1, true, "keys sampled per eviction", func(v *values) *int64 { return &v.samples })
	strD("requirepass", "", true, "password clients must send with AUTH", func(v *values) *string { return &v.requirepass })
	strD("aclfile", "", false, "file of ACL users that ACL LOAD reads, ACL SAVE writes and the start loads (empty: none)", func(v *values) *string { return &v.aclfile })
	enumD("acl-pubsub-default", "resetchannels", []string{"allchannels", "resetchannels"}, true, "channel permissions a new ACL user starts with", func(v *values) *string { return &v.aclPubsubDefault })
	intD("acllog-max-len", 128, 0, 1<<63-1, true, "entries ACL LOG keeps (the oldest are dropped)", func(v *values) *int64 { return &v.acllogMaxLen })
	intD("maxclients", 10000, 1, 1<<31-1, true, "maximum simultaneous clients", func(v *values) *int64 { return &v.maxclients })
	intD("slowlog-max-len", 128, 0, 1<<63-1, true, "entries SLOWLOG keeps (the oldest are dropped)", func(v *values) *int64 { return &v.slowlogMaxLen })
	intD("slowlog-log-slower-than", 10000, -1, 1<<63-1, true, "SLOWLOG records commands that ran at least this many microseconds (0 = all, -1 = none)", func(v *values) *int64 { return &v.slowlogSlower })
	boolD("latency-tracking", true, true, "per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM, /metrics)", func(v *values) *bool { return &v.latencyTracking })
	add(&directive{name: "latency-tracking-info-percentiles", doc: "percentiles INFO latencystats reports", def: []string{"50 99 99.9"}, mutable: true,
		set: func(v *values, a []string) error {
			// Redis splits the value at every single space ("" alone is
			// the empty list) and parses each part with string2d.
			joined := strings.Join(a, " ")
			var ps []float64
			var fields []string
			if joined != "" {
				fields = strings.Split(joined, " ") // as Redis: one space between values, no empty ones
			}
			for _, f := range fields {
				p, ok := string2d(f)
				if !ok {
					return errors.New("Invalid latency-tracking-info-percentiles parameters")
				}
				if p < 0 || p > 100 {
					return errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
				}
				ps = append(ps, p)
			}
			v.latencyPercentiles = ps
			return nil
		},
		get: func(v *values) string {
			f := make([]string, len(v.latencyPercentiles))
			for i, p := range v.latencyPercentiles {
				// Redis prints "%f" without its trailing zeros
				f[i] = strings.TrimRight(strings.TrimRight(strconv.FormatFloat(p, 'f', 6, 64), "0"), ".")
			}
			return strings.Join(f, " ")
		}})
	intD("latency-monitor-threshold", 0, 0, 1<<63-1, true, "LATENCY monitor: record events that take at least this many milliseconds (0 = off)", func(v *values) *int64 { return &v.latencyThreshold })
	strD("metrics-listen", "", false, "host:port of the Prometheus /metrics endpoint (a bare port binds loopback; empty = off)", func(v *values) *string { return &v.metricsListen })
	intD("busy-reply-threshold", 5000, 0, 1<<63-1, true, "ms a script runs before other clients get -BUSY (0 = at once)", func(v *values) *int64 { return &v.busyReply })
	aliasD("lua-time-limit", "busy-reply-threshold")
	intD("timeout", 0, 0, 1<<31-1, true, "close a client idle for this many seconds (0 = never)", func(v *values) *int64 { return &v.timeout })
	sizeD("proto-max-bulk-len", "512mb", 1<<20, true, "largest bulk string a client may send", func(v *values) *int64 { return &v.protoMaxBulkLen })
	sizeD("client-query-buffer-limit", "1gb", 1<<20, true, "largest unparsed input of one client", func(v *values) *int64 { return &v.cqbl })
	intD("hz", 10, 0, 1<<31-1, true, "background tasks (active expiry) per second, kept within 1..500 as Redis does", func(v *values) *int64 { return &v.hz })
	clampD("hz", 1, 500)
	enumD("loglevel", "notice", []string{"debug", "verbose", "notice", "warning", "nothing"}, true, "log verbosity", func(v *values) *string { return &v.loglevel })
	strD("logfile", "", false, "log file (empty = standard error)", func(v *values) *string { return &v.logfile })
	enumD("logformat", "console", []string{"console", "json"}, false, "log format", func(v *values) *string { return &v.logformat })
	intD("io-threads", 0, 0, 128, false, "network event loops (0 = half the cores, at least 1)", func(v *values) *int64 { return &v.ioThreads })
	add(&directive{name: "shards", doc: "keyspace shards, a power of two up to 1024 (0 = next power of two >= 8 x cores)", def: []string{"0"},
		set: func(v *values, a []string) error {
			s, err := one(a)
			if err != nil {
				return err
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return errors.New("argument couldn't be parsed into an integer")
			}
			if n < 0 || n > 1024 || (n != 0 && n&(n-1) != 0) {
				return errors.New("argument must be 0 (auto) or a power of two between 1 and 1024")
			}
			v.shards = n
			return nil
		},
		get: func(v *values) string { return strconv.FormatInt(v.shards, 10) }})
	strD("wal-export-listen", "", false, "host:port where WAL subscribers connect (empty = off)", func(v *values) *string { return &v.exportListen })
	strD("wal-export-connect", "", false, "host:port of a collector the WAL stream is pushed to (empty = off)", func(v *values) *string { return &v.exportConnect })
	strD("wal-export-token", "", false, "token WAL export peers must present", func(v *values) *string { return &v.exportToken })
	intD("wal-export-max-subscribers", 16, 1, 1<<20, true, "maximum WAL subscribers", func(v *values) *int64 { return &v.exportMaxSubs })
	enumD("wal-export-on-full", "block", []string{"block", "drop"}, true, "when the export queue is full", func(v *values) *string { return &v.exportOnFull })
	intD("wal-export-write-timeout", 10, 1, 3600, true, "seconds before a stuck subscriber is disconnected", func(v *values) *int64 { return &v.exportWriteTimeout })
	add(&directive{name: "replicaof", doc: "host port of a primary to replicate ('no one' = primary)", def: []string{""}, mutable: false,
		set: func(v *values, a []string) error {
			s := strings.TrimSpace(strings.Join(a, " "))
			f := strings.Fields(s)
			switch {
			case s == "" || strings.EqualFold(s, "no one"):
				v.replicaof = ""
			case len(f) == 2:
				if _, err := strconv.ParseUint(f[1], 10, 16); err != nil {
					return errors.New("Invalid master port")
				}
				v.replicaof = f[0] + " " + f[1]
			default:
				return errors.New("wrong number of arguments")
			}
			return nil
		},
		get: func(v *values) string { return v.replicaof }})
	strD("masterauth", "", true, "password to authenticate to the primary", func(v *values) *string { return &v.masterauth })
	intD("repl-ping-replica-period", 10, 1, 1<<31-1, true, "seconds between the primary's heartbeats to its replicas", func(v *values) *int64 { return &v.replPingPeriod })
	aliasD("repl-ping-slave-period", "repl-ping-replica-period")
	intD("repl-timeout", 60, 1, 1<<31-1, true, "seconds without traffic after which either side drops the replication link", func(v *values) *int64 { return &v.replTimeout })
}

// Default returns the built-in configuration.
func Default() *Config {
	c := &Config{hooks: map[string][]func(*Config) error{}}
	v := &values{}
	for _, d := range directives {
		if err := d.set(v, d.def); err != nil {
			panic("config default for " + d.name + ": " + err.Error())
		}
	}
	c.v.Store(v)
	return c
}

// Load builds the configuration from os.Args[1:]: an optional config file
// path first, then --directive value [value...] flags.
func Load(args []string) (*Config, error) {
	c := Default()
	v := c.clone()
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help":
			return nil, ErrHelp
		case "-v", "--version":
			return nil, ErrVersion
		}
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		c.file = args[0]
		data, err := os.ReadFile(args[0])
		if err != nil {
			return nil, fmt.Errorf("config file: %w", err)
		}
		if err := parseFile(v, args[0], string(data)); err != nil {
			return nil, err
		}
		args = args[1:]
	}
	lines, err := commandLine(args)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if err := apply(v, strings.ToLower(l.name), l.args); err != nil {
			return nil, fmt.Errorf("'%s': %w", l.shown, err)
		}
	}
	c.v.Store(v)
	return c, nil
}

// cliLine is one directive of the command line: its name, its values and
// how Redis shows it in an error.
type cliLine struct {
	name, shown string
	args        []string
}

// commandLine turns the arguments after the config file into directives
// as Redis 7.0 does: "--name" starts one and takes the next argument as its
// value even if that starts with "--"; further arguments not starting with
// "--" are more values; "--name value..." in one argument is a whole
// directive (split as a config line); a "--save" without a value is save "".
func commandLine(args []string) ([]cliLine, error) {
	var lines []cliLine
	cur := -1
	handled := true // the current directive has its (first) value
	for j, a := range args {
		if handled && strings.HasPrefix(a, "--") {
			if a == "--help" {
				return nil, ErrHelp
			}
			if a == "--version" {
				return nil, ErrVersion
			}
			f, err := SplitArgs(a[2:])
			if err != nil || len(f) == 0 {
				f = []string{a[2:]}
			}
			if len(f) > 1 {
				lines = append(lines, cliLine{name: f[0], shown: a[2:], args: f[1:]})
				cur = len(lines) - 1
				continue
			}
			lines = append(lines, cliLine{name: f[0], shown: f[0]})
			cur = len(lines) - 1
			handled = false
			if strings.EqualFold(a, "--save") && (j == len(args)-1 || strings.HasPrefix(args[j+1], "--")) {
				lines[cur].args = []string{""}
				lines[cur].shown += ` ""`
				handled = true
			}
			continue
		}
		if cur < 0 { // values before any --name: the first is a name
			lines = append(lines, cliLine{name: a, shown: reprArg(a)})
			cur = len(lines) - 1
		} else {
			lines[cur].args = append(lines[cur].args, a)
			lines[cur].shown += " " + reprArg(a)
		}
		handled = true
	}
	return lines, nil
}

// reprArg quotes a as Redis's sdscatrepr does.
func reprArg(a string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(a); i++ {
		switch c := a[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, "\\x%02x", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func apply(v *values, name string, args []string) error {
	if name == "user" {
		return addUser(v, args)
	}
	if name == "rename-command" {
		return addRename(v, args)
	}
	if name == "save" && v.saveGiven && !(len(args) == 1 && args[0] == "") {
		// as Redis: the first save line replaces the default, the next
		// ones add their points, save "" clears them
		args = append(strings.Fields(v.save), args...)
	}
	v.saveGiven = v.saveGiven || name == "save"
	d := byName[name]
	if d == nil {
		return fmt.Errorf("unknown directive '%s'", name)
	}
	return d.set(v, args)
}

// deprecatedFileDirectives are the lines Redis 7.0 skips in a config file
// (settings of Redis 3.0 and older that no longer mean anything).
var deprecatedFileDirectives = map[string]bool{"list-max-ziplist-entries": true, "list-max-ziplist-value": true, "lua-replicate-commands": true}

func parseFile(v *values, file, data string) error { return parseFileAt(v, file, data, 0) }

// maxIncludeDepth bounds nested includes (a file that includes itself).
const maxIncludeDepth = 16

// parseFileAt is parseFile of a file included depth levels deep.
func parseFileAt(v *values, file, data string, depth int) error {
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := SplitArgs(line)
		if err != nil {
			return fmt.Errorf("config file %s line %d: '%s': %w", file, n+1, line, err)
		}
		if len(args) == 0 {
			continue
		}
		name := strings.ToLower(args[0])
		vals := args[1:]
		if deprecatedFileDirectives[name] && len(vals) == 1 {
			continue
		}
		if name == "include" {
			if err := include(v, vals, depth); err != nil {
				return fmt.Errorf("config file %s line %d: '%s': %w", file, n+1, line, err)
			}
			continue
		}
		if err := apply(v, name, vals); err != nil {
			return fmt.Errorf("config file %s line %d: '%s': %w", file, n+1, line, err)
		}
	}
	return nil
}

// include reads the files an include line names, in place, as Redis's:
// a path with wildcards takes the files it matches in name order (none is
// fine: an empty conf.d); a plain path must exist.
func include(v *values, vals []string, depth int) error {
	if len(vals) != 1 {
		return errors.New("wrong number of arguments")
	}
	if depth >= maxIncludeDepth {
		return fmt.Errorf("includes nested deeper than %d", maxIncludeDepth)
	}
	files := []string{vals[0]}
	if strings.ContainsAny(vals[0], "*?[") {
		m, err := filepath.Glob(vals[0])
		if err != nil {
			return err
		}
		sort.Strings(m)
		files = m
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := parseFileAt(v, f, string(data), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// SplitArgs splits a config line like Redis's sdssplitargs: spaces separate
// arguments; "double quotes" take \n \r \t \b \a \\ \" \xHH escapes; 'single
// quotes' take \'.
func SplitArgs(line string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return out, nil
		}
		var b strings.Builder
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, errors.New("unbalanced quotes")
				}
				ch := line[i]
				if ch == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						b.WriteByte('\n')
					case 'r':
						b.WriteByte('\r')
					case 't':
						b.WriteByte('\t')
					case 'b':
						b.WriteByte('\b')
					case 'a':
						b.WriteByte('\a')
					case 'x':
						if i+2 < len(line) {
							if x, err := strconv.ParseUint(line[i+1:i+3], 16, 8); err == nil {
								b.WriteByte(byte(x))
								i += 2
								break
							}
						}
						b.WriteByte('x')
					default:
						b.WriteByte(line[i])
					}
					i++
					continue
				}
				if ch == '"' {
					i++
					if i < len(line) && line[i] != ' ' && line[i] != '\t' {
						return nil, errors.New("closing quote must be followed by a space")
					}
					break
				}
				b.WriteByte(ch)
				i++
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, errors.New("unbalanced quotes")
				}
				ch := line[i]
				if ch == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				if ch == '\'' {
					i++
					if i < len(line) && line[i] != ' ' && line[i] != '\t' {
						return nil, errors.New("closing quote must be followed by a space")
					}
					break
				}
				b.WriteByte(ch)
				i++
			}
		default:
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				b.WriteByte(line[i])
				i++
			}
		}
		out = append(out, b.String())
	}
}

// ParseSize parses a memory value with Redis's units: k=1000, kb=1024, m,
// mb, g, gb (case-insensitive), or plain bytes.
func ParseSize(s string) (int64, error) {
	bad := errors.New("argument must be a memory value")
	ls := strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suf) {
			ls, mul = strings.TrimSuffix(ls, u.suf), u.m
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, bad
	}
	if n > (1<<63-1)/mul {
		return 0, bad
	}
	return n * mul, nil
}

func (c *Config) clone() *values {
	v := *c.v.Load()
	v.bind = append([]string(nil), v.bind...)
	return &v
}

// Get returns the name/value pairs whose names match any of the glob
// patterns (CONFIG GET), sorted by name. A name without glob characters
// is looked up as typed and listed so, as Redis 7.0 does.
func (c *Config) Get(patterns ...string) [][2]string {
	v := c.v.Load()
	var out [][2]string
	if len(patterns) == 1 && !strings.ContainsAny(patterns[0], "[*?") {
		if d := byName[strings.ToLower(patterns[0])]; d != nil {
			out = append(out, [2]string{patterns[0], d.get(v)})
		}
		return out
	}
	for _, d := range directives {
		for _, p := range patterns {
			if hidden[d.name] && strings.ContainsAny(p, "*?[") {
				continue // config/redis_params.go
			}
			if glob.Match([]byte(strings.ToLower(p)), []byte(d.name), true) {
				out = append(out, [2]string{d.name, d.get(v)})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// SetError is a CONFIG SET failure with Redis 7's text.
type SetError struct{ msg string }

func (e *SetError) Error() string { return e.msg }

// Set implements CONFIG SET name value [name value ...]: every pair is
// validated first, then all are applied together and the OnChange hooks of
// the changed names run; a hook error restores the previous values.
func (c *Config) Set(pairs [][2]string) error { return c.SetFrom(pairs, false) }

// SetFrom is Set for a client; local says whether it connected over
// loopback or the unix socket (enable-protected-configs local).
func (c *Config) SetFrom(pairs [][2]string, local bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.v.Load()
	v := c.clone()
	// Redis 7.0's order of errors: the first unknown, immutable or repeated
	// name (as typed), then the values in order.
	for i, p := range pairs {
		name := strings.ToLower(p[0])
		d := byName[name]
		if d == nil {
			return &SetError{"ERR Unknown option or number of arguments for CONFIG SET - '" + p[0] + "'"}
		}
		if protected[name] && !protectedAllowed(v, local) {
			return &SetError{"ERR CONFIG SET failed (possibly related to argument '" + p[0] + "') - can't set protected config"}
		}
		if !d.mutable && !sameValue(v, d, p[1]) {
			return &SetError{"ERR CONFIG SET failed (possibly related to argument '" + p[0] + "') - can't set immutable config"}
		}
		for _, q := range pairs[:i] {
			if strings.ToLower(q[0]) == name {
				return &SetError{"ERR CONFIG SET failed (possibly related to argument '" + p[0] + "') - duplicate parameter"}
			}
		}
	}
	for _, p := range pairs {
		name := strings.ToLower(p[0])
		d := byName[name]
		args := []string{p[1]}
		if name == "bind" || name == "save" || name == "replicaof" {
			args = strings.Fields(p[1])
			if len(args) == 0 {
				args = []string{""}
			}
		}
		if err := d.set(v, args); err != nil {
			return &SetError{"ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + err.Error()}
		}
	}
	c.v.Store(v)
	for _, p := range pairs {
		name := strings.ToLower(p[0])
		if byName[name].get(old) == byName[name].get(v) {
			continue
		}
		for _, h := range c.hooks[canonical(name)] {
			if err := h(c); err != nil {
				c.v.Store(old)
				for _, q := range pairs { // re-apply the old values to the runtime
					for _, h2 := range c.hooks[canonical(strings.ToLower(q[0]))] {
						h2(c)
					}
				}
				return &SetError{"ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + err.Error()}
			}
		}
	}
	return nil
}

// sameValue reports whether CONFIG SET may take value for the immutable d
// as a no-op: d is mutable in Redis 7.0 (fastcache cannot change it while
// running) and value is what it already has.
func sameValue(v *values, d *directive, value string) bool {
	if redisImmutable[d.name] {
		return false
	}
	args := []string{value}
	if d.name == "bind" || d.name == "save" || d.name == "replicaof" {
		args = strings.Fields(value)
	}
	w := *v
	return d.set(&w, args) == nil && d.get(&w) == d.get(v)
}

// OnChange registers fn to run after CONFIG SET changes name.
func (c *Config) OnChange(name string, fn func(c *Config) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	name = canonical(name)
	c.hooks[name] = append(c.hooks[name], fn)
}

// Summary is the effective configuration for the start-up log line.
func (c *Config) Summary() map[string]string {
	v := c.v.Load()
	def := Default().v.Load()
	out := map[string]string{}
	for _, d := range directives {
		s := d.get(v)
		if (strings.HasPrefix(d.doc, compatDoc) || hidden[d.name] || d.canon != "") && s == d.get(def) {
			continue // Redis's parameters without effect (redis_params.go) and aliases: only when set
		}
		if d.name == "requirepass" || d.name == "masterauth" || d.name == "wal-export-token" || strings.HasSuffix(d.name, "-key-file-pass") {
			if s != "" {
				s = "(set)"
			}
		}
		out[d.name] = s
	}
	return out
}

// Usage lists every directive with its default, for --help.
func Usage() string {
	var b strings.Builder
	b.WriteString("Usage: fastcache [/path/to/fastcache.conf] [--directive value ...]\n")
	b.WriteString("       fastcache wal check [--repair] DIR | fastcache wal dump DIR\n\nDirectives (redis.conf names):\n")
	for _, d := range directives {
		if strings.HasPrefix(d.doc, compatDoc) || hidden[d.name] {
			continue // listed together below
		}
		def := strings.Join(d.def, " ")
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(&b, "  --%-28s %s (default %s)\n", d.name, d.doc, def)
	}
	b.WriteString("\nRedis 7.0's other parameters are accepted (config file, flags, CONFIG GET/SET) and have no effect.\n")
	return b.String()
}

// File is the config file given on the command line ("" if none).
func (c *Config) File() string { return c.file }

// ---- typed getters ----

func (c *Config) Bind() []string                { return c.v.Load().bind }
func (c *Config) Port() int                     { return int(c.v.Load().port) }
func (c *Config) Dir() string                   { return c.v.Load().dir }
func (c *Config) EnableDebugCommand() string    { return c.v.Load().enableDebugCommand }
func (c *Config) Databases() int                { return int(c.v.Load().databases) }
func (c *Config) HashMaxListpackEntries() int64 { return c.v.Load().hashMaxListpackEntries }

// Param is a parameter's value by name as CONFIG GET shows it ("" for an
// unknown name): for Redis's compatibility parameters, which have no
// getter of their own.
func (c *Config) Param(name string) string {
	for _, kv := range c.Get(name) {
		return kv[1]
	}
	return ""
}

// ParamInt is Param of an integer parameter (0 if not one).
func (c *Config) ParamInt(name string) int64 {
	n, _ := strconv.ParseInt(c.Param(name), 10, 64)
	return n
}

// ParamYes is Param of a yes/no parameter.
func (c *Config) ParamYes(name string) bool { return c.Param(name) == "yes" }

// Daemonize is daemonize.
func (c *Config) Daemonize() bool { return c.v.Load().daemonize }

// TCPKeepalive is tcp-keepalive in seconds (0: off).
func (c *Config) TCPKeepalive() int64 { return c.v.Load().tcpKeepalive }

func (c *Config) LFULogFactor() int64           { return c.v.Load().lfuLogFactor }
func (c *Config) LFUDecayTime() int64           { return c.v.Load().lfuDecayTime }
func (c *Config) HashMaxListpackValue() int64   { return c.v.Load().hashMaxListpackValue }
func (c *Config) HLLSparseMaxBytes() int64      { return c.v.Load().hllSparseMaxBytes }
func (c *Config) SetMaxIntsetEntries() int64    { return c.v.Load().setMaxIntsetEntries }
func (c *Config) ZSetMaxListpackEntries() int64 { return c.v.Load().zsetMaxListpackEntries }
func (c *Config) ZSetMaxListpackValue() int64   { return c.v.Load().zsetMaxListpackValue }
func (c *Config) StreamNodeMaxBytes() int64     { return c.v.Load().streamNodeMaxBytes }
func (c *Config) StreamNodeMaxEntries() int64   { return c.v.Load().streamNodeMaxEntries }
func (c *Config) ListMaxListpackSize() int64    { return c.v.Load().listMaxListpackSize }
func (c *Config) ListCompressDepth() int64      { return c.v.Load().listCompressDepth }
func (c *Config) AppendOnly() bool              { return c.v.Load().appendonly }
func (c *Config) AppendFsync() string           { return c.v.Load().appendfsync }
func (c *Config) WALCompression() string        { return c.v.Load().walCompression }
func (c *Config) WALSegmentSize() int64         { return c.v.Load().walSegmentSize }
func (c *Config) WALQueueSize() int64           { return c.v.Load().walQueueSize }
func (c *Config) WALRepair() bool               { return c.v.Load().walRepair }
func (c *Config) AutoAOFRewritePercentage() int { return int(c.v.Load().autoPct) }
func (c *Config) AutoAOFRewriteMinSize() int64  { return c.v.Load().autoMin }
func (c *Config) SnapshotKeep() int             { return int(c.v.Load().snapshotKeep) }
func (c *Config) SnapshotOnShutdown() bool      { return c.v.Load().snapshotOnShutdown }
func (c *Config) SaveRDBCopy() bool             { return c.v.Load().saveRDBCopy }

// SavePoint is one `save <seconds> <changes>` pair.
type SavePoint struct{ Seconds, Changes int64 }

// SavePoints are the save directive's pairs (none for save "").
func (c *Config) SavePoints() []SavePoint {
	f := strings.Fields(c.v.Load().save)
	var out []SavePoint
	for i := 0; i+1 < len(f); i += 2 {
		s, _ := strconv.ParseInt(f[i], 10, 64)
		n, _ := strconv.ParseInt(f[i+1], 10, 64)
		out = append(out, SavePoint{s, n})
	}
	return out
}
func (c *Config) MaxMemory() int64            { return c.v.Load().maxmemory }
func (c *Config) MaxMemoryPolicy() string     { return c.v.Load().policy }
func (c *Config) MaxMemorySamples() int       { return int(c.v.Load().samples) }
func (c *Config) RequirePass() string         { return c.v.Load().requirepass }
func (c *Config) ACLFile() string             { return c.v.Load().aclfile }
func (c *Config) ACLPubsubAll() bool          { return c.v.Load().aclPubsubDefault == "allchannels" }
func (c *Config) ACLLogMaxLen() int64         { return c.v.Load().acllogMaxLen }
func (c *Config) MaxClients() int             { return int(c.v.Load().maxclients) }
func (c *Config) SlowlogLogSlowerThan() int64 { return c.v.Load().slowlogSlower }
func (c *Config) SlowlogMaxLen() int64        { return c.v.Load().slowlogMaxLen }
func (c *Config) Timeout() time.Duration      { return time.Duration(c.v.Load().timeout) * time.Second }

// BusyReplyThreshold is how long a script runs before other clients get -BUSY.
func (c *Config) BusyReplyThreshold() time.Duration {
	ms := c.v.Load().busyReply
	if ms > int64(math.MaxInt64/time.Millisecond) {
		return math.MaxInt64 // Redis takes up to LLONG_MAX ms: never
	}
	return time.Duration(ms) * time.Millisecond
}
func (c *Config) ProtoMaxBulkLen() int64        { return c.v.Load().protoMaxBulkLen }
func (c *Config) ClientQueryBufferLimit() int64 { return c.v.Load().cqbl }
func (c *Config) Hz() int                       { return int(c.v.Load().hz) }
func (c *Config) LogLevel() string              { return c.v.Load().loglevel }
func (c *Config) LogFile() string               { return c.v.Load().logfile }
func (c *Config) LogFormat() string             { return c.v.Load().logformat }
func (c *Config) Shards() int                   { return int(c.v.Load().shards) }
func (c *Config) IOThreads() int                { return int(c.v.Load().ioThreads) }
func (c *Config) WALExportListen() string       { return c.v.Load().exportListen }
func (c *Config) WALExportConnect() string      { return c.v.Load().exportConnect }
func (c *Config) WALExportToken() string        { return c.v.Load().exportToken }
func (c *Config) WALExportMaxSubscribers() int  { return int(c.v.Load().exportMaxSubs) }
func (c *Config) WALExportOnFull() string       { return c.v.Load().exportOnFull }
func (c *Config) WALExportWriteTimeout() time.Duration {
	return time.Duration(c.v.Load().exportWriteTimeout) * time.Second
}
func (c *Config) ReplicaOf() string  { return c.v.Load().replicaof }
func (c *Config) MasterAuth() string { return c.v.Load().masterauth }

// ReplPingReplicaPeriod is how often a primary sends its replicas a heartbeat.
func (c *Config) ReplPingReplicaPeriod() time.Duration {
	return time.Duration(c.v.Load().replPingPeriod) * time.Second
}

// ReplTimeout is how long a replication link may stay silent before either
// side drops it.
func (c *Config) ReplTimeout() time.Duration {
	return time.Duration(c.v.Load().replTimeout) * time.Second
}

// Observability (metrics-listen, latency tracking and monitor).

func (c *Config) MetricsListen() string          { return c.v.Load().metricsListen }
func (c *Config) LatencyTracking() bool          { return c.v.Load().latencyTracking }
func (c *Config) LatencyMonitorThreshold() int64 { return c.v.Load().latencyThreshold }

// LatencyPercentiles is latency-tracking-info-percentiles (do not modify).
func (c *Config) LatencyPercentiles() []float64 { return c.v.Load().latencyPercentiles }

// ProtectedMode is protected-mode: while the default user has no password,
// only clients on the loopback interface or the unix socket are served.
func (c *Config) ProtectedMode() bool { return c.v.Load().protectedMode }
