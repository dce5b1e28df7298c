package server

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync/atomic"
)

// ACL users as Redis 7.0 has them: flags (on/off, nopass, payload
// sanitizing), SHA-256 password hashes, and selectors: the root one (the
// rules written outside parentheses) and any number of "(...)" ones. A
// selector allows commands (a bitmap of command ids, plus first arguments
// for "+cmd|arg"), key patterns with read/write permissions, and channel
// patterns. A call is allowed when one selector allows all of it.
//
// An aclUser's rules are an immutable aclPerms snapshot: ACL SETUSER builds
// a new one and swaps it in, so a connection's command check reads them
// without a lock.

// Selector flags (Redis's SELECTOR_FLAG_*).
const (
	selRoot uint8 = 1 << iota
	selAllKeys
	selAllChans
	selAllCmds
)

// Key pattern permissions (ACL_READ_PERMISSION, ACL_WRITE_PERMISSION).
const (
	aclRead  uint8 = 1
	aclWrite uint8 = 2
	aclRW          = aclRead | aclWrite
)

// User flags, in the order ACL LIST and GETUSER show them.
const (
	userOn uint8 = 1 << iota
	userOff
	userNopass
	userSkipSanitize
	userSanitize
)

var aclUserFlagNames = []struct {
	flag uint8
	name string
}{{userOn, "on"}, {userOff, "off"}, {userNopass, "nopass"}, {userSkipSanitize, "skip-sanitize-payload"}, {userSanitize, "sanitize-payload"}}

type aclKeyPat struct {
	pat  string
	perm uint8
}

type aclSelector struct {
	flags uint8
	bits  []uint64
	first map[int][]string // allowed first arguments of otherwise denied commands, by aclID
	keys  []aclKeyPat
	chans []string
	// partial: some key pattern is read-only or write-only, so the key
	// check needs each key's access flags.
	partial bool
}

// aclRuleErr is why a rule was refused (Redis's errno values of ACLSetUser).
type aclRuleErr int

const (
	aclErrNone aclRuleErr = iota
	aclErrUnknown
	aclErrSyntax
	aclErrKeyAfterAll
	aclErrChanAfterAll
	aclErrNoPassword
	aclErrBadHash
	aclErrFirstArgSub
)

func (e aclRuleErr) String() string {
	switch e {
	case aclErrUnknown:
		return "Unknown command or category name in ACL"
	case aclErrSyntax:
		return "Syntax error"
	case aclErrKeyAfterAll:
		return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	case aclErrChanAfterAll:
		return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	case aclErrNoPassword:
		return "The password you are trying to remove from the user does not exist"
	case aclErrBadHash:
		return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	case aclErrFirstArgSub:
		return "Allowing first-arg of a subcommand is not supported"
	}
	return "Wrong format"
}

func newSelector(flags uint8) *aclSelector {
	return &aclSelector{flags: flags, bits: make([]uint64, aclTable().words)}
}

func (s *aclSelector) clone() *aclSelector {
	n := *s
	n.bits = append([]uint64(nil), s.bits...)
	n.keys = append([]aclKeyPat(nil), s.keys...)
	n.chans = append([]string(nil), s.chans...)
	if s.first != nil {
		n.first = make(map[int][]string, len(s.first))
		for id, a := range s.first {
			n.first[id] = append([]string(nil), a...)
		}
	}
	return &n
}

func (s *aclSelector) bit(id int) bool { return s.bits[id/64]&(1<<(id%64)) != 0 }

// setBit is ACLSetSelectorCommandBit: clearing a bit also clears allcommands.
func (s *aclSelector) setBit(id int, v bool) {
	if v {
		s.bits[id/64] |= 1 << (id % 64)
	} else {
		s.bits[id/64] &^= 1 << (id % 64)
		s.flags &^= selAllCmds
	}
}

// changePerm allows or denies cmd, and with a container all its
// subcommands (ACLChangeSelectorPerm).
func (s *aclSelector) changePerm(cmd *Command, allow bool) {
	s.setBit(cmd.aclID, allow)
	delete(s.first, cmd.aclID)
	for _, sub := range cmd.Sub {
		s.setBit(sub.aclID, allow)
	}
}

// setCategory allows or denies every command of category i.
func (s *aclSelector) setCategory(i int, allow bool) {
	t := aclTable()
	for j, cmd := range t.top {
		if t.cats[cmd.aclID]&(1<<i) != 0 {
			s.changePerm(cmd, allow)
		}
		for _, sub := range t.subs[j] {
			if t.cats[sub.aclID]&(1<<i) != 0 {
				s.changePerm(sub, allow)
			}
		}
	}
}

// countCategory counts the commands of category i the selector allows and
// denies.
func (s *aclSelector) countCategory(i int) (on, off int) {
	t := aclTable()
	for id, m := range t.cats {
		if m&(1<<i) != 0 && !t.newer[id] {
			if s.bit(id) {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}

func (s *aclSelector) setAll(allow bool) {
	var w uint64
	if allow {
		w = ^uint64(0)
		s.flags |= selAllCmds
	} else {
		s.flags &^= selAllCmds
	}
	for i := range s.bits {
		s.bits[i] = w
	}
	s.first = nil
}

// apply applies one selector rule (ACLSetSelector).
func (s *aclSelector) apply(op string) aclRuleErr {
	switch {
	case strings.EqualFold(op, "allkeys") || op == "~*":
		s.flags |= selAllKeys
		s.keys, s.partial = nil, false
	case strings.EqualFold(op, "resetkeys"):
		s.flags &^= selAllKeys
		s.keys, s.partial = nil, false
	case strings.EqualFold(op, "allchannels") || op == "&*":
		s.flags |= selAllChans
		s.chans = nil
	case strings.EqualFold(op, "resetchannels"):
		s.flags &^= selAllChans
		s.chans = nil
	case strings.EqualFold(op, "allcommands") || strings.EqualFold(op, "+@all"):
		s.setAll(true)
	case strings.EqualFold(op, "nocommands") || strings.EqualFold(op, "-@all"):
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		if s.flags&selAllKeys != 0 {
			return aclErrKeyAfterAll
		}
		perm, off := aclRW, 1
		if op[0] == '%' {
			perm = 0
			for ; off < len(op); off++ {
				if c := op[off] | 0x20; c == 'r' && perm&aclRead == 0 {
					perm |= aclRead
				} else if c == 'w' && perm&aclWrite == 0 {
					perm |= aclWrite
				} else if op[off] == '~' {
					off++
					break
				} else {
					return aclErrSyntax
				}
			}
			if perm == 0 {
				return aclErrSyntax
			}
		}
		pat := op[off:]
		if aclHasSpaces(pat) {
			return aclErrSyntax
		}
		found := false
		for i := range s.keys {
			if s.keys[i].pat == pat {
				s.keys[i].perm |= perm
				found = true
			}
		}
		if !found {
			s.keys = append(s.keys, aclKeyPat{pat, perm})
		}
		s.partial = false
		for _, k := range s.keys {
			s.partial = s.partial || k.perm != aclRW
		}
		s.flags &^= selAllKeys
	case op[0] == '&':
		if s.flags&selAllChans != 0 {
			return aclErrChanAfterAll
		}
		pat := op[1:]
		if aclHasSpaces(pat) {
			return aclErrSyntax
		}
		if !slices.Contains(s.chans, pat) {
			s.chans = append(s.chans, pat)
		}
		s.flags &^= selAllChans
	case len(op) >= 2 && (op[0] == '+' || op[0] == '-') && op[1] == '@':
		i := aclCategoryIndex(op[2:])
		if i < 0 {
			return aclErrUnknown
		}
		s.setCategory(i, op[0] == '+')
	case op[0] == '+':
		bar := strings.LastIndexByte(op, '|')
		if bar < 0 {
			cmd := aclLookup(op[1:])
			if cmd == nil {
				return aclErrUnknown
			}
			s.changePerm(cmd, true)
			return aclErrNone
		}
		cmd := aclLookup(op[1:bar])
		if cmd == nil {
			return aclErrUnknown
		}
		if strings.Contains(cmd.Name, "|") {
			return aclErrFirstArgSub
		}
		arg := op[bar+1:]
		if arg == "" {
			return aclErrSyntax
		}
		if cmd.Sub != nil {
			sub := aclLookup(op[1:])
			if sub == nil {
				return aclErrUnknown
			}
			s.changePerm(sub, true)
			return aclErrNone
		}
		if s.first == nil {
			s.first = map[int][]string{}
		}
		for _, a := range s.first[cmd.aclID] {
			if strings.EqualFold(a, arg) {
				return aclErrNone
			}
		}
		s.first[cmd.aclID] = append(s.first[cmd.aclID], arg)
	case op[0] == '-':
		cmd := aclLookup(op[1:])
		if cmd == nil {
			return aclErrUnknown
		}
		s.changePerm(cmd, false)
	default:
		return aclErrSyntax
	}
	return aclErrNone
}

// aclHasSpaces is ACLStringHasSpaces: C's isspace or a NUL byte.
func aclHasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}

// describeCommands is ACLDescribeSelectorCommandRules: +@all or -@all,
// the categories that best fit the bitmap, then single commands. Redis
// walks its command dict in hash order for the single commands; they come
// here in name order.
func (s *aclSelector) describeCommands() string {
	t := aclTable()
	var b strings.Builder
	fake := newSelector(0)
	additive := !s.bit(t.future)
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := &aclSelector{bits: append([]uint64(nil), s.bits...)}
	applied := make([]bool, len(aclOrder))
	for {
		best, mindiff, maxsame := -1, int(^uint(0)>>1), 0
		for j := range aclOrder {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		fake.setCategory(best, additive)
		temp.setCategory(best, !additive)
		if additive {
			b.WriteString("+")
		} else {
			b.WriteString("-")
		}
		b.WriteString(aclOrder[best])
		b.WriteString(" ")
		applied[best] = true
	}
	var single func(cmds []*Command, subs [][]*Command)
	single = func(cmds []*Command, subs [][]*Command) {
		for i, cmd := range cmds {
			user := s.bit(cmd.aclID)
			if user != fake.bit(cmd.aclID) {
				if user {
					b.WriteString("+")
				} else {
					b.WriteString("-")
				}
				b.WriteString(cmd.Name)
				b.WriteString(" ")
				fake.changePerm(cmd, user)
			}
			if subs != nil && len(subs[i]) > 0 {
				single(subs[i], nil)
			}
			if !user {
				for _, a := range s.first[cmd.aclID] {
					b.WriteString("+" + cmd.Name + "|" + a + " ")
				}
			}
		}
	}
	single(t.top, t.subs)
	return strings.TrimSuffix(b.String(), " ")
}

// keysString is the selector's key patterns as ACL GETUSER shows them.
func (s *aclSelector) keysString() string {
	if s.flags&selAllKeys != 0 {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

func (k aclKeyPat) String() string {
	switch k.perm {
	case aclRead:
		return "%R~" + k.pat
	case aclWrite:
		return "%W~" + k.pat
	}
	return "~" + k.pat
}

// chansString is the selector's channel patterns as ACL GETUSER shows them.
func (s *aclSelector) chansString() string {
	if s.flags&selAllChans != 0 {
		return "&*"
	}
	parts := make([]string, len(s.chans))
	for i, c := range s.chans {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is ACLDescribeSelector: keys, channels and commands, as ACL
// LIST shows them.
func (s *aclSelector) describe() string {
	var b strings.Builder
	if s.flags&selAllKeys != 0 {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteString(" ")
		}
	}
	if s.flags&selAllChans != 0 {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.chans {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.describeCommands())
	return b.String()
}

// aclPerms is one state of a user's rules; never changed once published.
type aclPerms struct {
	flags     uint8
	passwords []string // hex SHA-256
	sels      []*aclSelector
	// all: the root selector allows every command, key and channel, so a
	// call needs no check (the common case: the default user).
	all bool
	// deleted: the user was removed (ACL DELUSER, ACL LOAD); its clients
	// are being closed and may run nothing more.
	deleted bool
}

// aclUser is a user: its name and its current rules.
type aclUser struct {
	name string
	p    atomic.Pointer[aclPerms]
}

func (u *aclUser) perms() *aclPerms { return u.p.Load() }

// newPerms is a new user's rules: off, no password, nothing allowed.
func newPerms(pubsubAll bool) *aclPerms {
	f := selRoot
	if pubsubAll {
		f |= selAllChans
	}
	return &aclPerms{flags: userOff, sels: []*aclSelector{newSelector(f)}}
}

// defaultPerms are the default user's initial rules: on, every permission,
// nopass or requirepass.
func defaultPerms(requirepass string) *aclPerms {
	p := newPerms(false)
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		p.apply(op, false)
	}
	if requirepass != "" {
		p.apply(">"+requirepass, false)
	}
	p.seal()
	return p
}

func (p *aclPerms) clone() *aclPerms {
	n := &aclPerms{flags: p.flags, passwords: append([]string(nil), p.passwords...)}
	for _, s := range p.sels {
		n.sels = append(n.sels, s.clone())
	}
	return n
}

// seal computes the derived fields once the rules are final.
func (p *aclPerms) seal() *aclPerms {
	r := p.sels[0].flags
	p.all = r&selAllCmds != 0 && r&selAllKeys != 0 && r&selAllChans != 0 && !p.deleted
	return p
}

// enabled: the user may authenticate (not "off").
func (p *aclPerms) enabled() bool { return p.flags&userOff == 0 }

func aclHashPassword(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(sum[:])
}

func aclValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < 'a' || c > 'f') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// apply applies one rule of ACL SETUSER (ACLSetUser). pubsubAll is
// acl-pubsub-default: whether new selectors start with allchannels.
func (p *aclPerms) apply(op string, pubsubAll bool) aclRuleErr {
	if op == "" {
		return aclErrNone
	}
	switch {
	case strings.EqualFold(op, "on"):
		p.flags = p.flags&^userOff | userOn
	case strings.EqualFold(op, "off"):
		p.flags = p.flags&^userOn | userOff
	case strings.EqualFold(op, "skip-sanitize-payload"):
		p.flags = p.flags&^userSanitize | userSkipSanitize
	case strings.EqualFold(op, "sanitize-payload"):
		p.flags = p.flags&^userSkipSanitize | userSanitize
	case strings.EqualFold(op, "nopass"):
		p.flags |= userNopass
		p.passwords = nil
	case strings.EqualFold(op, "resetpass"):
		p.flags &^= userNopass
		p.passwords = nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = aclHashPassword(h)
		} else if !aclValidHash(h) {
			return aclErrBadHash
		}
		if !slices.Contains(p.passwords, h) {
			p.passwords = append(p.passwords, h)
		}
		p.flags &^= userNopass
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = aclHashPassword(h)
		} else if !aclValidHash(h) {
			return aclErrBadHash
		}
		for i, x := range p.passwords {
			if x == h {
				p.passwords = append(p.passwords[:i:i], p.passwords[i+1:]...)
				return aclErrNone
			}
		}
		return aclErrNoPassword
	case op[0] == '(' && op[len(op)-1] == ')':
		f := uint8(0)
		if pubsubAll {
			f |= selAllChans
		}
		s := newSelector(f)
		inner := ""
		if len(op) >= 2 {
			inner = op[1 : len(op)-1]
		}
		words, _ := splitArgs(inner)
		for _, w := range words {
			if e := s.apply2(w); e != aclErrNone {
				return e
			}
		}
		p.sels = append(p.sels, s)
	case strings.EqualFold(op, "clearselectors"):
		p.sels = p.sels[:1]
	case strings.EqualFold(op, "reset"):
		for _, o := range []string{"resetpass", "resetkeys", "resetchannels"} {
			p.apply(o, pubsubAll)
		}
		if pubsubAll {
			p.apply("allchannels", pubsubAll)
		}
		for _, o := range []string{"off", "sanitize-payload", "clearselectors", "-@all"} {
			p.apply(o, pubsubAll)
		}
	default:
		return p.sels[0].apply(op)
	}
	return aclErrNone
}

// apply2 applies a rule inside a "(...)" selector, where an empty word
// (from quotes) is no rule to apply.
func (s *aclSelector) apply2(op string) aclRuleErr {
	if op == "" {
		return aclErrSyntax
	}
	return s.apply(op)
}

// describe is ACLDescribeUser: flags, password hashes, the root selector,
// then the others in parentheses (ACL LIST, ACL SAVE).
func (p *aclPerms) describe() string {
	var b strings.Builder
	for _, f := range aclUserFlagNames {
		if p.flags&f.flag != 0 {
			b.WriteString(f.name)
			b.WriteString(" ")
		}
	}
	for _, h := range p.passwords {
		b.WriteString("#" + h + " ")
	}
	for i, s := range p.sels {
		if i == 0 {
			b.WriteString(s.describe())
		} else {
			b.WriteString(" (" + s.describe() + ")")
		}
	}
	return b.String()
}

// mergeSelectorArgs is ACLMergeSelectorArguments: a selector may be spread
// over several arguments, "(~key*" "+get)" being "(~key* +get)". bad is
// the index of an unterminated one (ok false).
func mergeSelectorArgs(args []string) (out []string, bad int, ok bool) {
	open := -1
	var sel string
	for j, op := range args {
		if len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')' { // even while merging one: restarts, as in Redis
			sel, open = op, j
			continue
		}
		if open >= 0 {
			sel += " " + op
			if len(op) > 0 && op[len(op)-1] == ')' {
				open = -1
				out = append(out, sel)
			}
			continue
		}
		out = append(out, op)
	}
	if open >= 0 {
		return nil, open, false
	}
	return out, 0, true
}
