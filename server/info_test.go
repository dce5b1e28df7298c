package server

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"fastcache/cache"
)

// infoSections splits INFO output into section name -> fields, checking the
// line format on the way.
func infoSections(t *testing.T, s string) (order []string, secs map[string]map[string]string) {
	t.Helper()
	secs = map[string]map[string]string{}
	if s == "" {
		return nil, secs
	}
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatalf("INFO does not end with CRLF: %q", trunc(s))
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") {
		t.Fatalf("INFO has a bare LF")
	}
	var cur map[string]string
	blank := true
	for _, line := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		switch {
		case line == "":
			blank = true
		case strings.HasPrefix(line, "# "):
			if !blank {
				t.Fatalf("section %q not preceded by a blank line", line)
			}
			name := strings.ToLower(line[2:])
			order = append(order, name)
			cur = map[string]string{}
			secs[name] = cur
			blank = false
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok || cur == nil {
				t.Fatalf("bad INFO line %q", line)
			}
			if _, dup := cur[k]; dup {
				t.Fatalf("duplicate INFO field %q", k)
			}
			cur[k] = v
		}
	}
	return order, secs
}

func TestInfoDefault(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	v := rc.val("INFO")
	if v.kind != '$' {
		t.Fatalf("RESP2 INFO is a bulk string: %c", v.kind)
	}
	order, secs := infoSections(t, v.str)
	want := []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}
	if strings.Join(order, ",") != strings.Join(want, ",") {
		t.Fatalf("default sections %v, want %v", order, want)
	}
	srv := secs["server"]
	checks := map[string]string{
		"redis_version":     "^7\\.0\\.15$",
		"redis_mode":        "^standalone$",
		"arch_bits":         "^(32|64)$",
		"process_id":        "^" + strconv.Itoa(os.Getpid()) + "$",
		"run_id":            "^[0-9a-f]{40}$",
		"tcp_port":          "^" + ts.addr[strings.LastIndex(ts.addr, ":")+1:] + "$",
		"uptime_in_seconds": `^\d+$`,
		"uptime_in_days":    "^0$",
		"hz":                `^\d+$`,
		"executable":        ".",
		"os":                ".",
		"fastcache_version": "^" + regexp.QuoteMeta(FastcacheVersion) + "$",
	}
	for k, re := range checks {
		if !regexp.MustCompile(re).MatchString(srv[k]) {
			t.Errorf("server.%s = %q, want /%s/", k, srv[k], re)
		}
	}
	if _, ok := srv["config_file"]; !ok {
		t.Error("no config_file")
	}
	cl := secs["clients"]
	if cl["connected_clients"] != "1" || cl["maxclients"] != "10000" || cl["blocked_clients"] != "0" {
		t.Errorf("clients: %v", cl)
	}
	mem := secs["memory"]
	for _, k := range []string{"used_memory", "used_memory_rss", "maxmemory", "go_heap_inuse", "go_gc_cycles", "go_gc_pause_total_ns", "used_memory_peak"} {
		if _, err := strconv.ParseInt(mem[k], 10, 64); err != nil {
			t.Errorf("memory.%s = %q", k, mem[k])
		}
	}
	if n, _ := strconv.ParseInt(mem["used_memory_rss"], 10, 64); n <= 0 {
		t.Errorf("used_memory_rss = %q", mem["used_memory_rss"])
	}
	if mem["maxmemory_human"] != "0B" || mem["maxmemory_policy"] != "noeviction" {
		t.Errorf("memory: %v", mem)
	}
	if _, err := strconv.ParseFloat(mem["mem_fragmentation_ratio"], 64); err != nil {
		t.Errorf("mem_fragmentation_ratio = %q", mem["mem_fragmentation_ratio"])
	}
	if secs["persistence"]["loading"] != "0" {
		t.Errorf("persistence: %v", secs["persistence"])
	}
	st := secs["stats"]
	for _, k := range []string{"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec", "rejected_connections",
		"expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses", "total_error_replies"} {
		if _, err := strconv.ParseInt(st[k], 10, 64); err != nil {
			t.Errorf("stats.%s = %q", k, st[k])
		}
	}
	if _, err := strconv.ParseFloat(st["expired_stale_perc"], 64); err != nil {
		t.Errorf("expired_stale_perc = %q", st["expired_stale_perc"])
	}
	rep := secs["replication"]
	if rep["role"] != "master" || rep["connected_slaves"] != "0" || rep["master_repl_offset"] != "0" || len(rep["master_replid"]) != 40 {
		t.Errorf("replication: %v", rep)
	}
	if !regexp.MustCompile(`^\d+\.\d{6}$`).MatchString(secs["cpu"]["used_cpu_user"]) ||
		!regexp.MustCompile(`^\d+\.\d{6}$`).MatchString(secs["cpu"]["used_cpu_sys"]) {
		t.Errorf("cpu: %v", secs["cpu"])
	}
	if secs["cluster"]["cluster_enabled"] != "0" {
		t.Errorf("cluster: %v", secs["cluster"])
	}
	if len(secs["keyspace"]) != 0 {
		t.Errorf("keyspace of an empty server: %v", secs["keyspace"])
	}

	// Keyspace once there are keys.
	ks := ts.cache.Keyspace()
	for i := 0; i < 10; i++ {
		o := cache.SetOptions{}
		if i < 3 {
			o.ExpireAt = 1 << 50
		}
		ks.Set([]byte("k"+strconv.Itoa(i)), []byte("v"), o, nil)
	}
	_, secs = infoSections(t, rc.val("INFO", "keyspace").str)
	if secs["keyspace"]["db0"] != "keys=10,expires=3,avg_ttl=0" {
		t.Errorf("keyspace: %v", secs["keyspace"])
	}

	// RESP3: a verbatim string.
	rc.do("HELLO", "3")
	if got := rc.do("INFO", "server"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "\r\ntxt:# Server\r\nredis_version:7.0.15\r\n") {
		t.Errorf("RESP3 INFO: %q", trunc(got))
	}
	// go-redis in both protocols.
	for _, proto := range []int{2, 3} {
		s, err := ts.client(t, proto).Info(ctx()).Result()
		if err != nil || !strings.Contains(s, "loading:0\r\n") {
			t.Errorf("go-redis proto %d INFO: %v", proto, err)
		}
		m, err := ts.client(t, proto).InfoMap(ctx(), "server", "memory").Result()
		if err != nil || m["Server"]["redis_version"] != Version || m["Memory"]["used_memory"] == "" {
			t.Errorf("go-redis proto %d InfoMap: %v, %v", proto, m, err)
		}
	}
}

func TestInfoSectionSelection(t *testing.T) {
	ts := startServerOpts(t, func(o *Options) {
		o.InfoSections = map[string]func() string{
			"persistence": func() string { return "aof_enabled:0\nwal_enabled:0\n" },
			"snapshot":    func() string { return "snapshot_count:2\r\n" },
		}
	})
	rc := ts.rawConn(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"INFO", "server"}, []string{"server"}},
		{[]string{"INFO", "SERVER", "Clients"}, []string{"server", "clients"}},
		{[]string{"INFO", "clients", "server"}, []string{"server", "clients"}},
		{[]string{"INFO", "commandstats"}, []string{"commandstats"}},
		{[]string{"INFO", "nosuchsection"}, nil},
		{[]string{"INFO", "snapshot"}, []string{"snapshot"}},
		{[]string{"INFO", "default"}, []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"}},
		{[]string{"INFO", "all"}, []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "snapshot"}},
		{[]string{"INFO", "everything"}, []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "snapshot"}},
	}
	for _, c := range cases {
		v := rc.val(c.args...)
		order, _ := infoSections(t, v.str)
		if strings.Join(order, ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: sections %v, want %v", c.args, order, c.want)
		}
	}
	if got := rc.do("INFO", "nosuchsection"); got != "$0\r\n\r\n" {
		t.Errorf("unknown section: %q", got)
	}
	_, secs := infoSections(t, rc.val("INFO", "persistence", "snapshot").str)
	if secs["persistence"]["loading"] != "0" || secs["persistence"]["aof_enabled"] != "0" || secs["persistence"]["wal_enabled"] != "0" {
		t.Errorf("persistence with the owner's fields: %v", secs["persistence"])
	}
	if secs["snapshot"]["snapshot_count"] != "2" {
		t.Errorf("own section: %v", secs["snapshot"])
	}
}

func TestInfoLoading(t *testing.T) {
	ts := startServerOpts(t, func(o *Options) {
		o.Loading = func() LoadingInfo {
			return LoadingInfo{StartUnix: 1700000000, TotalBytes: 1000, LoadedBytes: 250, Percent: 25, ETASeconds: 7}
		}
		o.InfoSections = map[string]func() string{
			"replication": func() string { return "role:master\r\nconnected_slaves:0\r\nmaster_repl_offset:42\r\n" },
		}
	})
	ts.srv.SetLoading(true)
	rc := ts.rawConn(t)
	_, secs := infoSections(t, rc.val("INFO").str)
	p := secs["persistence"]
	want := map[string]string{"loading": "1", "loading_start_time": "1700000000", "loading_total_bytes": "1000",
		"loading_loaded_bytes": "250", "loading_loaded_perc": "25.00", "loading_eta_seconds": "7"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("persistence.%s = %q, want %q", k, p[k], v)
		}
	}
	if secs["replication"]["master_repl_offset"] != "42" || len(secs["replication"]) != 3 {
		t.Errorf("replication override: %v", secs["replication"])
	}
	// What works while loading, and what answers -LOADING.
	allowed := [][]string{{"HELLO", "3"}, {"INFO", "server"}, {"CLIENT", "ID"}, {"CONFIG", "GET", "port"}, {"COMMAND", "COUNT"},
		{"SELECT", "0"}, {"TIME"}, {"ECHO", "x"}, {"AUTH", "default", "x"}, {"LASTSAVE"}}
	for _, a := range allowed {
		if got := rc.do(a...); strings.HasPrefix(got, "-") {
			t.Errorf("%q while loading: %q", a, got)
		}
	}
	for _, a := range [][]string{{"PING"}, {"DBSIZE"}} {
		if got := rc.do(a...); !strings.HasPrefix(got, "-LOADING ") {
			t.Errorf("%q while loading: %q, want -LOADING", a, got)
		}
	}
	ts.srv.SetLoading(false)
	_, secs = infoSections(t, rc.val("INFO", "persistence").str)
	if secs["persistence"]["loading"] != "0" || secs["persistence"]["loading_eta_seconds"] != "" {
		t.Errorf("after loading: %v", secs["persistence"])
	}
}

func TestInfoStats(t *testing.T) {
	ts := startServer(t)
	rc := ts.rawConn(t)
	rc.do("CONFIG", "RESETSTAT")
	for i := 0; i < 3; i++ {
		rc.do("ECHO", "x")
	}
	rc.do("ECHO")                        // rejected: arity
	rc.do("CLIENT", "SETNAME", "a b")    // failed
	rc.do("CLIENT", "SETNAME", "x", "y") // rejected: subcommand arity
	rc.do("CLIENT", "ID")
	rc.do("CLIENT", "nosuch")
	rc.do("COMMAND", "COUNT")
	s := rc.val("INFO", "commandstats").str
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(s), "\r\n")[1:] {
		k, v, _ := strings.Cut(l, ":")
		lines[k] = v
	}
	re := regexp.MustCompile(`^calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)$`)
	want := map[string][3]string{ // calls, rejected, failed
		"cmdstat_echo":             {"3", "1", "0"},
		"cmdstat_client|setname":   {"1", "1", "1"},
		"cmdstat_client|id":        {"1", "0", "0"},
		"cmdstat_client":           {"1", "0", "1"}, // the unknown subcommand
		"cmdstat_command|count":    {"1", "0", "0"},
		"cmdstat_config|resetstat": {"1", "0", "0"},
	}
	for k, w := range want {
		m := re.FindStringSubmatch(lines[k])
		if m == nil {
			t.Errorf("%s = %q (all: %v)", k, lines[k], lines)
			continue
		}
		if m[1] != w[0] || m[4] != w[1] || m[5] != w[2] {
			t.Errorf("%s = %q, want calls=%s rejected=%s failed=%s", k, lines[k], w[0], w[1], w[2])
		}
	}
	if _, ok := lines["cmdstat_command"]; ok {
		t.Errorf("COMMAND COUNT also counted on the container: %v", lines)
	}
	_, secs := infoSections(t, rc.val("INFO", "stats").str)
	if n, _ := strconv.Atoi(secs["stats"]["total_commands_processed"]); n < 9 {
		t.Errorf("total_commands_processed = %d", n)
	}
	if n, _ := strconv.Atoi(secs["stats"]["total_error_replies"]); n < 4 {
		t.Errorf("total_error_replies = %d", n)
	}
	if n, _ := strconv.Atoi(secs["stats"]["total_connections_received"]); n != 0 {
		t.Errorf("total_connections_received after RESETSTAT = %d", n)
	}
	// instantaneous_ops_per_sec follows a burst, sampled by the cron.
	for i := 0; i < 200; i++ {
		rc.write(encodeCmd("ECHO", "x"))
	}
	for i := 0; i < 200; i++ {
		rc.read()
	}
	waitFor(t, 5e9, "instantaneous_ops_per_sec > 0", func() bool {
		_, secs := infoSections(t, rc.val("INFO", "stats").str)
		n, _ := strconv.Atoi(secs["stats"]["instantaneous_ops_per_sec"])
		return n > 0
	})
}

func TestBytesToHuman(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 1023: "1023B", 1024: "1.00K", 1536: "1.50K", 1 << 20: "1.00M", 3 << 30: "3.00G", 1 << 40: "1.00T"} {
		if got := bytesToHuman(n); got != want {
			t.Errorf("bytesToHuman(%d) = %q, want %q", n, got, want)
		}
	}
}
