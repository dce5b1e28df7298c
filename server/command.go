package server

import (
	"bytes"
	"fmt"

	"fastcache/internal/latency"
	"fastcache/shard"
	"strings"
	"sync/atomic"
	"time"
)

// flags describe how the dispatcher treats a command (Redis's command flags).
type flags uint32

const (
	flagWrite       flags = 1 << iota // changes data: admission checks (MISCONF, OOM, READONLY), durability wait
	flagReadOnly                      // reads data
	flagAdmin                         // server administration
	flagNoAuth                        // allowed before AUTH (AUTH, HELLO, QUIT, RESET)
	flagLoading                       // allowed while the dataset is loading
	flagNoMulti                       // runs immediately inside MULTI instead of being queued (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET)
	flagFast                          // O(1) or O(log n)
	flagDenyOOM                       // may grow memory: refused when over maxmemory and nothing can be evicted
	flagSkipSlowlog                   // not in SLOWLOG (EXEC: its commands are logged one by one)
	flagPubSub                        // pub/sub (COMMAND INFO "pubsub", ACL @pubsub)
	flagBlocking                      // may block the client (BLPOP, BZPOPMIN, XREAD ...; blocking.go)
	flagSkipMonitor                   // not fed to MONITOR by the dispatcher: EVAL and FCALL feed themselves first (monitor.go)
	flagScriptRO                      // EVAL_RO, EVALSHA_RO, FCALL_RO: read-only, but client tracking follows what their script runs
)

// Command is one entry of the command table.
type Command struct {
	Name  string // lower case
	Arity int    // Redis's convention: n = exactly n args (incl. the name), -n = at least n
	Flags flags
	// Key positions for COMMAND INFO (1-based; 0 = no keys; LastKey -1 = last arg).
	FirstKey, LastKey, Step int
	// KeyFn finds the keys of a call when their positions depend on the
	// arguments (movablekeys: command_keys.go); register sets it.
	KeyFn func(args [][]byte, buf []int) []int
	// Member is the position of the member or field argument that the
	// command looks up in its key's collection first (0: none), for the
	// pipeline's look-ahead (memberArgs).
	Member  int
	Group   string // "string", "generic", "connection", "server", "transactions"
	Summary string
	Since   string
	Handler func(c *Client, args [][]byte)
	// Sub holds subcommands (CLIENT, CONFIG, COMMAND, OBJECT, MEMORY):
	// lower-case name -> command whose Name is "parent|sub".
	Sub map[string]*Command
	// Complexity and Args document the command for COMMAND DOCS (Args in
	// the notation described at argSpecs), next to its registration.
	Complexity, Args string
	// aclID is the command's bit in ACL selectors' command bitmaps
	// (acl_table.go).
	aclID int
	// isPing: PING, which a disk error refuses too (exec)
	isPing bool

	calls, usec, failed, rejected atomic.Int64
	// hist is the latency histogram (latency-tracking), allocated on the
	// first tracked call (latencystats.go).
	hist atomic.Pointer[latency.Histogram]
}

// keyRange is where the keys are in a call of cmd with argc arguments (the
// name included): positions first, first+step, ... up to last. first is 0
// when the command has no keys.
func (cmd *Command) keyRange(argc int) (first, last, step int) {
	last = cmd.LastKey
	if last < 0 {
		last = argc + last
	}
	step = cmd.Step
	if step <= 0 {
		step = 1
	}
	return cmd.FirstKey, last, step
}

// mayHaveKeys reports whether a call of cmd may name keys (Redis Cluster's
// check of them: EXEC for its transaction's, the shard channels).
func (cmd *Command) mayHaveKeys() bool {
	return cmd.FirstKey > 0 || cmd.KeyFn != nil || cmd.Name == "exec" || cmd.Name == "spublish" ||
		cmd.Name == "ssubscribe" || cmd.Name == "sunsubscribe"
}

// isKey reports whether argument i of a call of cmd with argc arguments is a
// key.
func (cmd *Command) isKey(i, argc int) bool {
	first, last, step := cmd.keyRange(argc)
	return first > 0 && i >= first && i <= last && (i-first)%step == 0
}

// with returns cmd with the flags f added (for table entries built by a
// helper that sets none).
func (cmd *Command) with(f flags) *Command {
	cmd.Flags |= f
	return cmd
}

// commands is the command table, filled by register() in each file's init.
var commands = map[string]*Command{}

func register(cmds ...*Command) {
	for _, c := range cmds {
		if _, dup := commands[c.Name]; dup {
			panic("duplicate command " + c.Name)
		}
		commands[c.Name] = c
		if fn := movableKeys[c.Name]; fn != nil {
			c.KeyFn = fn
		}
		for _, f := range extraFlags[c.Name] {
			if f == "skip_monitor" {
				c.Flags |= flagSkipMonitor
			}
		}
		if c.FirstKey == 0 {
			c.Step = 0 // as Redis lists a command without fixed keys
		}
		if c.Args != "" || c.Complexity != "" {
			argSpecs[c.Name] = [2]string{c.Complexity, c.Args}
		}
		for _, s := range c.Sub {
			if s.Args != "" || s.Complexity != "" {
				argSpecs[s.Name] = [2]string{s.Complexity, s.Args}
			}
		}
	}
}

// lookup finds the command named by name, case-insensitively, without
// allocating, in the table clients and scripts call (s.table: the config's
// rename-command lines applied).
func (s *Server) lookup(name []byte, scratch *[]byte) *Command {
	b := (*scratch)[:0]
	for _, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b = append(b, ch)
	}
	*scratch = b
	return s.table[string(b)]
}

// ApplyRenames applies the config's rename-command lines, as Redis does
// when it loads its config: the command leaves the table clients and
// scripts call, and comes back under its new name unless that is empty.
// COMMAND, ACL rules and the logs keep the original names. Call it before
// Serve.
func (s *Server) ApplyRenames() error {
	if s.cfg == nil || len(s.cfg.RenamedCommands()) == 0 {
		return nil
	}
	t := make(map[string]*Command, len(commands))
	for name, c := range commands {
		t[name] = c
	}
	for _, r := range s.cfg.RenamedCommands() {
		from, to := strings.ToLower(r[0]), strings.ToLower(r[1])
		c := t[from]
		if c == nil {
			return fmt.Errorf("rename-command %s %q: No such command in rename-command", r[0], r[1])
		}
		delete(t, from)
		if to == "" {
			continue
		}
		if t[to] != nil {
			return fmt.Errorf("rename-command %s %s: Target command name already exists", r[0], r[1])
		}
		t[to] = c
	}
	s.table, s.renamed = t, true
	return nil
}

// equalFold reports whether name equals lower (a lower-case command name)
// ignoring ASCII case.
func equalFold(name []byte, lower string) bool {
	if len(name) != len(lower) {
		return false
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != lower[i] {
			return false
		}
	}
	return true
}

func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

// errWrongArgs is Redis's arity error for name ("get", "client|setname").
func errWrongArgs(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// errUnknownCommand is Redis 7's text, which quotes the first arguments:
// each one as '%.*s' with the precision left of a 128-byte budget for the
// argument list alone, while that list is shorter than 128 bytes.
func errUnknownCommand(args [][]byte) string {
	var list strings.Builder
	for i := 1; i < len(args) && list.Len() < 128; i++ {
		arg := sanitize(args[i], 128-list.Len())
		list.WriteString("'")
		list.WriteString(arg)
		list.WriteString("' ")
	}
	return "ERR unknown command '" + sanitize(args[0], 128) + "', with args beginning with: " + list.String()
}

// errUnknownSubcommand is Redis's text for an unknown subcommand of parent.
func errUnknownSubcommand(parent string, sub []byte) string {
	return "ERR unknown subcommand '" + sanitize(sub, 128) + "'. Try " + strings.ToUpper(parent) + " HELP."
}

// sanitizeAll is sanitize without a length limit, for the errors Redis
// formats with a plain "%s" (the argument is echoed up to a NUL byte).
func sanitizeAll(b []byte) string { return sanitize(b, len(b)) }

// sanitize echoes client bytes in an error line the way Redis does: printed
// with "%.<max>s" (so it stops at a NUL byte or after max bytes), then '\r'
// and '\n' mapped to spaces so the reply stays one line.
func sanitize(b []byte, max int) string {
	if max < 0 {
		max = 0
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > max {
		b = b[:max]
	}
	out := make([]byte, len(b))
	for i, c := range b {
		if c == '\r' || c == '\n' {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}

// subcommand resolves args[1] of a container command, replying with Redis's
// errors when it is unknown or has the wrong arity. nil means "replied".
func subcommand(c *Client, parent *Command, args [][]byte) *Command {
	sub := parent.Sub[strings.ToLower(string(args[1]))]
	if sub == nil {
		c.reply.Error(errUnknownSubcommand(parent.Name, args[1]))
		return nil
	}
	if !arityOK(sub.Arity, len(args)) {
		c.reply.Error(errWrongArgs(sub.Name))
		return nil
	}
	return sub
}

// record counts one call of cmd, which took d, for INFO commandstats and,
// with track (latency-tracking), in its latency histogram. A container's
// histogram stays empty: its calls are its subcommands', as in Redis.
func (cmd *Command) record(d time.Duration, track bool) {
	cmd.calls.Add(1)
	if us := int64(d / time.Microsecond); us != 0 { // most calls take less (a script's INCRs)
		cmd.usec.Add(us)
	}
	if track && cmd.Sub == nil {
		cmd.histogram().Observe(d)
	}
}

// monotonic is a monotonic clock (one clock read, where time.Now takes two).
// Command durations are chained: a pipeline reads it once at its start and
// once after each command, whose duration runs from the previous reading
// (so it includes the command's parse). The same reading is the time the
// next command judges expiry by (Client.tick).
func monotonic() time.Duration { return shard.Mono() }
