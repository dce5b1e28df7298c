package server

// MONITOR: a monitoring client receives every command the server runs, as
// Redis 7.0 feeds it (replicationFeedMonitors): one status line per command,
// after the command ran,
//
//	+<unix seconds>.<microseconds> [<db> <ip:port>] "arg" "arg" ...
//
// with "[<db> lua]" for the commands a script runs, each argument quoted as
// sdscatrepr quotes it. Not fed: commands rejected before they run (unknown,
// wrong arity, NOAUTH, OOM, ...), administrative commands (CONFIG, CLIENT
// LIST, DEBUG, MONITOR, ...), and the skip_monitor commands (EVAL, EVALSHA,
// FCALL and their _RO forms), which are fed when they start instead, so the
// script's commands follow them. Queued commands are fed when EXEC runs
// them, then EXEC. The passwords of AUTH and HELLO ... AUTH are shown as
// "(redacted)".
//
// The command path pays one atomic load while nobody monitors (call:
// s.mon.list is nil). A line goes to each monitor's outbox, the pub/sub
// machinery's (pubsub.Outbox): the feeding goroutine appends and moves on,
// the monitor's network layer writes it, and a monitor whose pending output
// passes client-output-buffer-limit (its class: normal, or pubsub while it is
// also subscribed) is disconnected, so a slow monitor never holds anyone up.
//
// A monitoring connection may still run commands that do not touch the
// keyspace (PING, CLIENT LIST, ...); reads, writes and commands that may
// replicate are refused with Redis's "Replica can't interact with the
// keyspace" (a monitor is a replica to Redis). MONITOR again is ignored
// without a reply, as in Redis; RESET (or disconnecting) ends monitoring.

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// monitorCmd is MONITOR's table entry.
var monitorCmd = &Command{Name: "monitor", Arity: 1, Flags: flagAdmin | flagLoading, Group: "server", Since: "1.0.0",
	Summary: "Listen for all requests received by the server in real time", Handler: cmdMonitor}

func init() { register(monitorCmd) }

// monitorSet is the server's monitors.
type monitorSet struct {
	mu sync.Mutex
	// list is replaced, never changed in place (copy on write); nil while
	// nobody monitors.
	list atomic.Pointer[[]*Client]
}

func (m *monitorSet) add(c *Client) {
	m.mu.Lock()
	var next []*Client
	if cur := m.list.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, c)
	m.list.Store(&next)
	m.mu.Unlock()
}

func (m *monitorSet) remove(c *Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.list.Load()
	if cur == nil {
		return
	}
	var next []*Client
	for _, x := range *cur {
		if x != c {
			next = append(next, x)
		}
	}
	if len(next) == 0 {
		m.list.Store(nil)
		return
	}
	m.list.Store(&next)
}

func cmdMonitor(c *Client, args [][]byte) {
	if c.ks.InTx() {
		// Redis refuses it to a client that expects one reply per command.
		c.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client")
		return
	}
	if c.monitoring.Load() {
		return // ignored, without a reply (Redis)
	}
	c.psState() // the outbox the lines go to
	c.monitoring.Store(true)
	c.srv.mon.add(c)
	c.reply.OK()
}

// monitorOff ends c's monitoring (RESET, disconnect).
func (c *Client) monitorOff() {
	if c.monitoring.Load() {
		c.monitoring.Store(false)
		c.srv.mon.remove(c)
	}
}

// errMonitorKeyspace is Redis's refusal of a keyspace command to a monitor.
const errMonitorKeyspace = "ERR Replica can't interact with the keyspace"

// monitorRefuses reports whether a monitoring client may not run cmd: it
// reads or writes the keyspace, or may replicate (Redis's rule for
// replicas, which a monitor is).
func monitorRefuses(cmd *Command, args [][]byte) bool {
	f, name := cmd.Flags, cmd.Name
	if cmd.Sub != nil && len(args) > 1 {
		if sub := cmd.Sub[strings.ToLower(string(args[1]))]; sub != nil {
			f, name = sub.Flags, sub.Name
		}
	}
	if f&(flagWrite|flagReadOnly) != 0 {
		return true
	}
	switch name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "publish", "spublish":
		return true
	}
	return false
}

// monitorAfter feeds a command that ran to the monitors, unless it is one
// Redis keeps from them (call).
func (c *Client) monitorAfter(mons []*Client, cmd *Command, args [][]byte) {
	f := cmd.Flags
	if cmd.Sub != nil && len(args) > 1 {
		sub := cmd.Sub[strings.ToLower(string(args[1]))]
		if sub == nil || !arityOK(sub.Arity, len(args)) {
			return // an unknown subcommand is rejected before it runs in Redis
		}
		f = sub.Flags
	}
	if f&(flagAdmin|flagSkipMonitor) != 0 {
		return
	}
	c.feedMonitors(mons, cmd, args)
}

// feedMonitors sends the line of cmd (args) to every monitor. The running
// client's own line goes after its reply, as it does in Redis.
func (c *Client) feedMonitors(mons []*Client, cmd *Command, args [][]byte) {
	if c.srv.loading.Load() {
		return // Redis feeds nothing while loading
	}
	who := c.Addr
	if c.scriptRun != nil {
		who = "lua"
	}
	b := appendMonitorLine(c.monBuf[:0], time.Now(), c.db, who, args, monitorRedactions(cmd.Name, args))
	c.monBuf = b
	sendMonitorLine(mons, b, c)
	if cap(c.monBuf) > 64<<10 {
		c.monBuf = nil
	}
}

// sendMonitorLine hands line to each monitor's outbox; self, the client
// running the command (nil: none), gets it in its own reply instead.
func sendMonitorLine(mons []*Client, line []byte, self *Client) {
	for _, m := range mons {
		if m == self {
			self.reply.Raw(line)
			continue
		}
		if p := m.psPub.Load(); p != nil {
			p.ob.Push(line)
		}
	}
}

// appendMonitorLine appends one monitor line: "+<secs>.<usecs> [<db> <who>] "
// and the quoted arguments; redacted (nil: none) marks the arguments shown
// as "(redacted)".
func appendMonitorLine(b []byte, now time.Time, db int, who string, args [][]byte, redacted []bool) []byte {
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1; d /= 10 {
		if us < d {
			b = append(b, '0')
		}
	}
	b = strconv.AppendInt(b, int64(us), 10)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, who...)
	b = append(b, "] "...)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if i < len(redacted) && redacted[i] {
			a = redactedArg
		}
		b = appendRepr(b, a)
	}
	return append(b, '\r', '\n')
}

var redactedArg = []byte("(redacted)")

// monitorRedactions marks the arguments Redis redacts before feeding a
// command (redactClientCommandArgument): the password of AUTH, and the
// user and password of each AUTH option of HELLO that was parsed before
// HELLO failed on an argument. nil means none.
func monitorRedactions(name string, args [][]byte) []bool {
	switch name {
	case "auth":
		if len(args) > 3 {
			return nil // a syntax error before the redaction
		}
		r := make([]bool, len(args))
		for i := 1; i < len(args); i++ {
			r[i] = true
		}
		return r
	case "hello":
		if len(args) < 2 {
			return nil
		}
		if v, err := strconv.ParseInt(string(args[1]), 10, 64); err != nil || v < 2 || v > 3 {
			return nil // the protocol version is refused first
		}
		var r []bool
		for j := 2; j < len(args); j++ {
			more := len(args) - 1 - j
			switch {
			case strings.EqualFold(string(args[j]), "auth") && more >= 2:
				if r == nil {
					r = make([]bool, len(args))
				}
				r[j+1], r[j+2] = true, true
				j += 2
			case strings.EqualFold(string(args[j]), "setname") && more >= 1:
				j++
			default:
				return r // a syntax error ends the parsing
			}
		}
		return r
	}
	return nil
}

// appendRepr appends s quoted as Redis's sdscatrepr does: \\ \" \n \r \t
// \a \b escaped, other bytes outside the printable ASCII range as \xHH.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch <= 0x7e {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&0xf])
			}
		}
	}
	return append(b, '"')
}
