package server

// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: scripts are compiled once
// and cached by the SHA1 of their body; a run holds every shard (Cache.Atomic),
// so no other command interleaves with it and its writes become one
// transaction group in the WAL (the effects are logged, never the script);
// script_busy.go keeps the other clients answered while it runs.

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"fastcache/cache"
)

// scriptFlags are a script's shebang flags (#!lua flags=...).
type scriptFlags uint8

const (
	sfNoWrites scriptFlags = 1 << iota
	sfAllowOOM
	sfAllowStale
	sfNoCluster
	sfAllowCrossSlot
	sfCompat // no shebang: Redis's backwards-compatible EVAL mode
)

var scriptFlagNames = []struct {
	name string
	flag scriptFlags
}{
	{"no-writes", sfNoWrites},
	{"allow-oom", sfAllowOOM},
	{"allow-stale", sfAllowStale},
	{"no-cluster", sfNoCluster},
	{"allow-cross-slot-keys", sfAllowCrossSlot},
}

// luaScript is one cached EVAL script.
type luaScript struct {
	sha   string
	body  string
	proto *lua.FunctionProto
	fn    *lua.LFunction // bound to the engine that runs it (nil until then)
	eng   *luaEngine
	flags scriptFlags
	args  argTables // its loads of KEYS and ARGV (script_callconst.go)
	// it ends within a few thousand instructions: it runs without the
	// kill context's check before every instruction (script_bounded.go)
	bounded bool
}

// scripting is the server's script state.
type scripting struct {
	mu      sync.Mutex // guards scripts, bytes, eng (the pointer)
	scripts map[string]*luaScript
	bytes   int64 // SHA1s and bodies (INFO used_memory_scripts_eval)
	eng     *luaEngine
	engp    atomic.Pointer[luaEngine] // eng, read without mu
	last    atomic.Pointer[luaScript] // the script findScript found last (stored under mu)

	// runMu serialises every use of a Lua state (runs, FUNCTION LOAD).
	runMu sync.Mutex
	// running is the script in progress outside a transaction (nil: none).
	running atomic.Pointer[scriptRun]
	// turn is the executor holding the scripts' turn (nil: none); the
	// dispatcher reads it before every command (script_busy.go).
	turn, prevTurn atomic.Pointer[scriptTurn]
	// gates are the executors (event loops, goroutine connections) a
	// starting script waits to see idle (script_busy.go).
	gatesMu sync.Mutex
	gates   map[*execGate]struct{}

	// functions (function.go)
	fn functions

	calls, killed atomic.Int64
}

func (s *Server) initScripting() {
	s.scr.scripts = map[string]*luaScript{}
	s.scr.gates = map[*execGate]struct{}{}
	s.scr.fn.init()
}

// evalEngine returns the EVAL engine, building it on first use.
func (s *Server) evalEngine() *luaEngine {
	if e := s.scr.engp.Load(); e != nil {
		return e
	}
	s.scr.mu.Lock()
	defer s.scr.mu.Unlock()
	if s.scr.eng == nil {
		s.scr.eng = newLuaEngine(s)
		s.scr.eng.caller = s.newScriptClient()
		s.scr.engp.Store(s.scr.eng)
	}
	return s.scr.eng
}

// newScriptClient is the client redis.call runs commands as (Redis's
// lua_client): never connected, always authenticated.
func (s *Server) newScriptClient() *Client {
	cl := &Client{srv: s, ID: -1, Addr: "", authed: true}
	cl.reply.proto = 2
	cl.reply.errs = &s.errStats // the commands' error replies count, as Redis's
	cl.ks = s.cache.KeyspaceAt(&cl.nowMs)
	return cl
}

func init() {
	const ro = flagReadOnly
	evalCmd := func(name string, arity int, since, summary string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity,
			Group: "scripting", Since: since, Summary: summary, Handler: h}
	}
	script := &Command{Name: "script", Arity: -2, Group: "scripting", Since: "2.6.0",
		Summary: "A container for Lua scripts management commands"}
	script.Handler = func(c *Client, args [][]byte) { runSub(c, script, args) }
	script.Sub = subTable(
		&Command{Name: "script|load", Arity: 3, Group: "scripting", Since: "2.6.0",
			Summary: "Loads a server-side Lua script to the script cache.", Handler: scriptLoad},
		&Command{Name: "script|exists", Arity: -3, Group: "scripting", Since: "2.6.0",
			Summary: "Determines whether server-side Lua scripts exist in the script cache.", Handler: scriptExists},
		&Command{Name: "script|flush", Arity: -2, Group: "scripting", Since: "2.6.0",
			Summary: "Removes all server-side Lua scripts from the script cache.", Handler: scriptFlush},
		&Command{Name: "script|kill", Arity: 2, Group: "scripting", Since: "2.6.0",
			Summary: "Terminates a server-side Lua script during execution.", Handler: scriptKill},
		&Command{Name: "script|debug", Arity: 3, Group: "scripting", Since: "3.2.0",
			Summary: "Sets the debug mode of server-side Lua scripts.", Handler: scriptDebug},
		&Command{Name: "script|help", Arity: 2, Flags: flagLoading, Group: "scripting", Since: "5.0.0",
			Summary: "Returns helpful text about the different subcommands.", Handler: scriptHelp},
	)
	register(
		evalCmd("eval", -3, "2.6.0", "Executes a server-side Lua script.", func(c *Client, a [][]byte) { evalGeneric(c, a, false, false) }),
		evalCmd("evalsha", -3, "2.6.0", "Executes a server-side Lua script by SHA1 digest.", func(c *Client, a [][]byte) { evalGeneric(c, a, true, false) }),
		evalCmd("eval_ro", -3, "7.0.0", "Executes a read-only server-side Lua script.", func(c *Client, a [][]byte) { evalGeneric(c, a, false, true) }),
		evalCmd("evalsha_ro", -3, "7.0.0", "Executes a read-only server-side Lua script by SHA1 digest.", func(c *Client, a [][]byte) { evalGeneric(c, a, true, true) }),
		script,
	)
	for _, n := range []string{"eval_ro", "evalsha_ro"} {
		commands[n].Flags |= ro | flagScriptRO
	}
}

// parseShebang reads the flags of a "#!lua ..." first line; body is
// returned with that line blanked (line numbers stay).
func parseShebang(body string) (scriptFlags, string, string) {
	if !strings.HasPrefix(body, "#!") {
		return sfCompat, body, ""
	}
	end := strings.IndexByte(body, '\n')
	if end < 0 {
		return 0, "", "Invalid script shebang"
	}
	parts, ok := splitArgs(body[:end])
	if !ok || len(parts) == 0 {
		return 0, "", "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return 0, "", "Unexpected engine in script shebang: " + parts[0]
	}
	var flags scriptFlags
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "flags=") {
			return 0, "", "Unknown lua shebang option: " + p
		}
		list := p[len("flags="):]
		if list == "" {
			continue
		}
		for _, f := range strings.Split(list, ",") {
			found := false
			for _, d := range scriptFlagNames {
				if d.name == f {
					flags |= d.flag
					found = true
				}
			}
			if !found {
				return 0, "", "Unexpected flag in script shebang: " + f
			}
		}
	}
	return flags, "--" + strings.Repeat(" ", max(end-2, 0)) + body[end:], ""
}

// splitArgs is Redis's sdssplitargs for a shebang line: words separated by
// blanks, with "double" and 'single' quotes.
func splitArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var w strings.Builder
		inq, insq := false, false
		for ; i < len(line); i++ {
			ch := line[i]
			if inq {
				if ch == '"' {
					inq = false
					if i+1 < len(line) && line[i+1] != ' ' {
						return nil, false
					}
					continue
				}
				w.WriteByte(ch)
				continue
			}
			if insq {
				if ch == '\'' {
					insq = false
					if i+1 < len(line) && line[i+1] != ' ' {
						return nil, false
					}
					continue
				}
				w.WriteByte(ch)
				continue
			}
			if ch == ' ' || ch == '\t' || ch == '\r' {
				break
			}
			if ch == '"' {
				inq = true
				continue
			}
			if ch == '\'' {
				insq = true
				continue
			}
			w.WriteByte(ch)
		}
		if inq || insq {
			return nil, false
		}
		out = append(out, w.String())
	}
}

// loadScript compiles body into the cache (if not there) and returns it;
// msg is the error reply otherwise.
func (s *Server) loadScript(body []byte) (*luaScript, string) {
	sha := sha1hex(body)
	s.scr.mu.Lock()
	sc := s.scr.scripts[sha]
	s.scr.mu.Unlock()
	if sc != nil {
		return sc, ""
	}
	flags, src, msg := parseShebang(string(body))
	if msg != "" {
		return nil, "ERR " + msg
	}
	proto, err := compileLua(src, "user_script")
	if err != nil {
		return nil, "ERR Error compiling script (new function): " + compileError(err, "user_script", strings.Count(src, "\n")+1)
	}
	patchRedisCalls(proto)
	sc = &luaScript{sha: sha, body: string(body), proto: proto, flags: flags}
	sc.args.sites = patchArgGlobals(proto, nil)
	sc.bounded = boundedScript(proto)
	s.scr.mu.Lock()
	if old := s.scr.scripts[sha]; old != nil {
		sc = old
	} else {
		s.scr.scripts[sha] = sc
		s.scr.bytes += int64(len(sha) + len(body))
	}
	s.scr.mu.Unlock()
	return sc, ""
}

func (s *Server) findScript(sha []byte) *luaScript {
	if len(sha) != 40 {
		return nil
	}
	// A client runs the same script over and over: the last one found is
	// kept (SCRIPT FLUSH drops it).
	if sc := s.scr.last.Load(); sc != nil && (string(sha) == sc.sha || equalFold(sha, sc.sha)) {
		return sc
	}
	var low [40]byte
	for i, ch := range sha {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		low[i] = ch
	}
	s.scr.mu.Lock()
	sc := s.scr.scripts[string(low[:])] // no copy: a map index by string(bytes)
	if sc != nil {
		s.scr.last.Store(sc)
	}
	s.scr.mu.Unlock()
	return sc
}

// parseScriptNumKeys reads EVAL's and FCALL's numkeys, replying on error.
func parseScriptNumKeys(c *Client, args [][]byte) (int, bool) {
	n, ok := parseInt64(args[2])
	if !ok {
		c.reply.Err(cache.ErrNotInteger)
		return 0, false
	}
	if n > int64(len(args)-3) {
		c.reply.Error("ERR Number of keys can't be greater than number of args")
		return 0, false
	}
	if n < 0 {
		c.reply.Error("ERR Number of keys can't be negative")
		return 0, false
	}
	return int(n), true
}

func evalGeneric(c *Client, args [][]byte, bySHA, ro bool) {
	if bySHA && len(args[1]) != 40 { // no SHA1 can match: Redis answers before numkeys
		c.reply.Error("NOSCRIPT No matching script. Please use EVAL.")
		return
	}
	numkeys, ok := parseScriptNumKeys(c, args)
	if !ok {
		return
	}
	var sc *luaScript
	if bySHA {
		if sc = c.srv.findScript(args[1]); sc == nil {
			c.reply.Error("NOSCRIPT No matching script. Please use EVAL.")
			return
		}
	} else {
		var msg string
		if sc, msg = c.srv.loadScript(args[1]); sc == nil {
			c.reply.Error(msg)
			return
		}
	}
	keys, argv := args[3:3+numkeys], args[3+numkeys:]
	if msg := c.srv.scriptAdmission(sc.flags, ro); msg != "" {
		c.reply.Error(msg)
		return
	}
	c.srv.runScript(c, scriptCall{script: sc, args: args, name: sc.sha, eval: true, flags: sc.flags, ro: ro}, keys, argv)
}

// scriptAdmission is Redis's scriptPrepareForRun for scripts that declared
// flags (a shebang): such a script may write unless it says no-writes, so
// it is refused up front as a write command would be.
func (s *Server) scriptAdmission(flags scriptFlags, ro bool) string {
	if flags&sfCompat != 0 {
		return ""
	}
	if flags&sfNoCluster != 0 && s.cluster != nil {
		return "ERR Can not run script on cluster, 'no-cluster' flag is set."
	}
	if flags&sfNoWrites == 0 && s.cache.ReadOnly() {
		// Redis's processCommand refuses it first, as a write command
		return cache.ErrReadOnly.Error()
	}
	if flags&sfAllowStale == 0 && s.staleNow() {
		return errScriptStale // (exec refuses it before, with its own text, but inside EXEC)
	}
	if flags&sfNoWrites != 0 {
		return ""
	}
	if err := s.cache.CheckWrite(flags&sfAllowOOM == 0); err != nil {
		return err.Error()
	}
	if ro {
		return "ERR Can not execute a script with write flag using *_ro command."
	}
	return ""
}

// scriptCall is what runs: an EVAL script or a function.
type scriptCall struct {
	script *luaScript // EVAL
	fn     *luaFunction
	args   [][]byte // the command as sent (valid while it runs)
	name   string   // "script: <name>" in errors: the SHA1 or the function's name
	eval   bool
	flags  scriptFlags
	ro     bool
}

// scriptRun is a script in progress.
type scriptRun struct {
	call   scriptCall
	caller *Client
	keys   [][]byte // the keys the script declared (client tracking)
	eng    *luaEngine
	oom    bool // over maxmemory when the script started
	dirty  atomic.Bool
	killed atomic.Bool
	ctx    atomic.Pointer[killCtx] // the engine's context for this run (SCRIPT KILL closes it)
	start  time.Duration           // monotonic()
	gate   *execGate               // the caller's executor (busy.go)
	busy   busyState
	// the command, copied when the run turns busy (FUNCTION STATS)
	cmdline atomic.Pointer[[]string]
	// refs counts the goroutines other than the caller's that hold the run
	// (loadRun): one that nobody holds is reused for the caller's next
	// script instead of a new allocation per call (Client.newRun).
	refs atomic.Int32
}

// newRun is the run state of c's next script: the one its last script
// used when nobody else still holds it (endRun), a new one otherwise.
func (c *Client) newRun(call scriptCall, keys [][]byte, eng *luaEngine) *scriptRun {
	r := c.runSpare
	if r == nil {
		return &scriptRun{call: call, caller: c, keys: keys, eng: eng, start: c.clock}
	}
	c.runSpare = nil
	// Every field but refs: a reader that loaded the run before it ended
	// may still be between its increment and decrement (loadRun).
	r.call, r.caller, r.keys, r.eng, r.start = call, c, keys, eng, c.clock
	r.oom, r.gate = false, nil
	// (An atomic store costs more than a load: most are unset already.)
	if r.dirty.Load() {
		r.dirty.Store(false)
	}
	if r.killed.Load() {
		r.killed.Store(false)
	}
	// ctx stays: execScript stores this run's before it runs (a SCRIPT
	// KILL meanwhile closes the last run's, then sets killed, which
	// execScript reads after that store).
	if r.busy.started.Load() {
		r.busy.started.Store(false)
	}
	r.busy.stop, r.busy.stopped = nil, nil
	if r.cmdline.Load() != nil {
		r.cmdline.Store(nil)
	}
	return r
}

// endRun keeps r, ended and unpublished (Server.scr.running),
// for c's next script unless another goroutine still holds it.
func (c *Client) endRun(r *scriptRun) {
	if r.refs.Load() != 0 {
		return // left to the collector
	}
	r.call, r.keys = scriptCall{}, nil // nothing of the pipeline kept
	c.runSpare = r
}

// loadRun loads the run p publishes and holds it (refs) until release: a
// run its caller ends meanwhile is not reused under the reader. It returns
// nil when p holds none.
func loadRun(p *atomic.Pointer[scriptRun]) *scriptRun {
	for {
		r := p.Load()
		if r == nil {
			return nil
		}
		r.refs.Add(1)
		// Still published after the increment: the caller's endRun, which
		// unpublishes before it reads refs, sees the increment. (If r ended
		// and was published again for the caller's next script, r is that
		// script's run, ready before it was published.)
		if p.Load() == r {
			return r
		}
		r.refs.Add(-1)
	}
}

// release lets go of a run loadRun returned.
func (r *scriptRun) release() { r.refs.Add(-1) }

// command runs one redis.call in the script's context: Redis's scriptCall
// checks, then the command's handler with the engine's client. It returns
// the error text, or "" with the reply in cl.reply.
func (r *scriptRun) command(cl *Client, args [][]byte) string {
	msg, cmd := r.check(cl, args)
	if msg != "" {
		// Counted as Redis's scriptCall counts a refused command: an
		// error reply, and a rejected call of the command.
		if cmd != nil {
			cmd.rejected.Add(1)
		}
		r.caller.srv.errStats.note(luaErrorText(msg))
		return msg
	}
	cl.reply.Reset()
	cl.call(cmd, args)
	return ""
}

// check is scriptCall's checks of a command a script calls: the error
// text, or "" and the command.
func (r *scriptRun) check(cl *Client, args [][]byte) (string, *Command) {
	// A script calls the same few commands over and over: the last one's
	// lookup is kept.
	e := r.eng
	cmd := e.lastCmd
	if cmd == nil || string(args[0]) != e.lastName {
		if cmd = cl.srv.lookup(args[0], &cl.scratch); cmd == nil {
			return "Unknown Redis command called from script", nil
		}
		e.lastCmd, e.lastName, e.lastNoScript = cmd, string(args[0]), noScript[cmd.Name]
	}
	if !arityOK(cmd.Arity, len(args)) {
		return "Wrong number of args calling Redis command from script", cmd
	}
	if (e.lastNoScript || (cmd.Sub != nil && len(args) > 1 && noScript[commandKey(cmd, args)])) && !cl.srv.scriptDenyOff.Load() {
		return "This Redis command is not allowed from script", cmd
	}
	if cl.srv.stale != nil && cl.srv.staleNow() && !cmdStale(cmd) {
		return errScriptCallStale, cmd
	}
	if msg := r.aclScriptCheck(cmd, args); msg != "" {
		return msg, cmd
	}
	if (r.call.ro || r.call.flags&sfNoWrites != 0) && (cmd.Flags&flagWrite != 0 || mayReplicate[cmd.Name]) {
		// may-replicate commands count as writes here, as in Redis (so
		// read-only scripts may run during CLIENT PAUSE WRITE)
		return "Write commands are not allowed from read-only scripts.", cmd
	}
	if cmd.Flags&flagWrite != 0 {
		if !r.dirty.Load() {
			if err := r.caller.checkWrite(false); err != nil {
				return "-" + err.Error(), cmd
			}
			if cmd.Flags&flagDenyOOM != 0 && r.oom && r.call.flags&sfAllowOOM == 0 {
				return "-" + cache.ErrOOM.Error(), cmd
			}
			r.dirty.Store(true) // once: an atomic write per command costs
		}
	}
	if cl.srv.cluster != nil && !r.caller.master && cmd.mayHaveKeys() {
		if msg := r.clusterScriptCheck(cl, cmd, args); msg != "" {
			return msg, cmd
		}
	}
	return "", cmd
}

// runScript runs call for c and writes its reply: atomically (every shard
// held, one WAL group), or inside the transaction c is already in (EVAL
// within MULTI/EXEC).
func (s *Server) runScript(c *Client, call scriptCall, keys, argv [][]byte) {
	var eng *luaEngine
	if call.fn != nil {
		eng = call.fn.lib.eng
	} else {
		eng = s.evalEngine()
	}
	// The caller's clock was read after its previous command (Client.tick):
	// close enough a start for busy-reply-threshold, and one clock read less.
	r := c.newRun(call, keys, eng)
	// Scripts one after another in a pipeline keep every shard locked from
	// one to the next (releaseHeld ends that before anything else runs):
	// not when eviction may need the shards, nor when keyspace events must
	// go out after each script.
	max := s.cache.MaxMemory()
	hold := c.gate != nil && max == 0 && !c.ks.InTx() && !s.cache.EventsWanted()
	if !hold {
		c.releaseHeld()
	}
	if max > 0 {
		if c.ks.InTx() {
			// In EXEC every shard is held: eviction would wait for them.
			r.oom = s.cache.UsedMemory() > max
		} else {
			r.oom = errors.Is(s.cache.CheckWrite(true), cache.ErrOOM)
		}
	}
	s.scr.calls.Add(1)
	if c.ks.InTx() {
		s.scr.runMu.Lock()
		s.execScript(r, c.ks, keys, argv)
		s.scr.runMu.Unlock()
	} else {
		s.scriptBegin(r)
		run := func(ks cache.Keyspace) {
			s.scr.runMu.Lock()
			s.execScript(r, ks, keys, argv)
			s.scr.runMu.Unlock()
		}
		if hold {
			if !c.heldAll {
				s.cache.LockAll()
				c.heldAll = true
			}
			s.cache.AtomicLocked(run)
		} else {
			s.cache.Atomic(nil, run)
		}
		s.scriptEnd(r)
		c.flushForwards() // its PUBLISHes, now that its writes are queued
	}
	if r.dirty.Load() {
		c.wrote = true
	}
	c.endRun(r)
}

// releaseHeld unlocks the shards c's scripts kept locked (runScript).
func (c *Client) releaseHeld() {
	if c.heldAll {
		c.heldAll = false
		c.srv.cache.UnlockAll()
	}
}

// execScript runs the script in the engine (runMu and the shards held).
func (s *Server) execScript(r *scriptRun, ks cache.Keyspace, keys, argv [][]byte) {
	e := r.eng
	L := e.L
	c := r.caller
	cl := e.caller
	// The caller's database; a SELECT inside the script changes it for the
	// rest of the script only (Redis 7), since cl is the engine's client.
	cl.db = c.db
	// Its keyspace events are the caller's (CLIENT TRACKING NOLOOP, the
	// order of the caller's own invalidations), as in Redis.
	// Its expiry clock stands still while the script runs, as Redis's.
	cl.ks = ks.WithDB(c.db).WithErr(&cl.kerr).WithOrigin(c).WithClock(&e.startMs)
	cl.nowMs, cl.clock, e.startMs = c.nowMs, c.clock, c.nowMs
	cl.scriptRun = r
	cl.reply.proto = 2
	e.resp = 2
	e.run = r
	// A fresh context for this run: a SCRIPT KILL aimed at a run that
	// already ended closes that run's context, never this one's.
	e.rearm()
	if r.ctx.Load() != e.ctx {
		r.ctx.Store(e.ctx)
	}
	if r.killed.Load() {
		e.kill()
	}
	defer func() {
		if L.Context() == nil { // a bounded script's run that panicked
			L.SetContext(e.ctx)
		}
		e.run = nil
		cl.scriptRun = nil
		cl.db, cl.kerr = 0, nil
		cl.ks = s.cache.KeyspaceAt(&cl.nowMs)
		cl.reply.Reset()
		if cap(cl.reply.b) > keepReplyCap {
			cl.reply.b = nil
		}
		L.SetTop(0)
	}()
	var fn *lua.LFunction
	if f := r.call.fn; f != nil {
		fn = f.fn
		L.Push(fn)
		if f.reuse {
			f.keys, f.args = reuseStrings(L, f.keys, keys), reuseStrings(L, f.args, argv)
			L.Push(f.keys)
			L.Push(f.args)
		} else {
			L.Push(luaStrings(L, keys))
			L.Push(luaStrings(L, argv))
		}
	} else {
		sc := r.call.script
		if sc.fn == nil || sc.eng != e {
			sc.fn = L.NewFunctionFromProto(sc.proto)
			sc.fn.Env = e.envFor(sc.proto)
			sc.eng = e
		}
		fn = sc.fn
		if t := reuseStrings(L, e.keys, keys); t != e.keys {
			e.keys = t
			e.globals.RawSetString("KEYS", t)
		}
		if t := reuseStrings(L, e.argv, argv); t != e.argv {
			e.argv = t
			e.globals.RawSetString("ARGV", t)
		}
		if sc.args.keys != e.keys || sc.args.argv != e.argv {
			sc.args.set(e.keys, e.argv)
		}
		L.Push(fn)
	}
	nargs := L.GetTop() - 1
	var err error
	if r.bounded() && !r.killed.Load() {
		// SCRIPT KILL stops it at its next redis.call (redisCallK).
		L.RemoveContext()
		if uncheckedEngine.Load() != e { // (a store costs more than a load)
			uncheckedEngine.Store(e)
		}
		err = L.PCall(nargs, 1, e.errh)
		L.SetContext(e.ctx)
	} else {
		err = L.PCall(nargs, 1, e.errh)
	}
	if err != nil {
		if ae, ok := err.(*lua.ApiError); ok && !r.killed.Load() {
			if t, ok := ae.Object.(*lua.LTable); ok && errStatsCounted(t) {
				c.reply.errorCounted(scriptErrorText(r, err)) // a command's error, counted already
				return
			}
		}
		c.reply.Error(scriptErrorText(r, err))
		return
	}
	luaToReply(&c.reply, L.Get(-1), e.resp)
}

// bounded: r's script or function surely ends soon (script_bounded.go).
func (r *scriptRun) bounded() bool {
	if f := r.call.fn; f != nil {
		return f.bounded
	}
	return r.call.script != nil && r.call.script.bounded
}

// scriptErrorText is the reply to a script that raised: "<err> script:
// <name>, on @user_script:<line>." as Redis writes it.
func scriptErrorText(r *scriptRun, err error) string {
	if r.killed.Load() {
		msg := "ERR Script killed by user with SCRIPT KILL..."
		if !r.call.eval {
			msg = "ERR Script killed by user with FUNCTION KILL..."
		}
		return msg + " script: " + r.call.name + ", on @user_script:1."
	}
	var obj lua.LValue = lua.LNil
	if ae, ok := err.(*lua.ApiError); ok {
		obj = ae.Object
	}
	t, ok := obj.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if s, ok := obj.(lua.LString); ok {
			msg = string(s)
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		return "ERR Error running script " + r.call.name + ", " + msg
	}
	msg := lua.LVAsString(t.RawGetString("err"))
	src, _ := t.RawGetString("source").(lua.LString)
	line, _ := t.RawGetString("line").(lua.LNumber)
	if src != "" && line != 0 {
		msg += " script: " + r.call.name + ", on " + string(src) + ":" + itoa(int(line)) + "."
	}
	return msg
}

// reuseStrings is luaStrings(b) in the table t of the previous run when
// that table is still just an array of as many strings (the script left it
// as it was, or changed only its elements): an EVAL script cannot keep a
// reference to it anywhere (the globals, the libraries and strings'
// metatable are read-only), so the next run may refill it, and an element
// that holds the same string already is left as it is. Functions get fresh
// tables: a library's locals outlive a call.
func reuseStrings(L *lua.LState, t *lua.LTable, b [][]byte) *lua.LTable {
	if t == nil || t.Metatable != lua.LNil || t.MaxN() != len(b) {
		return luaStrings(L, b)
	}
	after := lua.LValue(lua.LNil) // the key after which only the hash part is left
	if len(b) > 0 {
		after = lua.LNumber(len(b))
	}
	if k, _ := t.Next(after); k != lua.LNil {
		return luaStrings(L, b)
	}
	for i, x := range b {
		if old, ok := t.RawGetInt(i + 1).(lua.LString); ok && string(old) == string(x) {
			continue
		}
		t.RawSetInt(i+1, lua.LString(x))
	}
	return t
}

func luaStrings(L *lua.LState, b [][]byte) *lua.LTable {
	t := L.CreateTable(len(b), 0)
	for i, x := range b {
		t.RawSetInt(i+1, lua.LString(x))
	}
	return t
}

// ---- SCRIPT ----

func scriptLoad(c *Client, args [][]byte) {
	sc, msg := c.srv.loadScript(args[2])
	if sc == nil {
		c.reply.Error(msg)
		return
	}
	c.reply.BulkString(sc.sha)
}

func scriptExists(c *Client, args [][]byte) {
	c.reply.Array(len(args) - 2)
	for _, sha := range args[2:] {
		if c.srv.findScript(sha) != nil {
			c.reply.Int(1)
		} else {
			c.reply.Int(0)
		}
	}
}

func scriptFlush(c *Client, args [][]byte) {
	if len(args) > 3 || (len(args) == 3 && !eqFold(args[2], "sync") && !eqFold(args[2], "async")) {
		c.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	s := c.srv
	// A script in a transaction of this very client holds runMu's place
	// in no way (SCRIPT is refused inside scripts), so this waits only
	// for a run on another executor.
	s.scr.runMu.Lock()
	s.scr.mu.Lock()
	s.scr.scripts = map[string]*luaScript{}
	s.scr.last.Store(nil)
	s.scr.bytes = 0
	s.scr.eng = nil // dropped, not closed: see flushFunctions
	s.scr.engp.Store(nil)
	s.scr.mu.Unlock()
	s.scr.runMu.Unlock()
	c.reply.OK()
}

func scriptKill(c *Client, args [][]byte) { killScript(c, true) }

// killScript is SCRIPT KILL (eval) and FUNCTION KILL.
func killScript(c *Client, eval bool) {
	r := loadRun(&c.srv.scr.running)
	if r == nil {
		c.reply.Error("NOTBUSY No scripts in execution right now.")
		return
	}
	defer r.release()
	if r.dirty.Load() {
		c.reply.Error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
		return
	}
	if eval && !r.call.eval {
		c.reply.Error(busyFunctionMsg)
		return
	}
	if !eval && r.call.eval {
		c.reply.Error(busyScriptMsg)
		return
	}
	if r.killed.CompareAndSwap(false, true) {
		c.srv.scr.killed.Add(1)
		if k := r.ctx.Load(); k != nil {
			k.close()
		}
	}
	c.reply.OK()
}

func scriptDebug(c *Client, args [][]byte) {
	if c.reply.Len() > 0 { // replies of this pipeline not sent yet (Redis's clientHasPendingReplies)
		c.reply.Error("ERR SCRIPT DEBUG must be called outside a pipeline")
		return
	}
	if eqFold(args[2], "no") {
		c.reply.OK()
		return
	}
	if eqFold(args[2], "yes") || eqFold(args[2], "sync") {
		c.reply.Error("ERR fastcache does not support the Lua debugger (SCRIPT DEBUG)")
		return
	}
	c.reply.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
}

var scriptHelpLines = []string{
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
}

func scriptHelp(c *Client, args [][]byte) { replyHelp(c, "script", scriptHelpLines) }
