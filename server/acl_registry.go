package server

import (
	"crypto/subtle"
	"slices"
	"sort"
	"sync"

	"fastcache/config"
	"fastcache/pubsub"
)

// The server's ACL users: the registry, authentication, the default user's
// password (requirepass) and what happens to connections when their user
// changes or goes away. Users are configuration, not data: they are not
// in the WAL nor sent to replicas (as in Redis), only in the aclfile.

type aclState struct {
	srv   *Server
	mu    sync.Mutex // users, and every change of a user's rules
	users map[string]*aclUser
	def   *aclUser
	log   aclLog
}

func (s *Server) initACL() {
	aclTable()
	a := &s.acl
	a.srv = s
	pw := ""
	if s.cfg != nil {
		pw = s.cfg.RequirePass()
	}
	a.def = &aclUser{name: "default"}
	a.def.p.Store(defaultPerms(pw))
	a.users = map[string]*aclUser{"default": a.def}
	if s.cfg != nil {
		// requirepass is the default user's password, as in Redis (CONFIG
		// SET resets its passwords to that one, or to nopass).
		s.cfg.OnChange("requirepass", func(cfg *config.Config) error {
			a.mu.Lock()
			defer a.mu.Unlock()
			p := a.def.perms().clone()
			p.apply("resetpass", false)
			if pw := cfg.RequirePass(); pw != "" {
				p.apply(">"+pw, false)
			} else {
				p.apply("nopass", false)
			}
			a.def.p.Store(p.seal())
			return nil
		})
	}
}

func (a *aclState) maxLog() int {
	if a.srv.cfg == nil {
		return 128
	}
	return int(min(a.srv.cfg.ACLLogMaxLen(), 1<<31))
}

func (a *aclState) pubsubAll() bool { return a.srv.cfg != nil && a.srv.cfg.ACLPubsubAll() }

func (a *aclState) get(name string) *aclUser {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.users[name]
}

// names are the users' names in byte order (Redis's rax order).
func (a *aclState) list() []*aclUser {
	a.mu.Lock()
	out := make([]*aclUser, 0, len(a.users))
	for _, u := range a.users {
		out = append(out, u)
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// authRequired is Redis's authRequired for a connection not authenticated
// yet: the default user has a password, or is off.
func (a *aclState) authRequired() bool {
	p := a.def.perms()
	return p.flags&userNopass == 0 || p.flags&userOff != 0
}

// authenticate is AUTH user pass (and HELLO's AUTH option): on success the
// connection runs as user from now on; a failure is in ACL LOG. name is
// the command as typed.
func (a *aclState) authenticate(c *Client, name, user, pass []byte) bool {
	u := a.get(string(user))
	ok := false
	if u != nil {
		p := u.perms()
		switch {
		case !p.enabled() || p.deleted:
		case p.flags&userNopass != 0:
			ok = true
		default:
			h := []byte(aclHashPassword(string(pass)))
			for _, x := range p.passwords {
				if subtle.ConstantTimeCompare(h, []byte(x)) == 1 {
					ok = true
				}
			}
		}
	}
	if !ok {
		a.logAuth(c, name, user)
		return false
	}
	c.user.Store(u)
	c.authed = true
	return true
}

// setDefaultAuth puts c back to the default user (a new connection,
// RESET): authenticated when that user needs no password.
func (c *Client) setDefaultAuth() {
	a := &c.srv.acl
	c.user.Store(a.def)
	c.authed = !a.authRequired()
}

// userName is the name of c's user.
func (c *Client) userName() string {
	if u := c.user.Load(); u != nil {
		return u.name
	}
	return "default"
}

// aclDeletedPerms are the rules of a removed user's connections until they
// close: nothing.
func aclDeletedPerms() *aclPerms {
	return &aclPerms{flags: userOff, sels: []*aclSelector{newSelector(selRoot)}, deleted: true}
}

// closeClientsOf closes the connections of the users in gone (self, the
// client asking, after its reply), as Redis's ACLFreeUserAndKillClients.
func (a *aclState) closeClientsOf(self *Client, gone map[*aclUser]bool) {
	if len(gone) == 0 {
		return
	}
	for _, cl := range a.srv.clientList() {
		if !gone[cl.user.Load()] {
			continue
		}
		if cl == self {
			self.closeAfter = true
		} else {
			cl.kill()
		}
	}
}

// closeRevokedSubscribers closes u's pub/sub connections subscribed to a
// channel or pattern its new rules no longer allow, as Redis's
// ACLKillPubsubClientsIfNeeded (which closes nothing when every channel
// pattern of the old rules is still among the new ones).
func (a *aclState) closeRevokedSubscribers(self *Client, u *aclUser, old, cur *aclPerms) {
	var upcoming []string
	for _, s := range cur.sels {
		if s.flags&selAllChans != 0 {
			return
		}
		upcoming = append(upcoming, s.chans...)
	}
	kept := true
	for _, s := range old.sels {
		kept = kept && s.flags&selAllChans == 0 // all channels: the new list cannot hold them
		for _, ch := range s.chans {
			kept = kept && slices.Contains(upcoming, ch)
		}
	}
	if kept {
		return
	}
	reg := a.srv.psrv.reg
	for _, cl := range a.srv.clientList() {
		if cl.user.Load() != u || !cl.psPub.Load().pubsubMode() {
			continue
		}
		revoked := false
		reg.Subscriptions(cl, func(k pubsub.Kind, name []byte) bool {
			revoked = !aclChanAllowed(upcoming, name, k == pubsub.Pattern)
			return !revoked
		})
		if !revoked {
			continue
		}
		if cl == self {
			self.closeAfter = true
		} else {
			cl.kill()
		}
	}
}
