package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fastcache/object"
	"fastcache/shard"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fastcache/config"
)

// Server administration: CONFIG, TIME, DBSIZE, LASTSAVE, SHUTDOWN, and the
// server-wide state behind INFO (run id, memory peak, ops/sec).

// adminState is the Server's INFO/administration state.
type adminState struct {
	runID, replID string
	peakMem       atomic.Int64
	opsPerSec     atomic.Int64

	mu        sync.Mutex // guards the ops samples (cron goroutine)
	lastCount int64
	lastTime  time.Time
	samples   [8]int64
	nsamples  int
}

func randomHex40() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// initAdmin sets up the INFO state; New calls it.
func (s *Server) initAdmin() {
	s.admin.runID = randomHex40()
	s.admin.replID = randomHex40()
	s.admin.lastTime = time.Now()
}

// notePeak records used as a candidate memory peak and returns the peak.
func (a *adminState) notePeak(used int64) int64 {
	for {
		p := a.peakMem.Load()
		if used <= p {
			return p
		}
		if a.peakMem.CompareAndSwap(p, used) {
			return used
		}
	}
}

// adminCron runs once a second from the server cron: the ops/sec figure
// (averaged over the last samples, like Redis's instantaneous_ops_per_sec)
// and the memory peak.
func (s *Server) adminCron() {
	a := &s.admin
	a.notePeak(s.cache.UsedMemory())
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	count := s.commandsProcessed.Load()
	el := now.Sub(a.lastTime).Seconds()
	if el <= 0 {
		return
	}
	rate := int64(float64(count-a.lastCount) / el)
	if rate < 0 {
		rate = 0
	}
	a.lastCount, a.lastTime = count, now
	a.samples[a.nsamples%len(a.samples)] = rate
	a.nsamples++
	n := min(a.nsamples, len(a.samples))
	var sum int64
	for _, v := range a.samples[:n] {
		sum += v
	}
	a.opsPerSec.Store(sum / int64(n))
}

// resetStats implements CONFIG RESETSTAT.
func (s *Server) resetStats() {
	for _, cmd := range commands {
		resetCommandStats(cmd)
		for _, sub := range cmd.Sub {
			resetCommandStats(sub)
		}
	}
	s.commandsProcessed.Store(0)
	s.connsReceived.Store(0)
	s.connsRejected.Store(0)
	s.protoErrors.Store(0)
	s.evictedClients.Store(0)
	s.admin.peakMem.Store(0)
	s.admin.mu.Lock()
	s.admin.lastCount, s.admin.lastTime, s.admin.nsamples = 0, time.Now(), 0
	s.admin.mu.Unlock()
	s.admin.opsPerSec.Store(0)
	s.cache.ResetStats()
	s.errStats.reset()
}

func resetCommandStats(cmd *Command) {
	cmd.calls.Store(0)
	cmd.usec.Store(0)
	cmd.failed.Store(0)
	cmd.rejected.Store(0)
	cmd.hist.Store(nil)
}

// registerConfigHooks makes CONFIG SET of the memory directives reach the
// cache at run time; New calls it. (maxclients, timeout, requirepass and the
// protocol limits are read from the config where they are used.)
func (s *Server) registerConfigHooks() {
	if s.cfg == nil || s.cache == nil {
		return
	}
	s.registerMinReplicasHooks()
	s.cfg.OnChange("maxmemory", func(cfg *config.Config) error {
		s.cache.SetMaxMemory(cfg.MaxMemory())
		s.setClientMemLimit(cfg) // maxmemory-clients may be a percent of it
		return nil
	})
	s.setClientMemLimit(s.cfg)
	s.cfg.OnChange("maxmemory-clients", func(cfg *config.Config) error {
		s.setClientMemLimit(cfg)
		return nil
	})
	s.cfg.OnChange("maxmemory-policy", func(cfg *config.Config) error {
		s.cache.SetPolicy(cfg.MaxMemoryPolicy())
		return nil
	})
	s.cfg.OnChange("maxmemory-samples", func(cfg *config.Config) error {
		s.cache.SetSamples(cfg.MaxMemorySamples())
		return nil
	})
	encodings := func(cfg *config.Config) error {
		object.HashMaxListpackEntries.Store(cfg.HashMaxListpackEntries())
		object.HashMaxListpackValue.Store(cfg.HashMaxListpackValue())
		object.SetMaxIntsetEntries.Store(cfg.SetMaxIntsetEntries())
		object.ZSetMaxListpackEntries.Store(cfg.ZSetMaxListpackEntries())
		object.ZSetMaxListpackValue.Store(cfg.ZSetMaxListpackValue())
		object.StreamNodeMaxBytes.Store(cfg.StreamNodeMaxBytes())
		object.StreamNodeMaxEntries.Store(cfg.StreamNodeMaxEntries())
		object.ListMaxListpackSize.Store(cfg.ListMaxListpackSize())
		object.ListCompressDepth.Store(cfg.ListCompressDepth())
		object.HLLSparseMaxBytes.Store(cfg.HLLSparseMaxBytes())
		return nil
	}
	encodings(s.cfg)
	lfu := func(cfg *config.Config) error {
		shard.LFULogFactor.Store(cfg.LFULogFactor())
		shard.LFUDecayTime.Store(cfg.LFUDecayTime())
		return nil
	}
	lfu(s.cfg)
	// the background work's Redis knobs: expiry effort, eviction time
	background := func(cfg *config.Config) error {
		s.cache.SetActiveExpireEffort(cfg.ParamInt("active-expire-effort"))
		s.cache.SetEvictionTenacity(cfg.ParamInt("maxmemory-eviction-tenacity"))
		return nil
	}
	background(s.cfg)
	s.cfg.OnChange("active-expire-effort", background)
	s.cfg.OnChange("maxmemory-eviction-tenacity", background)
	s.cfg.OnChange("lfu-log-factor", lfu)
	s.cfg.OnChange("lfu-decay-time", lfu)
	for _, name := range []string{"hash-max-listpack-entries", "hash-max-listpack-value",
		"set-max-intset-entries", "zset-max-listpack-entries", "zset-max-listpack-value",
		"list-max-listpack-size", "list-compress-depth", "stream-node-max-bytes", "stream-node-max-entries",
		"hll-sparse-max-bytes"} {
		s.cfg.OnChange(name, encodings)
	}
	// proto-max-bulk-len also bounds the strings APPEND and SETRANGE build.
	s.cache.SetMaxStringLen(s.cfg.ProtoMaxBulkLen())
	s.cfg.OnChange("proto-max-bulk-len", func(cfg *config.Config) error {
		s.cache.SetMaxStringLen(cfg.ProtoMaxBulkLen())
		return nil
	})
}

func init() {
	cfg := &Command{Name: "config", Arity: -2, Flags: flagLoading, Group: "server", Since: "2.0.0",
		Summary: "A container for server configuration commands"}
	cfg.Handler = func(c *Client, args [][]byte) { runSub(c, cfg, args) }
	cfg.Sub = subTable(
		&Command{Name: "config|get", Arity: -3, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.0.0",
			Summary: "Get the values of configuration parameters", Handler: configGet},
		&Command{Name: "config|set", Arity: -4, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.0.0",
			Summary: "Set configuration parameters to the given values", Handler: configSet},
		&Command{Name: "config|resetstat", Arity: 2, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.0.0",
			Summary: "Reset the stats returned by INFO", Handler: configResetStat},
		&Command{Name: "config|rewrite", Arity: 2, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.8.0",
			Summary: "Rewrite the configuration file with the in memory configuration", Handler: configRewrite},
		&Command{Name: "config|help", Arity: 2, Flags: flagLoading, Group: "server", Since: "5.0.0",
			Summary: "Show helpful text about the different subcommands", Handler: configHelp},
	)
	register(cfg,
		&Command{Name: "time", Arity: 1, Flags: flagLoading | flagFast, Group: "server", Since: "2.6.0",
			Summary: "Return the current server time", Handler: cmdTime},
		&Command{Name: "dbsize", Arity: 1, Flags: flagReadOnly | flagFast, Group: "server", Since: "1.0.0",
			Summary: "Return the number of keys in the selected database", Handler: cmdDBSize},
		&Command{Name: "lastsave", Arity: 1, Flags: flagLoading | flagFast, Group: "server", Since: "1.0.0",
			Summary: "Get the UNIX time stamp of the last successful save to disk", Handler: cmdLastSave},
		&Command{Name: "shutdown", Arity: -1, Flags: flagAdmin | flagLoading | flagNoMulti, Group: "server", Since: "1.0.0",
			Summary: "Synchronously save the dataset to disk and then shut down the server", Handler: cmdShutdown},
	)
}

func configGet(c *Client, args [][]byte) {
	seen := map[string]bool{}
	var pairs []string
	for _, pat := range args[2:] {
		for _, kv := range c.srv.configGet(string(pat)) {
			if k := strings.ToLower(kv[0]); !seen[k] { // as Redis's case-insensitive dict of matches
				seen[k] = true
				pairs = append(pairs, kv[0], kv[1])
			}
		}
	}
	c.reply.Map(len(pairs) / 2)
	for _, s := range pairs {
		c.reply.BulkString(s)
	}
}

func configSet(c *Client, args [][]byte) {
	if (len(args)-2)%2 != 0 {
		c.reply.Error(errSyntax) // Redis checks the pairs after the arity
		return
	}
	pairs := make([]string, 0, len(args)-2)
	for i, a := range args[2:] {
		if i%2 == 0 && c.ks.InTx() && eqFold(a, "appendonly") {
			// Starting or stopping the log locks every shard, which EXEC
			// holds: the CONFIG SET runs once EXEC has unlocked them, its
			// reply in its place (Redis allows it in a transaction).
			c.afterExec(func() { configSet(c, args) })
			return
		}
		pairs = append(pairs, string(a))
	}
	if err := c.srv.configSetFrom(pairs, c.isLocal()); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "ERR ") {
			msg = "ERR " + msg
		}
		c.reply.Error(msg)
		return
	}
	for i := 0; i < len(pairs); i += 2 {
		if strings.EqualFold(pairs[i], "tracking-table-max-keys") {
			// a lower limit applies at once (Redis: its next cron)
			if max := c.srv.cfg.TrackingTableMaxKeys(); max > 0 && c.srv.psrv.trk.nkeys.Load() > max {
				c.srv.trackingLimit(nil, max)
			}
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		if strings.EqualFold(pairs[i], "maxmemory") {
			// A limit under the memory in use evicts at once, as Redis
			// does, not at the next write (after EXEC: its commands hold
			// every shard).
			evict := func() { _ = c.srv.cache.CheckWrite(true) }
			if c.ks.InTx() {
				c.afterExec(evict)
			} else {
				evict()
			}
			break
		}
	}
	c.reply.OK()
}

func configResetStat(c *Client, args [][]byte) {
	c.srv.resetStats()
	c.reply.OK()
}

func configRewrite(c *Client, args [][]byte) {
	if c.srv.configFile() == "" {
		c.reply.Error("ERR The server is running without a config file")
		return
	}
	if err := c.srv.cfg.Rewrite(configUsers(c)); err != nil {
		c.srv.log.Warn().Err(err).Msg("CONFIG REWRITE failed")
		c.reply.Error("ERR Rewriting config file: " + rewriteStrerror(err))
		return
	}
	c.srv.log.Info().Msg("CONFIG REWRITE executed with success.")
	c.reply.OK()
}

// configUsers are the users a config rewrite writes: all of them, unless an
// aclfile keeps them.
func configUsers(c *Client) []string {
	var users []string
	if c.srv.aclFile() == "" {
		for _, u := range c.srv.acl.list() {
			users = append(users, "user "+u.name+" "+u.perms().describe())
		}
	}
	return users
}

// rewriteStrerror is a failed rewrite's error as Redis's strerror text.
func rewriteStrerror(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return aclStrerror(err)
}

var configHelpLines = []string{
	"GET <pattern>",
	"    Return parameters matching the glob-like <pattern> and their values.",
	"SET <directive> <value>",
	"    Set the configuration <directive> to <value>.",
	"RESETSTAT",
	"    Reset statistics reported by the INFO command.",
	"REWRITE",
	"    Rewrite the configuration file.",
}

func configHelp(c *Client, args [][]byte) { replyHelp(c, "config", configHelpLines) }

func cmdTime(c *Client, args [][]byte) {
	now := time.Now()
	c.reply.Array(2)
	c.reply.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.reply.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// DBSIZE reads the shards' counters without locks, so it is safe inside
// EXEC (where every shard is already locked).
func cmdDBSize(c *Client, args [][]byte) { c.reply.Int(c.ks.DBSize()) }

// LASTSAVE is the last snapshot's time when snapshots are on; without them
// it is the server's start time (nothing was ever saved: a placeholder, as
// Redis reports its start time before the first save).
func cmdLastSave(c *Client, args [][]byte) {
	if sn := c.srv.snapshots(); sn != nil {
		if t := sn.LastSave(); t > 0 {
			c.reply.Int(t)
			return
		}
	}
	c.reply.Int(c.srv.startTime.Unix())
}

func cmdShutdown(c *Client, args [][]byte) {
	if c.multi {
		c.rejectInMulti()
		c.reply.Error("ERR Command not allowed inside a transaction")
		return
	}
	var save *bool
	abort, flagsSet, force, now := false, false, false, false
	for _, a := range args[1:] {
		switch {
		case eqFold(a, "nosave"):
			if save != nil && *save {
				c.reply.Error(msgSyntaxErr)
				return
			}
			v := false
			save, flagsSet = &v, true
		case eqFold(a, "save"):
			if save != nil && !*save {
				c.reply.Error(msgSyntaxErr)
				return
			}
			v := true
			save, flagsSet = &v, true
		case eqFold(a, "now"):
			flagsSet, now = true, true
		case eqFold(a, "force"):
			flagsSet, force = true, true
		case eqFold(a, "abort"):
			abort = true
		default:
			c.reply.Error(msgSyntaxErr)
			return
		}
	}
	if abort {
		if flagsSet {
			c.reply.Error(msgSyntaxErr)
			return
		}
		if !c.srv.abortShutdown() && !c.srv.abortShutdownWait() {
			c.reply.Error("ERR No shutdown in progress.")
			return
		}
		c.srv.log.Warn().Msg("Shutdown manually aborted.")
		c.reply.OK()
		return
	}
	if !now && !c.mayBlock() {
		c.reply.Error("ERR SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client")
		return
	}
	c.srv.log.Warn().Str("client", c.Addr).Msg("User requested shutdown...")
	if waiting, gen := c.srv.beginShutdown(save, force, now); waiting {
		c.shutdownBlock(gen) // until the replicas are in sync (shutdown.go)
		return
	}
	if !c.srv.finishShutdown(save, force) {
		c.reply.Error(msgShutdownErr)
		return
	}
	// Success: like Redis, the client gets no reply; the connection closes.
	c.closeAfter = true
}

// ---- config adapters ----

// configGet returns name/value pairs matching pattern.
func (s *Server) configGet(pattern string) [][2]string {
	return s.cfg.Get(pattern)
}

// configSetFrom applies name/value pairs atomically (Redis 7 semantics);
// local: the client connected over loopback or the unix socket.
func (s *Server) configSetFrom(pairs []string, local bool) error {
	kv := make([][2]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		kv = append(kv, [2]string{pairs[i], pairs[i+1]})
	}
	return s.cfg.SetFrom(kv, local)
}

// configFile is the config file's path ("" when started without one).
func (s *Server) configFile() string { return s.cfg.File() }
