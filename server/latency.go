package server

// LATENCY: Redis 7.0's latency monitor (LATEST, HISTORY, RESET, GRAPH,
// DOCTOR, fed by latency-monitor-threshold) and per-command latency
// histograms (HISTOGRAM, fed by latency-tracking).

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"fastcache/internal/latency"
)

func init() {
	const fl = flagAdmin | flagLoading
	lat := &Command{Name: "latency", Arity: -2, Flags: flagLoading, Group: "server", Since: "2.8.13",
		Summary: "A container for latency diagnostics commands"}
	lat.Handler = func(c *Client, args [][]byte) { runSub(c, lat, args) }
	lat.Sub = subTable(
		&Command{Name: "latency|doctor", Arity: 2, Flags: fl, Group: "server", Since: "2.8.13",
			Summary: "Return a human readable latency analysis report.", Handler: latencyDoctor},
		&Command{Name: "latency|graph", Arity: 3, Flags: fl, Group: "server", Since: "2.8.13",
			Summary: "Return a latency graph for the event.", Handler: latencyGraph},
		&Command{Name: "latency|history", Arity: 3, Flags: fl, Group: "server", Since: "2.8.13",
			Summary: "Return timestamp-latency samples for the event.", Handler: latencyHistory},
		&Command{Name: "latency|latest", Arity: 2, Flags: fl, Group: "server", Since: "2.8.13",
			Summary: "Return the latest latency samples for all events.", Handler: latencyLatest},
		&Command{Name: "latency|reset", Arity: -2, Flags: fl, Group: "server", Since: "2.8.13",
			Summary: "Reset latency data for one or more events.", Handler: latencyReset},
		&Command{Name: "latency|histogram", Arity: -2, Flags: fl, Group: "server", Since: "7.0.0",
			Summary: "Return the cumulative distribution of latencies of a subset of commands or all.", Handler: latencyHistogram},
		&Command{Name: "latency|help", Arity: 2, Flags: flagLoading, Group: "server", Since: "2.8.13",
			Summary: "Show helpful text about the different subcommands.", Handler: latencyHelp},
	)
	register(lat)
}

var latencyHelpLines = []string{
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
}

func latencyHelp(c *Client, args [][]byte) {
	c.reply.Array(len(latencyHelpLines) + 3)
	c.reply.Simple("LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range latencyHelpLines {
		c.reply.Simple(l)
	}
	c.reply.Simple("HELP")
	c.reply.Simple("    Prints this help.")
}

func latencyLatest(c *Client, args [][]byte) {
	l := c.srv.lat.Latest()
	c.reply.Array(len(l))
	for _, e := range l {
		c.reply.Array(4)
		c.reply.BulkString(e.Event)
		c.reply.Int(e.Time)
		c.reply.Int(e.Latency)
		c.reply.Int(e.Max)
	}
}

func latencyHistory(c *Client, args [][]byte) {
	h, _ := c.srv.lat.History(string(args[2]))
	c.reply.Array(len(h))
	for _, s := range h {
		c.reply.Array(2)
		c.reply.Int(s.Time)
		c.reply.Int(s.Latency)
	}
}

func latencyReset(c *Client, args [][]byte) {
	events := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		events = append(events, string(a))
	}
	if len(events) == 0 {
		c.reply.Int(int64(c.srv.lat.Reset()))
		return
	}
	n := 0
	for _, e := range events {
		n += c.srv.lat.Reset(e)
	}
	c.reply.Int(int64(n))
}

func latencyGraph(c *Client, args [][]byte) {
	g, ok := c.srv.lat.Graph(string(args[2]))
	if !ok {
		c.reply.Error("ERR No samples available for event '" + sanitize(args[2], 1<<20) + "'")
		return
	}
	c.reply.Verbatim("txt", g)
}

// latencyHistogram replies a map: command name -> {calls, histogram_usec}
// for the named commands (a container also brings its subcommands; unknown
// names and commands that never ran are skipped), or for all.
func latencyHistogram(c *Client, args [][]byte) {
	var cmds []*Command
	add := func(cmd *Command) {
		if h := cmd.hist.Load(); h != nil && h.Snapshot().Count() > 0 {
			cmds = append(cmds, cmd)
		}
	}
	if len(args) == 2 {
		for _, cmd := range sortedCommands() {
			add(cmd)
			for _, sub := range sortedSubs(cmd) {
				add(sub)
			}
		}
	} else {
		for _, a := range args[2:] {
			cmd := lookupFullName(a)
			if cmd == nil {
				continue
			}
			add(cmd)
			for _, sub := range sortedSubs(cmd) {
				add(sub)
			}
		}
	}
	c.reply.Map(len(cmds))
	for _, cmd := range cmds {
		snap := cmd.hist.Load().Snapshot()
		usec, count := snap.Cumulative()
		c.reply.BulkString(cmd.Name)
		c.reply.Map(2)
		c.reply.BulkString("calls")
		c.reply.Int(int64(snap.Count()))
		c.reply.BulkString("histogram_usec")
		c.reply.Map(len(usec))
		for i := range usec {
			c.reply.Int(usec[i])
			c.reply.Int(int64(count[i]))
		}
	}
}

func latencyDoctor(c *Client, args [][]byte) {
	c.reply.Verbatim("txt", c.srv.latencyReport())
}

// latencyReport is LATENCY DOCTOR's text: Redis's report, with advice for
// fastcache's own events (WAL fsync and writes, snapshots, segment removal).
func (s *Server) latencyReport() string {
	stats := s.lat.Analyze()
	thr := s.lat.Threshold()
	if len(stats) == 0 && thr == 0 {
		return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. " +
			"You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. " +
			"If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
	}
	var b strings.Builder
	advise := map[string]bool{}
	advices := 0
	note := func(keys ...string) {
		for _, k := range keys {
			advise[k] = true
			advices++
		}
	}
	for i, st := range stats {
		if i == 0 {
			b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
		}
		period := 0.0
		if st.Samples > 0 {
			period = float64(st.Period) / float64(st.Samples)
		}
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.",
			i+1, st.Event, st.Samples, st.Avg, st.MAD, period, st.AllTimeHigh)
		switch st.Event {
		case latency.EventCommand:
			if sl := s.cfg.SlowlogLogSlowerThan(); sl < 0 {
				note("slowlog-enable")
			} else if sl/1000 > thr {
				note("slowlog-tuning")
			}
			note("slowlog-inspect", "large-objects")
		case latency.EventFastCommand:
			note("scheduler")
		case latency.EventFsync:
			note("relax-fsync", "local-disk", "ssd", "disk-contention")
		case latency.EventWALWrite:
			note("local-disk", "disk-contention")
		case latency.EventSnapshot, latency.EventSegmentPrune:
			note("disk-contention", "local-disk")
		case latency.EventExpireCycle:
			note("hz", "large-objects")
		case latency.EventEviction:
			note("mass-eviction")
		}
		b.WriteString("\n")
	}
	if anonHugePages() > 0 {
		note("thp")
	}
	switch {
	case len(stats) == 0 && advices == 0:
		b.WriteString("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. " +
			"I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
		return b.String()
	case advices == 0:
		b.WriteString("\nWhile there are latency events logged, I'm not able to suggest any easy fix. " +
			"Please use the Redis community to get some help, providing this report in your help request.\n")
		return b.String()
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	for _, a := range doctorAdvice {
		if !advise[a.key] {
			continue
		}
		switch a.key {
		case "relax-fsync":
			if s.cfg.AppendFsync() != "always" {
				continue
			}
		case "hz":
			if s.cfg.Hz() >= 100 {
				continue
			}
		}
		text := a.text
		if strings.Contains(text, "%d") {
			text = strings.Replace(text, "%d", strconv.FormatInt(thr*1000, 10), 1)
		}
		b.WriteString("- ")
		b.WriteString(text)
		b.WriteString("\n")
	}
	return b.String()
}

// doctorAdvice is in the order the report gives it.
var doctorAdvice = []struct{ key, text string }{
	{"slowlog-enable", "There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you."},
	{"slowlog-tuning", "Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'."},
	{"slowlog-inspect", "Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information."},
	{"scheduler", "The system is slow to execute fastcache code paths not containing system calls. This usually means the system does not provide fastcache CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for fastcache if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check the Go runtime's pauses: go_gc_duration_seconds on /metrics (metrics-listen)."},
	{"local-disk", "It is strongly advised to use local disks for persistence: the WAL is fsynced often, and remote disks provided by platform-as-a-service providers are known to be slow."},
	{"ssd", "SSD disks are able to reduce fsync latency and the time a snapshot takes. With extremely high write load SSD disks can be a good option."},
	{"disk-contention", "Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other fastcache or Redis instances)."},
	{"relax-fsync", "Your fsync policy is set to 'always'. Every write waits for a WAL fsync (group commit shares one fsync between the clients that wrote meanwhile); if possible relax it to 'everysec'."},
	{"hz", "In order to make the keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'."},
	{"large-objects", "Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects."},
	{"mass-eviction", "Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or the allocation of large values, may create sudden memory pressure forcing the server to block trying to evict keys."},
	{"thp", "I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the process to get rid of the huge pages already created."},
}

// anonHugePages is the process's AnonHugePages in kB (0 if unknown).
func anonHugePages() int64 {
	data, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
