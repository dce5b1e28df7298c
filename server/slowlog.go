package server

// SLOWLOG: the last slowlog-max-len commands that ran for at least
// slowlog-log-slower-than microseconds, as Redis keeps them (arguments cut
// to 32 and each to 128 bytes, passwords redacted, newest first).

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	slowlogMaxArgs   = 32
	slowlogMaxString = 128
)

type slowlogEntry struct {
	id, unix, micros int64
	args             [][]byte
	addr, name       string
}

// slowlog is the server's log; entries[0] is the newest.
type slowlog struct {
	mu      sync.Mutex
	entries []slowlogEntry
	nextID  int64
}

// noteSlow records a command that ran for d, at least
// slowlog-log-slower-than (Client.call decides).
func (c *Client) noteSlow(args [][]byte, d time.Duration) {
	c.srv.pushSlow(c.slowEntry(args, d))
}

// slowEntry is the slowlog entry of args (their copy, cut as Redis cuts
// them) for a run of d.
func (c *Client) slowEntry(args [][]byte, d time.Duration) slowlogEntry {
	e := slowlogEntry{unix: time.Now().Unix(), micros: d.Microseconds(), addr: c.Addr, name: c.Name()}
	n := min(len(args), slowlogMaxArgs)
	redacted := redactedArgs(args)
	for j := 0; j < n; j++ {
		var a []byte
		switch {
		case n != len(args) && j == n-1:
			a = []byte("... (" + strconv.Itoa(len(args)-n+1) + " more arguments)")
		case redacted(j):
			a = []byte("(redacted)")
		case len(args[j]) > slowlogMaxString:
			a = append(bytes.Clone(args[j][:slowlogMaxString]), "... ("+strconv.Itoa(len(args[j])-slowlogMaxString)+" more bytes)"...)
		default:
			a = bytes.Clone(args[j])
		}
		e.args = append(e.args, a)
	}
	return e
}

// pushSlow adds e as the newest entry.
func (s *Server) pushSlow(e slowlogEntry) {
	keep := int(min(s.cfg.SlowlogMaxLen(), 1<<20))
	l := &s.slowlog
	l.mu.Lock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, slowlogEntry{})
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	if len(l.entries) > keep {
		clear(l.entries[keep:])
		l.entries = l.entries[:keep]
	}
	l.mu.Unlock()
}

// redactedArgs reports which arguments Redis shows as "(redacted)": AUTH's,
// HELLO's AUTH username and password, and CONFIG SET's values of
// requirepass and masterauth, and every argument of ACL SETUSER after the
// subcommand (its rules may hold passwords).
func redactedArgs(args [][]byte) func(j int) bool {
	name := strings.ToLower(string(args[0]))
	switch {
	case name == "auth":
		return func(j int) bool { return j > 0 }
	case name == "hello":
		for j := 2; j+2 < len(args); j++ {
			if strings.EqualFold(string(args[j]), "auth") {
				return func(k int) bool { return k == j+1 || k == j+2 }
			}
		}
	case name == "acl" && len(args) > 2 && strings.EqualFold(string(args[1]), "setuser"):
		return func(j int) bool { return j >= 2 }
	case name == "config" && len(args) > 2 && strings.EqualFold(string(args[1]), "set"):
		return func(j int) bool {
			if j < 3 || j%2 == 0 {
				return false
			}
			p := strings.ToLower(string(args[j-1]))
			return p == "requirepass" || p == "masterauth"
		}
	}
	return func(int) bool { return false }
}

func init() {
	sl := &Command{Name: "slowlog", Arity: -2, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.2.12",
		Summary: "A container for slow log commands"}
	sl.Handler = func(c *Client, args [][]byte) { runSub(c, sl, args) }
	sl.Sub = subTable(
		&Command{Name: "slowlog|get", Arity: -2, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.2.12",
			Summary: "Get the slow log's entries", Handler: slowlogGet},
		&Command{Name: "slowlog|len", Arity: 2, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.2.12",
			Summary: "Get the slow log's length", Handler: slowlogLen},
		&Command{Name: "slowlog|reset", Arity: 2, Flags: flagAdmin | flagLoading, Group: "server", Since: "2.2.12",
			Summary: "Clear all entries from the slow log", Handler: slowlogReset},
		&Command{Name: "slowlog|help", Arity: 2, Flags: flagLoading, Group: "server", Since: "6.2.0",
			Summary: "Show helpful text about the different subcommands", Handler: slowlogHelp},
	)
	register(sl)
}

func slowlogGet(c *Client, args [][]byte) {
	count := int64(10)
	if len(args) > 3 {
		c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitize(args[1], 128) + "'. Try SLOWLOG HELP.")
		return
	}
	if len(args) == 3 {
		n, ok := parseInt64(args[2])
		if !ok || n < -1 {
			c.reply.Error("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	}
	l := &c.srv.slowlog
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.entries)
	if count >= 0 && count < int64(n) {
		n = int(count)
	}
	c.reply.Array(n)
	for _, e := range l.entries[:n] {
		c.reply.Array(6)
		c.reply.Int(e.id)
		c.reply.Int(e.unix)
		c.reply.Int(e.micros)
		c.reply.Array(len(e.args))
		for _, a := range e.args {
			c.reply.Bulk(a)
		}
		c.reply.BulkString(e.addr)
		c.reply.BulkString(e.name)
	}
}

func slowlogLen(c *Client, args [][]byte) {
	l := &c.srv.slowlog
	l.mu.Lock()
	n := len(l.entries)
	l.mu.Unlock()
	c.reply.Int(int64(n))
}

func slowlogReset(c *Client, args [][]byte) {
	l := &c.srv.slowlog
	l.mu.Lock()
	clear(l.entries)
	l.entries = l.entries[:0]
	l.mu.Unlock()
	c.reply.OK()
}

var slowlogHelpLines = []string{
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

func slowlogHelp(c *Client, args [][]byte) {
	c.reply.Array(len(slowlogHelpLines) + 1)
	c.reply.Simple("SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range slowlogHelpLines {
		c.reply.Simple(l)
	}
}
