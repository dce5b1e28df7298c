package server

import (
	"strings"

	"fastcache/internal/glob"
)

// Permission checks, as Redis 7.0's ACLCheckAllUserCommandPerm: a call is
// allowed when one of the user's selectors allows its command (or its
// first argument), every key it names (with the access its key
// specifications declare) and every channel it publishes or subscribes to.
// The dispatcher, EXEC, scripts' redis.call and ACL DRYRUN use it; a user
// whose root selector allows everything (aclPerms.all) is never checked.

// Results, ordered as Redis's ACL_DENIED_* (the highest is reported when
// no selector allows the call).
const (
	aclOK = iota
	aclDeniedCmd
	aclDeniedKey
	aclDeniedAuth
	aclDeniedChannel
)

// aclKeys are the keys of one call, found once for all selectors: at
// fixed positions (first, first+step, ... last) without allocating, or
// found by the command's key function (movable keys).
type aclKeys struct {
	done              bool
	first, last, step int
	pos               []int   // movable keys
	perm              []uint8 // each key's access (aclRead, aclWrite), once a selector needs it
}

// find returns how many keys the call has; at gives their positions.
func (k *aclKeys) find(cmd *Command, args [][]byte) int {
	if !k.done {
		k.done = true
		if cmd.KeyFn != nil {
			k.pos = cmd.KeyFn(args, nil)
		} else if first, last, step := cmd.keyRange(len(args)); first > 0 {
			k.first, k.last, k.step = first, min(last, len(args)-1), step
		}
	}
	if k.pos != nil || k.first <= 0 || k.last < k.first {
		return len(k.pos)
	}
	return (k.last-k.first)/k.step + 1
}

func (k *aclKeys) at(j int) int {
	if k.pos != nil {
		return k.pos[j]
	}
	return k.first + j*k.step
}

// access is each key's access as its key specification (or key-finding
// function) declares it: "access" needs read permission, "insert",
// "delete" and "update" write permission.
func (k *aclKeys) access(cmd *Command, args [][]byte) []uint8 {
	if k.perm == nil {
		n := k.find(cmd, args)
		pos := make([]int, n)
		for j := range pos {
			pos[j] = k.at(j)
		}
		k.perm = make([]uint8, n)
		for i, fl := range keyFlags(cmd, args, pos) {
			for _, f := range fl {
				switch f {
				case "access":
					k.perm[i] |= aclRead
				case "insert", "delete", "update":
					k.perm[i] |= aclWrite
				}
			}
		}
	}
	return k.perm
}

// check reports whether p allows cmd (a subcommand for containers) with
// args; when not, why, and the position of the key or channel refused.
func (p *aclPerms) check(cmd *Command, args [][]byte) (res, idx int) {
	switch {
	case p.all:
		return aclOK, 0
	case p.deleted:
		return aclDeniedCmd, 0
	}
	var keys aclKeys
	res = aclDeniedCmd
	for _, s := range p.sels {
		r, i := s.check(cmd, args, &keys)
		if r == aclOK {
			return aclOK, 0
		}
		if r > res || (r == res && i > idx) {
			res, idx = r, i
		}
	}
	return res, idx
}

func (s *aclSelector) check(cmd *Command, args [][]byte, keys *aclKeys) (int, int) {
	if s.flags&selAllCmds == 0 && cmd.Flags&flagNoAuth == 0 && !s.bit(cmd.aclID) {
		fa := s.first[cmd.aclID]
		at := 1
		if strings.Contains(cmd.Name, "|") {
			at = 2
		}
		if len(args) <= at || fa == nil {
			return aclDeniedCmd, 0
		}
		ok := false
		for _, a := range fa {
			ok = ok || strings.EqualFold(a, string(args[at]))
		}
		if !ok {
			return aclDeniedCmd, 0
		}
	}
	if s.flags&selAllKeys == 0 {
		if n := keys.find(cmd, args); n > 0 {
			var access []uint8
			if s.partial {
				access = keys.access(cmd, args)
			}
			for j := 0; j < n; j++ {
				at := keys.at(j)
				var need uint8
				if access != nil {
					need = access[j]
				}
				if !s.keyAllowed(args[at], need) {
					return aclDeniedKey, at
				}
			}
		}
	}
	if s.flags&selAllChans == 0 {
		from, literal := 0, false
		switch cmd.Name {
		case "publish", "spublish":
			// (redis.acl_check_cmd checks calls of any length)
			if len(args) > 1 && !s.chanAllowed(args[1], false) {
				return aclDeniedChannel, 1
			}
		case "subscribe", "ssubscribe":
			from = 1
		case "psubscribe":
			from, literal = 1, true
		}
		if from > 0 {
			for i := from; i < len(args); i++ {
				if !s.chanAllowed(args[i], literal) {
					return aclDeniedChannel, i
				}
			}
		}
	}
	return aclOK, 0
}

// keyAllowed: a pattern with at least the access needed matches key.
func (s *aclSelector) keyAllowed(key []byte, need uint8) bool {
	for _, k := range s.keys {
		if k.perm&need == need && glob.Match([]byte(k.pat), key, false) {
			return true
		}
	}
	return false
}

// chanAllowed matches a channel against the channel patterns; literal
// (a PSUBSCRIBE pattern) must equal one of them.
func (s *aclSelector) chanAllowed(ch []byte, literal bool) bool {
	return aclChanAllowed(s.chans, ch, literal)
}

func aclChanAllowed(pats []string, ch []byte, literal bool) bool {
	for _, p := range pats {
		if literal && p == string(ch) || !literal && glob.Match([]byte(p), ch, false) {
			return true
		}
	}
	return false
}

// aclNoPermMsg is the error a denied call gets (processCommand's texts).
func aclNoPermMsg(res int, cmd *Command) string {
	switch res {
	case aclDeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case aclDeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "NOPERM this user has no permissions to run the '" + cmd.Name + "' command"
}

// aclExecMsg is the error of a queued command that the ACL rules, changed
// since it was queued, deny at EXEC.
func aclExecMsg(res int) string {
	reason := "no permission"
	switch res {
	case aclDeniedCmd:
		reason = "no permission to execute the command or subcommand"
	case aclDeniedKey:
		reason = "no permission to touch the specified keys"
	case aclDeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	}
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
}

// aclScriptMsg is the error redis.call and redis.pcall give a denied call.
func aclScriptMsg(res int) string {
	switch res {
	case aclDeniedCmd:
		return "The user executing the script can't run this command or subcommand"
	case aclDeniedKey:
		return "The user executing the script can't access at least one of the keys mentioned in the command arguments"
	case aclDeniedChannel:
		return "The user executing the script can't publish to the channel mentioned in the command"
	}
	return "The user executing the script is lacking the permissions for the command"
}

// aclPermsOf is the rules c runs under: its user's, or every permission
// for the server's internal clients, which have no user.
func (c *Client) aclPerms() *aclPerms {
	if u := c.user.Load(); u != nil {
		return u.perms()
	}
	return aclAllPerms
}

// aclAllPerms allows everything (internal clients).
var aclAllPerms = &aclPerms{all: true}

// aclAllowed is the dispatcher's check of a call by a user whose rules are
// not "everything" (exec keeps the fast path): a denied call is logged
// and rejected with Redis's NOPERM error (failing an open MULTI).
func (c *Client) aclAllowed(p *aclPerms, cmd *Command, args [][]byte) bool {
	target := aclTarget(cmd, args)
	if target == nil {
		return true // the handler answers the unknown subcommand or its arity
	}
	res, idx := p.check(target, args)
	if res == aclOK {
		return true
	}
	if target.Name == "fcsync" {
		// FCSYNC is fastcache's PSYNC: a user Redis's replication rules
		// let replicate (+psync, as Redis's docs give a replica's user)
		// may run it
		ps := aclTable().phantom["psync"]
		if ps == nil {
			ps = commands["psync"]
		}
		if ps != nil {
			if r, _ := p.check(ps, nil); r == aclOK {
				return true
			}
		}
	}
	ctx := aclCtxToplevel
	if c.multi {
		ctx = aclCtxMulti
	}
	c.lastCmd.Store(&target.Name) // CLIENT LIST's cmd= names the subcommand, as Redis's lastcmd
	c.srv.acl.logDenied(c, res, ctx, target, args, idx)
	c.reject(target, aclNoPermMsg(res, target))
	return false
}

// aclExecAllowed checks a queued command again at EXEC: the rules may have
// changed since it was queued. A denied one gets its error in EXEC's reply.
func (c *Client) aclExecAllowed(cmd *Command, args [][]byte) bool {
	p := c.aclPerms()
	if p.all {
		return true
	}
	target := aclTarget(cmd, args)
	if target == nil {
		return true
	}
	res, idx := p.check(target, args)
	if res == aclOK {
		return true
	}
	c.srv.acl.logDenied(c, res, aclCtxMulti, target, args, idx)
	c.reply.Error(aclExecMsg(res))
	return false
}

// aclScriptCheck is redis.call's check for the script's caller: "" when
// allowed, else the error the call raises.
func (r *scriptRun) aclScriptCheck(cmd *Command, args [][]byte) string {
	p := r.caller.aclPerms()
	if p.all {
		return ""
	}
	target := aclTarget(cmd, args)
	if target == nil {
		return ""
	}
	res, idx := p.check(target, args)
	if res == aclOK {
		return ""
	}
	r.caller.srv.acl.logDenied(r.caller, res, aclCtxLua, target, args, idx)
	return aclScriptMsg(res)
}

// fullKeyRead reports whether c's user may run cmd with args under a
// selector that can read every key (all keys, or a read pattern "*"): what
// SORT's BY and GET need, as Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess.
// In a script, the caller's user counts.
func (c *Client) fullKeyRead(cmd *Command, args [][]byte) bool {
	if c.scriptRun != nil {
		c = c.scriptRun.caller
	}
	p := c.aclPerms()
	if p.all {
		return true
	}
	var keys aclKeys
	for _, s := range p.sels {
		if r, _ := s.check(cmd, args, &keys); r != aclOK {
			continue
		}
		if s.flags&selAllKeys != 0 {
			return true
		}
		for _, k := range s.keys {
			if k.pat == "*" && k.perm&aclRead != 0 {
				return true
			}
		}
	}
	return false
}
