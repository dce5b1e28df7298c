package server

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"fastcache/cache"
)

// Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT and
// CLIENT, with Redis 7.0's replies and error texts (CLIENT SETINFO and
// NO-TOUCH as in 7.2, since current drivers send SETINFO on connect).

const (
	errWrongPass  = "WRONGPASS invalid username-password pair or user is disabled."
	errNoPassword = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errHelloAuth  = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errBadName    = "ERR Client names cannot contain spaces, newlines or special characters."
	msgSyntaxErr  = "ERR syntax error"
	msgNotInteger = "ERR value is not an integer or out of range"
)

func init() {
	register(
		&Command{Name: "ping", Arity: -1, Flags: flagFast, Group: "connection", Since: "1.0.0", isPing: true,
			Summary: "Ping the server", Handler: cmdPing},
		&Command{Name: "echo", Arity: 2, Flags: flagFast | flagLoading, Group: "connection", Since: "1.0.0",
			Summary: "Echo the given string", Handler: cmdEcho},
		&Command{Name: "quit", Arity: -1, Flags: flagNoAuth | flagLoading | flagNoMulti | flagFast, Group: "connection", Since: "1.0.0",
			Summary: "Close the connection", Handler: cmdQuit},
		&Command{Name: "reset", Arity: 1, Flags: flagNoAuth | flagLoading | flagNoMulti | flagFast, Group: "connection", Since: "6.2.0",
			Summary: "Reset the connection", Handler: cmdReset},
		&Command{Name: "hello", Arity: -1, Flags: flagNoAuth | flagLoading | flagFast, Group: "connection", Since: "6.0.0",
			Summary: "Handshake with Redis", Handler: cmdHello},
		&Command{Name: "auth", Arity: -2, Flags: flagNoAuth | flagLoading | flagFast, Group: "connection", Since: "1.0.0",
			Summary: "Authenticate to the server", Handler: cmdAuth},
		&Command{Name: "select", Arity: 2, Flags: flagLoading | flagFast, Group: "connection", Since: "1.0.0",
			Summary: "Change the selected database for the current connection", Handler: cmdSelect},
	)

	client := &Command{Name: "client", Arity: -2, Flags: flagLoading, Group: "connection", Since: "2.4.0",
		Summary: "A container for client connection commands"}
	client.Handler = func(c *Client, args [][]byte) { runSub(c, client, args) }
	client.Sub = subTable(
		&Command{Name: "client|id", Arity: 2, Flags: flagLoading, Group: "connection", Since: "5.0.0",
			Summary: "Returns the client ID for the current connection", Handler: clientID},
		&Command{Name: "client|setname", Arity: 3, Flags: flagLoading, Group: "connection", Since: "2.6.9",
			Summary: "Set the current connection name", Handler: clientSetName},
		&Command{Name: "client|getname", Arity: 2, Flags: flagLoading, Group: "connection", Since: "2.6.9",
			Summary: "Get the current connection name", Handler: clientGetName},
		&Command{Name: "client|setinfo", Arity: 4, Flags: flagLoading, Group: "connection", Since: "7.2.0",
			Summary: "Set client or connection specific info", Handler: clientSetInfo},
		&Command{Name: "client|list", Arity: -2, Flags: flagAdmin | flagLoading, Group: "connection", Since: "2.4.0",
			Summary: "Get the list of client connections", Handler: clientList},
		&Command{Name: "client|info", Arity: 2, Flags: flagLoading, Group: "connection", Since: "6.2.0",
			Summary: "Returns information about the current client connection.", Handler: clientInfo},
		&Command{Name: "client|kill", Arity: -3, Flags: flagAdmin | flagLoading, Group: "connection", Since: "2.4.0",
			Summary: "Kill the connection of a client", Handler: clientKill},
		&Command{Name: "client|no-evict", Arity: 3, Flags: flagAdmin | flagLoading, Group: "connection", Since: "7.0.0",
			Summary: "Set client eviction mode for the current connection", Handler: clientNoEvict},
		&Command{Name: "client|no-touch", Arity: 3, Flags: flagLoading, Group: "connection", Since: "7.2.0",
			Summary: "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.", Handler: clientNoTouch},
		&Command{Name: "client|pause", Arity: -3, Flags: flagAdmin | flagLoading, Group: "connection", Since: "3.0.0",
			Summary: "Stop processing commands from clients for some time", Handler: clientPause},
		&Command{Name: "client|unpause", Arity: 2, Flags: flagAdmin | flagLoading, Group: "connection", Since: "6.2.0",
			Summary: "Resume processing of clients that were paused", Handler: clientUnpause},
		&Command{Name: "client|reply", Arity: 3, Flags: flagLoading, Group: "connection", Since: "3.2.0",
			Summary: "Instruct the server whether to reply to commands", Handler: clientReply},
		&Command{Name: "client|unblock", Arity: -3, Flags: flagAdmin | flagLoading, Group: "connection", Since: "5.0.0",
			Summary: "Unblocks a client blocked by a blocking command from a different connection.", Handler: clientUnblock},
		&Command{Name: "client|help", Arity: 2, Flags: flagLoading, Group: "connection", Since: "5.0.0",
			Summary: "Show helpful text about the different subcommands", Handler: clientHelp},
	)
	register(client)
}

// subTable builds a Sub map keyed by the part after '|'.
func subTable(cmds ...*Command) map[string]*Command {
	m := make(map[string]*Command, len(cmds))
	for _, c := range cmds {
		_, sub, _ := strings.Cut(c.Name, "|")
		m[sub] = c
	}
	return m
}

// runSub dispatches a container command (CLIENT, CONFIG, COMMAND) to its
// subcommand and counts the call on the subcommand, as Redis does
// (cmdstat_client|list); INFO commandstats shows the parent's own share.
func runSub(c *Client, parent *Command, args [][]byte) {
	sub := subcommand(c, parent, args)
	if sub == nil {
		if s := parent.Sub[strings.ToLower(string(args[1]))]; s != nil {
			s.rejected.Add(1)
		}
		return
	}
	c.lastCmd.Store(&sub.Name)
	start := monotonic()
	n := c.reply.Len()
	sub.Handler(c, args)
	sub.record(monotonic()-start, c.srv.tracking.Load())
	if c.reply.Len() > n && c.reply.b[n] == '-' {
		sub.failed.Add(1)
	}
}

// replyHelp writes Redis's HELP reply: a header, the lines, then HELP itself,
// each a status line.
func replyHelp(c *Client, name string, lines []string) {
	c.reply.Array(len(lines) + 3)
	c.reply.Simple(strings.ToUpper(name) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.reply.Simple(l)
	}
	c.reply.Simple("HELP")
	c.reply.Simple("    Prints this help.") // Redis 7.0's addReplyHelp wording
}

// parseInt64 parses a whole decimal integer the way Redis's string2ll does.
func parseInt64(b []byte) (int64, bool) { return cache.ParseInt(b) }

func cmdPing(c *Client, args [][]byte) {
	switch len(args) {
	case 1:
		if c.ps.pubsubMode() && c.reply.proto == 2 {
			c.reply.Array(2)
			c.reply.BulkString("pong")
			c.reply.BulkString("")
			return
		}
		c.reply.Simple("PONG")
	case 2:
		if c.ps.pubsubMode() && c.reply.proto == 2 {
			c.reply.Array(2)
			c.reply.BulkString("pong")
		}
		c.reply.Bulk(args[1])
	default:
		c.reply.Error(errWrongArgs("ping"))
	}
}

func cmdEcho(c *Client, args [][]byte) { c.reply.Bulk(args[1]) }

func cmdQuit(c *Client, args [][]byte) {
	c.quitting.Store(true)
	c.reply.OK()
	c.closeAfter = true
}

func cmdReset(c *Client, args [][]byte) {
	c.resetState()
	c.reply.Simple("RESET")
}

// cmdAuth is AUTH [user] pass against the ACL users (acl_registry.go);
// the one-argument form is the default user's password (requirepass).
func cmdAuth(c *Client, args [][]byte) {
	if len(args) > 3 {
		c.reply.Error(msgSyntaxErr)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 2 {
		if c.srv.acl.def.perms().flags&userNopass != 0 {
			c.reply.Error(errNoPassword)
			return
		}
	} else {
		user, pass = args[1], args[2]
	}
	if !c.srv.acl.authenticate(c, args[0], user, pass) {
		c.reply.Error(errWrongPass)
		return
	}
	c.reply.OK()
}

// validName reports whether a client name (or SETINFO value) can be shown in
// CLIENT LIST: printable ASCII without spaces.
func validName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func cmdHello(c *Client, args [][]byte) {
	var ver int64
	next := 1
	if len(args) >= 2 {
		v, ok := parseInt64(args[1])
		if !ok {
			c.reply.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.reply.Error("NOPROTO unsupported protocol version")
			return
		}
		ver = v
		next = 2
	}
	var name []byte
	setname := false
	// As Redis 7.0: the options are handled in order, AUTH at once (a
	// later bad option does not undo it).
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "auth") && more >= 2:
			if !c.srv.acl.authenticate(c, args[0], args[j+1], args[j+2]) {
				c.reply.Error(errWrongPass)
				return
			}
			j += 2
		case eqFold(args[j], "setname") && more >= 1:
			name, setname = args[j+1], true
			if !validName(name) {
				c.reply.Error(errBadName)
				return
			}
			j++
		default:
			c.reply.Error("ERR Syntax error in HELLO option '" + sanitizeAll(args[j]) + "'")
			return
		}
	}
	if !c.authed && c.srv.acl.authRequired() {
		c.reply.Error(errHelloAuth)
		return
	}
	if setname {
		c.setName(string(name))
	}
	if ver != 0 {
		c.reply.proto = int(ver)
		if ver >= 3 {
			c.psState() // RESP3 clients can receive pushes (invalidations)
		}
		if c.ps != nil {
			c.ps.resp3.Store(ver >= 3)
		}
	}
	r := &c.reply
	r.Map(7)
	r.BulkString("server")
	r.BulkString("redis")
	r.BulkString("version")
	r.BulkString(Version)
	r.BulkString("proto")
	r.Int(int64(r.proto))
	r.BulkString("id")
	r.Int(c.ID)
	r.BulkString("mode")
	r.BulkString(c.srv.redisMode())
	r.BulkString("role")
	r.BulkString("master")
	r.BulkString("modules")
	r.Array(0)
}

func cmdSelect(c *Client, args [][]byte) {
	id, ok := parseInt64(args[1])
	if !ok {
		c.reply.Error(msgNotInteger)
		return
	}
	if id < -1<<31 || id > 1<<31-1 {
		c.reply.Error(errIntRange)
		return
	}
	if c.srv.cluster != nil && id != 0 {
		c.reply.Error("ERR SELECT is not allowed in cluster mode")
		return
	}
	if id < 0 || id >= int64(c.srv.cache.Databases()) {
		c.reply.Error("ERR DB index is out of range")
		return
	}
	c.selectDB(int(id))
	c.reply.OK()
}

// selectDB makes db the connection's database (SELECT, RESET).
func (c *Client) selectDB(db int) {
	c.db = db
	c.ks = c.ks.WithDB(db)
}

// ---- CLIENT ----

func clientID(c *Client, args [][]byte) { c.reply.Int(c.ID) }

func clientSetName(c *Client, args [][]byte) {
	if !validName(args[2]) {
		c.reply.Error(errBadName)
		return
	}
	c.setName(string(args[2]))
	c.reply.OK()
}

func clientGetName(c *Client, args [][]byte) {
	if n := c.Name(); n != "" {
		c.reply.BulkString(n)
		return
	}
	c.reply.Null()
}

func clientSetInfo(c *Client, args [][]byte) {
	attr, val := args[2], args[3]
	var dst *string
	switch {
	case eqFold(attr, "lib-name"):
		if !validName(val) {
			c.reply.Error("ERR " + sanitizeAll(attr) + " cannot contain spaces, newlines or special characters.")
			return
		}
		s := string(val)
		dst = &s
		c.libName.Store(dst)
	case eqFold(attr, "lib-ver"):
		if !validName(val) {
			c.reply.Error("ERR " + sanitizeAll(attr) + " cannot contain spaces, newlines or special characters.")
			return
		}
		s := string(val)
		dst = &s
		c.libVer.Store(dst)
	default:
		c.reply.Error("ERR Unrecognized option '" + sanitizeAll(attr) + "'")
		return
	}
	c.reply.OK()
}

func onOff(c *Client, arg []byte, dst *bool) {
	switch {
	case eqFold(arg, "on"):
		*dst = true
	case eqFold(arg, "off"):
		*dst = false
	default:
		c.reply.Error(msgSyntaxErr)
		return
	}
	c.reply.OK()
}

func clientNoEvict(c *Client, args [][]byte) { onOff(c, args[2], &c.noEvict) }
func clientNoTouch(c *Client, args [][]byte) { onOff(c, args[2], &c.noTouch) }

// Client types of CLIENT LIST/KILL TYPE: a client subscribed to anything
// is "pubsub", every other one "normal" (replicas are served by FCSYNC's
// stream, not as clients).
const (
	typeNone = iota
	typeNormal
	typePubSub
)

func clientTypeOK(b []byte) (typ int, ok bool) {
	switch strings.ToLower(string(b)) {
	case "normal":
		return typeNormal, true
	case "pubsub":
		return typePubSub, true
	case "slave", "replica", "master":
		return typeNone, true
	}
	return typeNone, false
}

// clientType is cl's type for CLIENT LIST/KILL TYPE.
func (cl *Client) clientType() int {
	if cl.psPub.Load().pubsubMode() {
		return typePubSub
	}
	return typeNormal
}

// ofType keeps the clients of type typ.
func ofType(list []*Client, typ int) []*Client {
	out := list[:0]
	for _, cl := range list {
		if cl.clientType() == typ {
			out = append(out, cl)
		}
	}
	return out
}

func clientList(c *Client, args [][]byte) {
	var list []*Client
	switch {
	case len(args) == 2:
		list = c.srv.clientList()
	case len(args) == 4 && eqFold(args[2], "type"):
		typ, ok := clientTypeOK(args[3])
		if !ok {
			c.reply.Error("ERR Unknown client type '" + sanitizeAll(args[3]) + "'")
			return
		}
		list = ofType(c.srv.clientList(), typ)
	case len(args) > 3 && eqFold(args[2], "id"):
		ids := make([]int64, 0, len(args)-3)
		for _, a := range args[3:] {
			id, ok := parseInt64(a)
			if !ok {
				c.reply.Error("ERR Invalid client ID")
				return
			}
			ids = append(ids, id)
		}
		c.srv.mu.Lock()
		for _, id := range ids {
			if cl := c.srv.clients[id]; cl != nil {
				list = append(list, cl)
			}
		}
		c.srv.mu.Unlock()
	default:
		c.reply.Error(msgSyntaxErr)
		return
	}
	var sb strings.Builder
	now := time.Now()
	for _, cl := range list {
		cl.appendInfo(&sb, c, now)
		sb.WriteByte('\n')
	}
	c.reply.Verbatim("txt", sb.String())
}

func clientInfo(c *Client, args [][]byte) {
	var sb strings.Builder
	c.appendInfo(&sb, c, time.Now())
	sb.WriteByte('\n')
	c.reply.Verbatim("txt", sb.String())
}

// clientList is every connected client in connection order.
func (s *Server) clientList() []*Client {
	s.mu.Lock()
	list := make([]*Client, 0, len(s.clients))
	for _, cl := range s.clients {
		if cl.killed.Load() {
			continue // closing: gone for the others, as Redis frees it at once
		}
		list = append(list, cl)
	}
	s.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// Packed client state published for other goroutines (CLIENT LIST): the
// connection's own goroutine owns the plain fields.
const (
	pubProtoMask = 0xf
	pubNoEvict   = 1 << 4
	pubNoTouch   = 1 << 5
	pubMulti     = 1 << 6
	pubDBShift   = 8
	pubQShift    = 32
)

// publish copies the state CLIENT LIST shows into c.pub; called by the
// connection's goroutine at the end of each pipeline.
func (c *Client) publish() {
	v := uint64(c.reply.proto) & pubProtoMask
	if c.noEvict {
		v |= pubNoEvict
	}
	if c.noTouch {
		v |= pubNoTouch
	}
	if c.multi {
		v |= pubMulti | uint64(len(c.queued))<<pubQShift
	}
	v |= uint64(c.db&0xff) << pubDBShift
	c.pub.Store(v)
}

// appendInfo writes c's CLIENT LIST line (without the newline) in Redis
// 7.2's field order. self is the client asking: its own line uses its live
// state, other clients' lines their last published state.
func (c *Client) appendInfo(sb *strings.Builder, self *Client, now time.Time) {
	var proto, db int
	var noEvict, noTouch, multi bool
	var queued int
	idle := now.UnixMilli() - c.lastActive.Load()
	if c == self {
		proto, db, noEvict, noTouch, multi, queued = c.reply.proto, c.db, c.noEvict, c.noTouch, c.multi, len(c.queued)
		idle = 0
	} else {
		v := c.pub.Load()
		proto = int(v & pubProtoMask)
		db = int(v >> pubDBShift & 0xff)
		noEvict, noTouch, multi = v&pubNoEvict != 0, v&pubNoTouch != 0, v&pubMulti != 0
		queued = int(v >> pubQShift)
	}
	if proto == 0 {
		proto = 2
	}
	ps := c.psPub.Load()
	flags := ""
	if c.monitoring.Load() {
		flags += "O"
	}
	if ps.pubsubMode() {
		flags += "P"
	}
	if multi {
		flags += "x"
	}
	if c.blockedFlag.Load() || c.pausePostponed.Load() {
		flags += "b"
	}
	flags += c.trackingFlags()
	if c.unixSock {
		flags += "U"
	}
	if noEvict {
		flags += "e"
	}
	if noTouch {
		flags += "T"
	}
	if flags == "" {
		flags = "N"
	}
	multiN := -1
	if multi {
		multiN = queued
	}
	cmd := "NULL"
	if p := c.lastCmd.Load(); p != nil {
		cmd = *p
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	w := func(k string, v string) {
		sb.WriteString(k)
		sb.WriteByte('=')
		sb.WriteString(v)
		sb.WriteByte(' ')
	}
	i := func(k string, v int64) { w(k, strconv.FormatInt(v, 10)) }
	i("id", c.ID)
	w("addr", c.Addr)
	w("laddr", c.Laddr)
	i("fd", int64(c.sock.descriptor()))
	w("name", c.Name())
	i("age", int64(now.Sub(c.created)/time.Second))
	i("idle", idle/1000)
	w("flags", flags)
	i("db", int64(db))
	var nsub, npsub, nssub, omem int64
	if ps != nil {
		nsub, npsub, nssub, omem = ps.nChannels.Load(), ps.nPatterns.Load(), ps.nShards.Load(), ps.ob.Used()
	}
	i("sub", nsub)
	i("psub", npsub)
	i("ssub", nssub)
	i("multi", int64(multiN))
	// tot-mem: the memory client eviction counts (evict_clients.go), as
	// the client's goroutine last published it (the caller's own, now)
	var rbs, multiMem int64
	argvMem := c.qargs.Load()
	totMem := c.memPub.Load()
	if c == self {
		for _, a := range c.curArgs {
			argvMem += int64(len(a))
		}
		rbs = int64(cap(c.reply.b))
		multiMem = c.multiMem
		totMem = c.ownMem()
	}
	totMem += c.queuedMem()
	qbuf := c.qbuf.Load()
	i("qbuf", qbuf)
	i("qbuf-free", 0)
	i("argv-mem", argvMem)
	i("multi-mem", multiMem)
	i("rbs", rbs)
	i("rbp", rbs)
	i("obl", 0)
	i("oll", 0)
	i("omem", omem)
	i("tot-mem", totMem)
	w("events", "r")
	w("cmd", cmd)
	w("user", c.userName())
	i("redir", c.trackingRedir())
	i("resp", int64(proto))
	w("lib-name", str(c.libName.Load()))
	sb.WriteString("lib-ver=")
	sb.WriteString(str(c.libVer.Load()))
}

// kill closes cl's connection: its network layer sees the socket shut down.
func (cl *Client) kill() {
	cl.killed.Store(true)
	cl.sock.shutdown()
}

func clientKill(c *Client, args [][]byte) {
	var addr, laddr []byte
	var id int64
	var user *aclUser
	typ, typeSet := typeNone, false
	skipme := true
	if len(args) == 3 {
		addr = args[2]
		skipme = false // the old form may kill the caller itself
	} else {
		for i := 2; i < len(args); i += 2 {
			more := i+1 < len(args)
			if !more {
				c.reply.Error(msgSyntaxErr)
				return
			}
			opt, val := args[i], args[i+1]
			switch {
			case eqFold(opt, "id"):
				v, ok := parseInt64(val)
				if !ok || v < 1 {
					c.reply.Error("ERR client-id should be greater than 0")
					return
				}
				id = v
			case eqFold(opt, "type"):
				t, ok := clientTypeOK(val)
				if !ok {
					c.reply.Error("ERR Unknown client type '" + sanitizeAll(val) + "'")
					return
				}
				typ, typeSet = t, true
			case eqFold(opt, "addr"):
				addr = val
			case eqFold(opt, "laddr"):
				laddr = val
			case eqFold(opt, "user"):
				if user = c.srv.acl.get(string(val)); user == nil {
					c.reply.Error("ERR No such user '" + sanitizeAll(val) + "'")
					return
				}
			case eqFold(opt, "skipme"):
				switch {
				case eqFold(val, "yes"):
					skipme = true
				case eqFold(val, "no"):
					skipme = false
				default:
					c.reply.Error(msgSyntaxErr)
					return
				}
			default:
				c.reply.Error(msgSyntaxErr)
				return
			}
		}
	}
	killed := 0
	{
		for _, cl := range c.srv.clientList() {
			if typeSet && cl.clientType() != typ {
				continue
			}
			if addr != nil && cl.Addr != string(addr) {
				continue
			}
			if laddr != nil && cl.Laddr != string(laddr) {
				continue
			}
			if id != 0 && cl.ID != id {
				continue
			}
			if user != nil && cl.user.Load() != user {
				continue
			}
			if cl == c {
				if skipme {
					continue
				}
				c.closeAfter = true
			} else {
				cl.kill()
			}
			killed++
		}
	}
	if len(args) == 3 {
		if killed == 0 {
			c.reply.Error("ERR No such client")
		} else {
			c.reply.OK()
		}
		return
	}
	c.reply.Int(int64(killed))
}

var clientHelpLines = []string{
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"    * ID <client-id>",
	"      Kill connections by client id.",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"    * ID <client-id> [<client-id> ...]",
	"      Return clients of specified IDs only.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"SETINFO <option> <value>",
	"    Set client meta attr. Options are:",
	"    * LIB-NAME: the client lib name.",
	"    * LIB-VER: the client lib version.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
	"NO-TOUCH (ON|OFF)",
	"    Will not touch LRU/LFU stats when this mode is on.",
}

// clientUnblock: CLIENT UNBLOCK id [TIMEOUT|ERROR] (blocking.go).
func clientUnblock(c *Client, args [][]byte) {
	if len(args) > 4 {
		c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + string(args[1]) + "'. Try CLIENT HELP.")
		return
	}
	id, ok := cache.ParseInt(args[2])
	if !ok {
		c.reply.Error(msgNotInteger)
		return
	}
	withError := false
	if len(args) == 4 {
		switch {
		case eqFold(args[3], "timeout"):
		case eqFold(args[3], "error"):
			withError = true
		default:
			c.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	c.reply.Int(b2i(c.srv.unblockID(id, withError)))
}

func clientHelp(c *Client, args [][]byte) { replyHelp(c, "client", clientHelpLines) }
