package server

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"fastcache/pubsub"
)

// INFO: Redis 7.0's sections and field names, with fastcache's own figures
// where Redis's have no equivalent (Go runtime memory, WAL state through
// Options.InfoSections).

func init() {
	register(&Command{Name: "info", Arity: -1, Flags: flagLoading, Group: "server", Since: "1.0.0",
		Summary: "Get information and statistics about the server", Handler: cmdInfo})
}

// infoSection is one built-in section: its name and body writer.
type infoSection struct {
	name string // lower case
	def  bool   // part of the default set
	gen  func(s *Server, b *strings.Builder)
}

var builtinSections = []infoSection{
	{"server", true, (*Server).infoServer},
	{"clients", true, (*Server).infoClients},
	{"memory", true, (*Server).infoMemory},
	{"persistence", true, (*Server).infoPersistence},
	{"stats", true, (*Server).infoStats},
	{"replication", true, (*Server).infoReplication},
	{"cpu", true, (*Server).infoCPU},
	{"modules", true, nil},
	{"commandstats", false, (*Server).infoCommandStats},
	{"errorstats", true, (*Server).infoErrorStats},
	{"latencystats", false, (*Server).infoLatencyStats},
	{"cluster", true, func(s *Server, b *strings.Builder) { infoKV(b, "cluster_enabled", b2i(s.cluster != nil)) }},
	{"keyspace", true, (*Server).infoKeyspace},
}

func cmdInfo(c *Client, args [][]byte) {
	c.reply.Verbatim("txt", c.srv.infoString(args[1:]))
}

// InfoString renders INFO for the given section names (none = default).
func (s *Server) infoString(args [][]byte) string {
	want := map[string]bool{}
	all, everything, def := false, false, len(args) == 0
	for _, a := range args {
		switch n := strings.ToLower(string(a)); n {
		case "all":
			all = true
		case "everything":
			everything = true
		case "default":
			def = true
		default:
			want[n] = true
		}
	}
	var b strings.Builder
	n := 0
	header := func(name string) {
		if n > 0 {
			b.WriteString("\r\n")
		}
		n++
		b.WriteString("# ")
		b.WriteString(strings.ToUpper(name[:1]))
		b.WriteString(name[1:])
		b.WriteString("\r\n")
	}
	for _, sec := range builtinSections {
		if !(all || everything || want[sec.name] || (def && sec.def)) {
			continue
		}
		header(sec.name)
		if sec.gen != nil {
			sec.gen(s, &b)
		}
		// The owner's additions to a built-in section (persistence and
		// replication use theirs themselves).
		if f := s.opts.InfoSections[sec.name]; f != nil && sec.name != "persistence" && sec.name != "replication" {
			writeLines(&b, f())
		}
	}
	var extra []string
	for name := range s.opts.InfoSections {
		if !isBuiltinSection(name) {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		if name == "" || !(all || everything || want[strings.ToLower(name)]) {
			continue
		}
		header(name)
		writeLines(&b, s.opts.InfoSections[name]())
	}
	return b.String()
}

// writeLines appends a section body from an InfoSections function, making
// every line end with \r\n.
func isBuiltinSection(name string) bool {
	for _, sec := range builtinSections {
		if sec.name == name {
			return true
		}
	}
	return false
}

func writeLines(b *strings.Builder, body string) {
	for _, line := range strings.Split(strings.TrimRight(body, "\r\n"), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
}

func infoKV(b *strings.Builder, k string, v any) {
	b.WriteString(k)
	b.WriteByte(':')
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case float64:
		b.WriteString(strconv.FormatFloat(x, 'f', 2, 64))
	default:
		fmt.Fprint(b, x)
	}
	b.WriteString("\r\n")
}

func (s *Server) tcpPort() int {
	for _, a := range s.Addrs() {
		if ta, ok := a.(*net.TCPAddr); ok {
			return ta.Port
		}
	}
	return s.cfg.Port()
}

func (s *Server) infoServer(b *strings.Builder) {
	now := time.Now()
	up := int64(now.Sub(s.startTime) / time.Second)
	sys, rel, mach := uname()
	exe, _ := os.Executable()
	infoKV(b, "redis_version", Version)
	infoKV(b, "redis_git_sha1", "00000000")
	infoKV(b, "redis_git_dirty", 0)
	infoKV(b, "redis_build_id", "0")
	infoKV(b, "redis_mode", s.redisMode())
	infoKV(b, "os", strings.TrimSpace(sys+" "+rel+" "+mach))
	infoKV(b, "arch_bits", strconv.Itoa(strconv.IntSize))
	infoKV(b, "monotonic_clock", "POSIX clock_gettime")
	infoKV(b, "multiplexing_api", multiplexingAPI)
	infoKV(b, "atomicvar_api", "c11-builtin")
	infoKV(b, "gcc_version", "0.0.0")
	infoKV(b, "process_id", os.Getpid())
	infoKV(b, "process_supervised", "no")
	infoKV(b, "run_id", s.admin.runID)
	infoKV(b, "tcp_port", s.tcpPort())
	infoKV(b, "server_time_usec", now.UnixMicro())
	infoKV(b, "uptime_in_seconds", up)
	infoKV(b, "uptime_in_days", up/86400)
	infoKV(b, "hz", s.cfg.Hz())
	infoKV(b, "configured_hz", s.cfg.Hz())
	infoKV(b, "lru_clock", (now.Unix())&(1<<24-1))
	infoKV(b, "executable", exe)
	infoKV(b, "config_file", s.configFile())
	infoKV(b, "io_threads_active", 0)
	if ms, ok := s.shutdownInMs(); ok {
		infoKV(b, "shutdown_in_milliseconds", ms)
	}
	infoKV(b, "fastcache_version", FastcacheVersion)
	infoKV(b, "go_version", runtime.Version())
	infoKV(b, "gomaxprocs", runtime.GOMAXPROCS(0))
	infoKV(b, "shards", s.cache.Shards())
}

func (s *Server) infoClients(b *strings.Builder) {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	infoKV(b, "connected_clients", n)
	infoKV(b, "cluster_connections", 0)
	infoKV(b, "maxclients", s.cfg.MaxClients())
	infoKV(b, "client_recent_max_input_buffer", 0)
	infoKV(b, "client_recent_max_output_buffer", 0)
	infoKV(b, "blocked_clients", s.blk.count.Load()+s.pause.postponed.Load())
	infoKV(b, "tracking_clients", s.psrv.trk.nclients.Load())
	infoKV(b, "clients_in_timeout_table", s.blk.timeouts.Load())
}

// bytesToHuman formats n as Redis's INFO does (1.50M, 0B, ...).
func bytesToHuman(n int64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", d/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", d/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", d/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", d/(1<<40))
	default:
		return fmt.Sprintf("%.2fP", d/(1<<50))
	}
}

// rssBytes is the resident set size from /proc/self/statm (0 if unknown).
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

func (s *Server) infoMemory(b *strings.Builder) {
	used := s.cache.UsedMemory()
	peak := s.admin.notePeak(used)
	rss := rssBytes()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	total := totalSystemMemory()
	max := s.cache.MaxMemory()
	infoKV(b, "used_memory", used)
	infoKV(b, "used_memory_human", bytesToHuman(used))
	infoKV(b, "used_memory_rss", rss)
	infoKV(b, "used_memory_rss_human", bytesToHuman(rss))
	infoKV(b, "used_memory_peak", peak)
	infoKV(b, "used_memory_peak_human", bytesToHuman(peak))
	perc := 0.0
	if peak > 0 {
		perc = 100 * float64(used) / float64(peak)
	}
	infoKV(b, "used_memory_peak_perc", strconv.FormatFloat(perc, 'f', 2, 64)+"%")
	// used_memory counts keys and values only: no overhead in it.
	infoKV(b, "used_memory_overhead", 0)
	infoKV(b, "used_memory_startup", 0)
	infoKV(b, "used_memory_dataset", used)
	infoKV(b, "used_memory_dataset_perc", "100.00%")
	// The allocator is Go's heap.
	alloc, active, resident := int64(ms.HeapAlloc), int64(ms.HeapInuse), int64(ms.HeapSys-ms.HeapReleased)
	infoKV(b, "allocator_allocated", alloc)
	infoKV(b, "allocator_active", active)
	infoKV(b, "allocator_resident", resident)
	infoKV(b, "total_system_memory", total)
	infoKV(b, "total_system_memory_human", bytesToHuman(total))
	s.infoScripts(b) // script_info.go
	infoKV(b, "maxmemory", max)
	infoKV(b, "maxmemory_human", bytesToHuman(max))
	infoKV(b, "maxmemory_policy", s.cache.Policy())
	infoKV(b, "allocator_frag_ratio", ratio(active, alloc))
	infoKV(b, "allocator_frag_bytes", active-alloc)
	infoKV(b, "allocator_rss_ratio", ratio(resident, active))
	infoKV(b, "allocator_rss_bytes", resident-active)
	infoKV(b, "rss_overhead_ratio", ratio(rss, resident))
	infoKV(b, "rss_overhead_bytes", rss-resident)
	frag := 0.0
	if used > 0 {
		frag = float64(rss) / float64(used)
	}
	infoKV(b, "mem_fragmentation_ratio", frag)
	infoKV(b, "mem_fragmentation_bytes", rss-used)
	for _, k := range []string{"mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves"} {
		infoKV(b, k, 0)
	}
	infoKV(b, "mem_clients_normal", s.clientsMemory()) // what maxmemory-clients limits
	infoKV(b, "mem_cluster_links", 0)
	infoKV(b, "mem_aof_buffer", 0)
	infoKV(b, "mem_allocator", "go")
	infoKV(b, "active_defrag_running", 0)
	infoKV(b, "lazyfree_pending_objects", 0)
	infoKV(b, "lazyfreed_objects", 0)
	infoKV(b, "go_heap_alloc", ms.HeapAlloc)
	infoKV(b, "go_heap_inuse", ms.HeapInuse)
	infoKV(b, "go_heap_sys", ms.HeapSys)
	infoKV(b, "go_sys", ms.Sys)
	infoKV(b, "go_gc_cycles", ms.NumGC)
	infoKV(b, "go_gc_pause_total_ns", ms.PauseTotalNs)
	infoKV(b, "go_goroutines", runtime.NumGoroutine())
}

func (s *Server) infoPersistence(b *strings.Builder) {
	loading := s.loading.Load()
	infoKV(b, "loading", infoBool(loading))
	infoKV(b, "async_loading", 0)
	if loading && s.opts.Loading != nil {
		li := s.opts.Loading()
		infoKV(b, "loading_start_time", li.StartUnix)
		infoKV(b, "loading_total_bytes", li.TotalBytes)
		infoKV(b, "loading_rdb_used_mem", 0)
		infoKV(b, "loading_loaded_bytes", li.LoadedBytes)
		infoKV(b, "loading_loaded_perc", li.Percent)
		infoKV(b, "loading_eta_seconds", li.ETASeconds)
		infoKV(b, "loading_loaded_records", li.LoadedRecords)
	}
	if f := s.opts.InfoSections["persistence"]; f != nil {
		writeLines(b, f())
	}
}

// errorReplies is the number of error replies sent (every one goes through
// Reply.Error, which counts it; latencystats.go).
func (s *Server) errorReplies() int64 { return s.errStats.total.Load() }

func (s *Server) infoStats(b *strings.Builder) {
	st := s.cache.Stats()
	infoKV(b, "total_connections_received", s.connsReceived.Load())
	infoKV(b, "total_commands_processed", s.commandsProcessed.Load())
	infoKV(b, "instantaneous_ops_per_sec", s.admin.opsPerSec.Load())
	infoKV(b, "total_net_input_bytes", 0)
	infoKV(b, "total_net_output_bytes", 0)
	infoKV(b, "instantaneous_input_kbps", 0.0)
	infoKV(b, "instantaneous_output_kbps", 0.0)
	infoKV(b, "rejected_connections", s.connsRejected.Load())
	var full, pok, perr int64
	if ss, ok := s.opts.Replication.(interface{ SyncStats() (int64, int64, int64) }); ok {
		full, pok, perr = ss.SyncStats()
	}
	full += s.rdbSyncs.Load() // an RDB file taken with SYNC is a full sync, as Redis counts it
	infoKV(b, "sync_full", full)
	infoKV(b, "sync_partial_ok", pok)
	infoKV(b, "sync_partial_err", perr)
	infoKV(b, "expired_keys", st.Expired)
	infoKV(b, "expired_stale_perc", st.ExpiredStalePerc)
	infoKV(b, "expired_time_cap_reached_count", 0)
	infoKV(b, "expire_cycle_cpu_milliseconds", 0)
	infoKV(b, "evicted_keys", st.Evicted)
	infoKV(b, "evicted_clients", s.evictedClients.Load())
	infoKV(b, "total_eviction_exceeded_time", 0)
	infoKV(b, "current_eviction_exceeded_time", 0)
	infoKV(b, "keyspace_hits", st.Hits)
	infoKV(b, "keyspace_misses", st.Misses)
	infoKV(b, "pubsub_channels", s.psrv.reg.Count(pubsub.Channel))
	infoKV(b, "pubsub_patterns", s.psrv.reg.Count(pubsub.Pattern))
	infoKV(b, "pubsubshard_channels", s.psrv.reg.Count(pubsub.Shard))
	infoKV(b, "latest_fork_usec", 0)
	infoKV(b, "total_forks", 0)
	infoKV(b, "migrate_cached_sockets", s.migrate.count())
	infoKV(b, "slave_expires_tracked_keys", 0)
	infoKV(b, "active_defrag_hits", 0)
	infoKV(b, "active_defrag_misses", 0)
	infoKV(b, "active_defrag_key_hits", 0)
	infoKV(b, "active_defrag_key_misses", 0)
	infoKV(b, "total_active_defrag_time", 0)
	infoKV(b, "current_active_defrag_time", 0)
	infoKV(b, "tracking_total_keys", s.psrv.trk.nkeys.Load())
	infoKV(b, "tracking_total_items", s.psrv.trk.nitems.Load())
	infoKV(b, "tracking_total_prefixes", s.psrv.trk.nprefixes.Load())
	infoKV(b, "unexpected_error_replies", 0)
	infoKV(b, "total_error_replies", s.errorReplies())
	infoKV(b, "dump_payload_sanitizations", 0)
	infoKV(b, "total_reads_processed", s.commandsProcessed.Load())
	infoKV(b, "total_writes_processed", s.commandsProcessed.Load())
	infoKV(b, "io_threaded_reads_processed", 0)
	infoKV(b, "io_threaded_writes_processed", 0)
	infoKV(b, "reply_buffer_shrinks", 0)
	infoKV(b, "reply_buffer_expands", 0)
	infoKV(b, "protocol_errors", s.protoErrors.Load())
	cycles, polls := s.loopStats()
	infoKV(b, "eventloop_cycles", cycles)
	infoKV(b, "eventloop_busy_polls", polls)
}

func (s *Server) infoReplication(b *strings.Builder) {
	if f := s.opts.InfoSections["replication"]; f != nil {
		writeLines(b, f())
		return
	}
	infoKV(b, "role", "master")
	infoKV(b, "connected_slaves", 0)
	infoKV(b, "master_failover_state", "no-failover")
	infoKV(b, "master_replid", s.admin.replID)
	infoKV(b, "master_replid2", strings.Repeat("0", 40))
	infoKV(b, "master_repl_offset", 0)
	infoKV(b, "second_repl_offset", -1)
	infoKV(b, "repl_backlog_active", 0)
	infoKV(b, "repl_backlog_size", 1048576)
	infoKV(b, "repl_backlog_first_byte_offset", 0)
	infoKV(b, "repl_backlog_histlen", 0)
}

// tv prints a CPU time as INFO does (seconds, 6 decimals).
func tv(d time.Duration) string {
	return fmt.Sprintf("%d.%06d", d/time.Second, d%time.Second/time.Microsecond)
}

func (s *Server) infoCPU(b *strings.Builder) {
	sys, user, childSys, childUser := cpuTimes()
	infoKV(b, "used_cpu_sys", tv(sys))
	infoKV(b, "used_cpu_user", tv(user))
	infoKV(b, "used_cpu_sys_children", tv(childSys))
	infoKV(b, "used_cpu_user_children", tv(childUser))
	// Go has no main thread: the process's figures stand for it.
	infoKV(b, "used_cpu_sys_main_thread", tv(sys))
	infoKV(b, "used_cpu_user_main_thread", tv(user))
}

// ratio is a/b as INFO prints ratios (0 when b is 0).
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (s *Server) infoCommandStats(b *strings.Builder) {
	line := func(name string, calls, usec, rejected, failed int64) {
		if calls <= 0 && rejected <= 0 && failed <= 0 {
			return
		}
		calls, usec = max(calls, 0), max(usec, 0)
		per := 0.0
		if calls > 0 {
			per = float64(usec) / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			name, calls, usec, per, max(rejected, 0), max(failed, 0))
	}
	for _, st := range commandStats() {
		line(st.Name, st.Calls, st.Usec, st.Rejected, st.Failed)
	}
}

// commandStats lists every command and subcommand of the table by name with
// its counters; a container's are its own share only, as Redis shows them
// (runSub counts its calls on the subcommand too).
func commandStats() []CommandStat {
	var out []CommandStat
	for _, cmd := range sortedCommands() {
		calls, usec, failed := cmd.calls.Load(), cmd.usec.Load(), cmd.failed.Load()
		subs := sortedSubs(cmd)
		for _, sub := range subs {
			calls -= sub.calls.Load() + sub.rejected.Load()
			usec -= sub.usec.Load()
			failed -= sub.failed.Load() + sub.rejected.Load()
		}
		out = append(out, CommandStat{Name: cmd.Name, Calls: calls, Usec: usec, Rejected: cmd.rejected.Load(), Failed: failed, cmd: cmd})
		for _, sub := range subs {
			out = append(out, CommandStat{Name: sub.Name, Calls: sub.calls.Load(), Usec: sub.usec.Load(),
				Rejected: sub.rejected.Load(), Failed: sub.failed.Load(), cmd: sub})
		}
	}
	return out
}

func (s *Server) infoKeyspace(b *strings.Builder) {
	for i, d := range s.cache.DBStats() {
		if d.Keys > 0 {
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", i, d.Keys, d.Expires)
		}
	}
}

func infoBool(v bool) int {
	if v {
		return 1
	}
	return 0
}
