package server

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fastcache/config"
)

// TestRedisDiffRedisParams: the Redis 7.0 parameters fastcache keeps for
// compatibility (config/redis_params.go) answer CONFIG GET with Redis's
// defaults and CONFIG SET with Redis's checks and errors, by type: bool,
// integer ranges, memory values, enums, multi-value flags, percentages,
// octal, immutable and protected parameters, aliases.
func TestRedisDiffRedisParams(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	var steps []diffStep
	for _, name := range []string{
		"rdbchecksum", "io-threads-do-reads", "always-show-logo", "rdbcompression", "rdb-del-sync-files",
		"activerehashing", "stop-writes-on-bgsave-error", "set-proc-title", "dynamic-hz", "repl-disable-tcp-nodelay",
		"repl-diskless-sync", "aof-rewrite-incremental-fsync", "no-appendfsync-on-rewrite", "rdb-save-incremental-fsync",
		"aof-load-truncated", "aof-use-rdb-preamble", "aof-timestamp-enabled", "replica-serve-stale-data",
		"slave-serve-stale-data", "replica-read-only", "slave-read-only", "replica-ignore-maxmemory", "jemalloc-bg-thread",
		"activedefrag", "syslog-enabled", "crash-log-enabled", "crash-memcheck-enabled", "disable-thp",
		"replica-announced", "aof-disable-auto-gc", "replica-ignore-disk-write-errors", "replica-announce-ip",
		"masteruser", "syslog-ident", "dbfilename", "appendfilename", "appenddirname", "server_cpulist",
		"ignore-warnings", "proc-title-template", "bind-source-addr", "supervised", "syslog-facility",
		"repl-diskless-load", "sanitize-dump-payload", "enable-protected-configs", "enable-module-command",
		"propagation-error-behavior", "active-defrag-cycle-min", "active-defrag-cycle-max",
		"active-defrag-threshold-lower", "active-defrag-threshold-upper", "active-defrag-max-scan-fields",
		"active-defrag-ignore-bytes", "lfu-log-factor", "lfu-decay-time", "replica-priority", "slave-priority",
		"repl-diskless-sync-delay", "repl-diskless-sync-max-replicas", "maxmemory-eviction-tenacity",
		"replica-announce-port", "active-expire-effort", "min-replicas-to-write", "min-slaves-max-lag",
		"shutdown-timeout", "socket-mark-id", "repl-backlog-ttl", "repl-backlog-size", "shutdown-on-sigint",
		"shutdown-on-sigterm", "oom-score-adj", "oom-score-adj-values", "maxmemory-clients", "unixsocketperm",
		"unixsocket", "cluster-enabled", "cluster-node-timeout", "cluster-config-file", "cluster-port",
		"cluster-preferred-endpoint-type", "tls-port", "tls-auth-clients", "tls-session-cache-size",
		"slaveof", "slave-lazy-flush",
	} {
		steps = append(steps, c("CONFIG", "GET", name))
	}
	for _, s := range [][]string{
		// bool
		{"rdbcompression", "no"}, {"rdbcompression", "maybe"}, {"activerehashing", "YES"},
		// integers: range, parse errors
		{"active-defrag-cycle-min", "0"}, {"active-defrag-cycle-min", "99"}, {"active-defrag-cycle-max", "100"},
		{"lfu-log-factor", "-1"}, {"lfu-log-factor", "2147483648"}, {"lfu-log-factor", "1.5"},
		{"maxmemory-eviction-tenacity", "101"}, {"active-expire-effort", "0"}, {"active-expire-effort", "10"},
		{"replica-announce-port", "65536"}, {"min-slaves-to-write", "3"},
		// memory
		{"repl-backlog-size", "0"}, {"repl-backlog-size", "2mb"}, {"repl-backlog-size", "1x"},
		{"active-defrag-ignore-bytes", "1gb"},
		// enums
		{"repl-diskless-load", "swapdb"}, {"repl-diskless-load", "never"}, {"sanitize-dump-payload", "CLIENTS"},
		{"propagation-error-behavior", "panic-on-replicas"}, {"oom-score-adj", "relative"}, {"oom-score-adj", "maybe"}, {"oom-score-adj", "absolute"},
		// multi-value
		{"oom-score-adj-values", "1 2"}, {"oom-score-adj-values", "0 2001 3"}, {"oom-score-adj-values", "10 20 30"},
		{"shutdown-on-sigint", "save now"}, {"shutdown-on-sigint", "save nosave"}, {"shutdown-on-sigint", "later"},
		{"shutdown-on-sigterm", "force nosave"}, {"shutdown-on-sigterm", "default"},
		// percent
		{"maxmemory-clients", "10%"}, {"maxmemory-clients", "1mb"}, {"maxmemory-clients", "x%"},
		{"maxmemory-clients", "0"},
		// strings
		{"replica-announce-ip", "10.0.0.1"}, {"masteruser", "u"}, {"ignore-warnings", "ARM64-COW-BUG"},
		// immutable, protected
		{"always-show-logo", "yes"}, {"unixsocket", "/tmp/x.sock"}, {"unixsocketperm", "700"},
		{"socket-mark-id", "1"}, {"pidfile", "/tmp/x.pid"}, {"supervised", "no"}, {"cluster-config-file", "x"},
		{"enable-protected-configs", "yes"}, {"dbfilename", "x.rdb"}, {"dir", "/tmp"}, {"daemonize", "no"},
		{"slaveof", "127.0.0.1 1"},
		// aliases
		{"slave-priority", "7"}, {"slave-serve-stale-data", "no"},
		// Redis's value checks
		{"activedefrag", "yes"}, {"activedefrag", "no"}, {"cluster-announce-hostname", "a-b.c"}, {"cluster-announce-hostname", "a_b"},
		{"proc-title-template", ""}, {"proc-title-template", "{title}"}, {"proc-title-template", "{title} {nosuch}"},
		{"proc-title-template", "x {{ {port}"}, {"proc-title-template", "{title"}, {"proc-title-template", "{config-file}"},
		{"maxmemory-clients", "18446744073709551615"}, {"maxmemory-clients", "9223372036854775808"}, {"maxmemory-clients", "-5%"},
		{"cluster-link-sendbuf-limit", "18446744073709551615"}, {"tls-cluster", "yes"}, {"tls-replication", "yes"},
		// cluster parameters are kept (cluster mode is not)
		{"cluster-node-timeout", "5000"}, {"cluster-preferred-endpoint-type", "hostname"},
		{"cluster-announce-port", "70000"},
	} {
		steps = append(steps, c("CONFIG", "SET", s[0], s[1]))
		if s[0] != "dir" { // the two servers run in different directories
			steps = append(steps, c("CONFIG", "GET", s[0]))
		}
	}
	steps = append(steps,
		c("CONFIG", "GET", "replica-priority"), c("CONFIG", "GET", "replica-serve-stale-data"),
		// one failing pair leaves the others unchanged
		c("CONFIG", "SET", "lfu-decay-time", "5", "lfu-log-factor", "x"), c("CONFIG", "GET", "lfu-decay-time"),
		c("CONFIG", "SET", "lfu-decay-time", "5", "lfu-log-factor", "3"), c("CONFIG", "GET", "lfu-*").with(diffSortedPairs),
		c("CONFIG", "GET", "active-defrag-*").with(diffSortedPairs),
		c("CONFIG", "GET", "*slave*").with(diffSortedPairs),
		c("CONFIG", "SET", "maxmemory-clients", "200%"),
		c("CONFIG", "SET", "maxmemory", "10000001", "maxmemory-clients", "200%", "client-query-buffer-limit", "invalid"),
		c("CONFIG", "GET", "maxmemory"),
		// hidden parameters: listed when named, not by a pattern
		c("CONFIG", "GET", "key-load-delay"), c("CONFIG", "GET", "rdb-key-save-delay"), c("CONFIG", "GET", "*delay*").with(diffSortedPairs),
		c("CONFIG", "SET", "rdb-key-save-delay", "100"), c("CONFIG", "GET", "rdb-key-save-delay"),
		c("CONFIG", "GET", "watchdog-period"), c("CONFIG", "GET", "use-exit-on-panic"),
		c("CONFIG", "GET", "loading-process-events-interval-bytes"),
	)
	runDiffScripts(t, []diffScript{{"redis-params", steps}})
}

// TestRedisConfFileLoads: a config file with Redis 7.0's parameters (as the
// redis.conf Redis ships sets them) loads, and CONFIG GET reports its values.
func TestRedisConfFileLoads(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "redis.conf")
	conf := `always-show-logo yes
pidfile /var/run/redis_6379.pid
rdbcompression yes
rdbchecksum yes
dbfilename dump.rdb
slave-serve-stale-data yes
replica-read-only yes
repl-diskless-sync yes
repl-diskless-sync-delay 0
no-appendfsync-on-rewrite no
activerehashing yes
enable-protected-configs yes
enable-module-command no
propagation-error-behavior panic
supervised no
syslog-enabled no
oom-score-adj no
oom-score-adj-values 0 200 800
jemalloc-bg-thread yes
lfu-log-factor 10
shutdown-on-sigterm save now
maxmemory-clients 5%
tls-port 0
cluster-enabled no
`
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"always-show-logo", "yes"}, {"pidfile", "/var/run/redis_6379.pid"},
		{"repl-diskless-sync-delay", "0"}, {"replica-serve-stale-data", "yes"}, {"enable-protected-configs", "yes"},
		{"propagation-error-behavior", "panic"}, {"shutdown-on-sigterm", "save now"}, {"maxmemory-clients", "5%"}} {
		if got := cfg.Get(kv[0]); len(got) != 1 || got[0][1] != kv[1] {
			t.Errorf("CONFIG GET %s = %v, want %q", kv[0], got, kv[1])
		}
	}
	// What would ask for a feature fastcache does not have is refused.
	for _, line := range []string{"activedefrag yes", "cluster-enabled maybe"} {
		if err := os.WriteFile(file, []byte(line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := config.Load([]string{file}); err == nil {
			t.Errorf("%q: loaded, want an error", line)
		}
	}
}

// TestProtectedConfigs: dir and dbfilename are changed only as
// enable-protected-configs allows (local: loopback and unix socket clients).
func TestProtectedConfigs(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{"no", "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"},
		{"local", "OK"},
		{"yes", "OK"},
	} {
		ts := startServer(t, "enable-protected-configs", tc.mode)
		rdb := ts.client(t, 2)
		res, err := rdb.ConfigSet(ctx(), "dbfilename", "other.rdb").Result()
		got := res
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("enable-protected-configs %s: CONFIG SET dbfilename: %q, want %q", tc.mode, got, tc.want)
		}
	}
}

// TestUnixSocket: unixsocket makes the server listen on a unix socket too;
// its clients show addr=<path>:0 and flag U in CLIENT LIST, as in Redis.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fc.sock")
	ts := startServer(t, "unixsocket", path, "unixsocketperm", "700")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket file mode %v, want a socket with 0700", fi.Mode())
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dc := &diffConn{conn: conn, br: bufio.NewReader(conn)}
	if r, err := dc.do([]string{"SET", "k", "v"}); err != nil || r != "+OK\r\n" {
		t.Fatalf("SET over the unix socket: %q %v", r, err)
	}
	r, err := dc.do([]string{"CLIENT", "INFO"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r, " addr="+path+":0 laddr="+path+":0 ") || !strings.Contains(r, " flags=U ") {
		t.Errorf("CLIENT INFO over the unix socket: %q", r)
	}
	if v, err := ts.client(t, 2).Get(ctx(), "k").Result(); err != nil || v != "v" {
		t.Errorf("GET over TCP: %q %v", v, err)
	}
}
