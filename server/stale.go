package server

import "strings"

// replica-serve-stale-data no: a replica whose link to its primary is down
// (or still syncing) refuses every command but those Redis flags "stale"
// (INFO, REPLICAOF, CONFIG, ROLE, ...: mostly the ones allowed while
// loading; not PING),
// as Redis 7.0's processCommand does.

// StaleData is what replica-serve-stale-data needs of Options.Replication
// (the replication package's Manager has it).
type StaleData interface {
	// DenyStale reports whether a replica's data counts as stale now and
	// replica-serve-stale-data is no.
	DenyStale() bool
}

const errMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

// deniedStale reports whether cmd is refused with MASTERDOWN: it is not
// allowed on stale data (EXEC: a command it would run is not), and it is
// not a write a read-only replica refuses with READONLY (which Redis
// checks first). What counts is the command's effective flags, as Redis's
// getCommandFlags: a container's subcommand's, and a script's (EVAL,
// FCALL): stale only with the allow-stale flag (a script without a
// shebang never), a write unless no-writes.
func (c *Client) deniedStale(cmd *Command, args [][]byte) bool {
	sd := c.srv.stale
	if sd == nil || !sd.DenyStale() {
		return false
	}
	cmd = effectiveCmd(cmd, args)
	stale, write := cmdStale(cmd), cmd.Flags&flagWrite != 0
	if f, ok := c.srv.scriptCmdFlags(cmd, args); ok {
		stale = f&sfCompat == 0 && f&sfAllowStale != 0
		write = f&sfCompat == 0 && f&sfNoWrites == 0
	}
	if stale {
		if cmd.Name != "exec" || !c.multi {
			return false
		}
		for _, q := range c.queued {
			if !cmdStale(effectiveCmd(q.cmd, q.args)) {
				return true
			}
		}
		return false
	}
	return !write || !c.srv.cache.ReadOnly()
}

// effectiveCmd is the subcommand a container's call names (CONFIG
// REWRITE, CLIENT KILL), or cmd.
func effectiveCmd(cmd *Command, args [][]byte) *Command {
	if cmd.Sub != nil && len(args) > 1 {
		if sub := cmd.Sub[strings.ToLower(string(args[1]))]; sub != nil {
			return sub
		}
	}
	return cmd
}

// scriptCmdFlags is the flags of the script an EVAL, EVALSHA or FCALL (or
// their _RO forms) would run; false for other commands, an unknown SHA or
// function (their own flags count: the command answers NOSCRIPT), or a
// shebang that does not parse.
func (s *Server) scriptCmdFlags(cmd *Command, args [][]byte) (scriptFlags, bool) {
	if len(args) < 2 {
		return 0, false
	}
	switch cmd.Name {
	case "eval", "eval_ro":
		f, _, msg := parseShebang(string(args[1]))
		return f, msg == ""
	case "evalsha", "evalsha_ro":
		if sc := s.findScript(args[1]); sc != nil {
			return sc.flags, true
		}
	case "fcall", "fcall_ro":
		s.scr.runMu.Lock()
		f := s.scr.fn.funcs[fnKey(args[1])]
		s.scr.runMu.Unlock()
		if f != nil {
			return f.flags, true
		}
	}
	return 0, false
}

// cmdStale: cmd has Redis's "stale" flag, allowed on a stale replica: the
// commands allowed while loading, and EVAL, FCALL, SCRIPT LOAD, REPLICAOF
// (which must work there: it is how a stale replica is promoted).
func cmdStale(cmd *Command) bool {
	if cmd.Flags&flagLoading != 0 {
		return true
	}
	for _, f := range extraFlags[cmd.Name] {
		if f == "stale" {
			return true
		}
	}
	return false
}

// staleNow reports whether the server is a replica refusing stale data now.
func (s *Server) staleNow() bool { return s.stale != nil && s.stale.DenyStale() }

const (
	// errScriptStale: a script with flags but not allow-stale, on a stale
	// replica (Redis's scriptPrepareForRun)
	errScriptStale = "MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set"
	// errScriptCallStale: a script's command without the stale flag there
	// (Redis's scriptVerifyAllowStale)
	errScriptCallStale = "Can not execute the command on a stale replica"
)
