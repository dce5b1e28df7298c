package server

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strings"
)

// The ACL command: users (acl_user.go, acl_registry.go), their checks
// (acl_check.go), ACL LOG (acl_log.go) and the aclfile (acl_file.go),
// with Redis 7.0's replies and error texts.

const errAclNoFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func init() {
	acl := &Command{Name: "acl", Arity: -2, Group: "server", Since: "6.0.0",
		Summary: "A container for Access List Control commands", Complexity: "Depends on subcommand."}
	acl.Handler = func(c *Client, args [][]byte) { runSub(c, acl, args) }
	const adm = flagAdmin | flagLoading
	sub := func(name string, arity int, f flags, since, summary, complexity, args string, h func(*Client, [][]byte)) *Command {
		return &Command{Name: "acl|" + name, Arity: arity, Flags: f, Group: "server", Since: since,
			Summary: summary, Complexity: complexity, Args: args, Handler: h}
	}
	acl.Sub = subTable(
		sub("cat", -2, flagLoading, "6.0.0", "List the ACL categories or the commands inside a category",
			"O(1) since the categories and commands are a fixed set.", "[category:string]", aclCat),
		sub("deluser", -3, adm, "6.0.0", "Remove the specified ACL users and the associated rules",
			"O(1) amortized time considering the typical user.", "username:string...", aclDelUser),
		sub("dryrun", -4, adm, "7.0.0", "Returns whether the user can execute the given command without executing the command.",
			"O(1).", "username:string command:string [arg:string...]", aclDryRun),
		sub("genpass", -2, flagLoading, "6.0.0", "Generate a pseudorandom secure password to use for ACL users",
			"O(1)", "[bits:integer]", aclGenPass),
		sub("getuser", 3, adm, "6.0.0", "Get the rules for a specific ACL user",
			"O(N). Where N is the number of password, command and pattern rules that the user has.", "username:string", aclGetUser),
		sub("help", 2, flagLoading, "6.0.0", "Show helpful text about the different subcommands", "O(1)", "", aclHelp),
		sub("list", 2, adm, "6.0.0", "List the current ACL rules in ACL config file format",
			"O(N). Where N is the number of configured users.", "", aclList),
		sub("load", 2, adm, "6.0.0", "Reload the ACLs from the configured ACL file",
			"O(N). Where N is the number of configured users.", "", aclLoad),
		sub("log", -2, adm, "6.0.0", "List latest events denied because of ACLs in place",
			"O(N) with N being the number of entries shown.", "[operation=(count:integer|RESET)]", aclLogCmd),
		sub("save", 2, adm, "6.0.0", "Save the current ACL rules in the configured ACL file",
			"O(N). Where N is the number of configured users.", "", aclSave),
		sub("setuser", -3, adm, "6.0.0", "Modify or create the rules for a specific ACL user",
			"O(N). Where N is the number of rules provided.", "username:string [rule:string...]", aclSetUser),
		sub("users", 2, adm, "6.0.0", "List the username of all the configured ACL rules",
			"O(N). Where N is the number of configured users.", "", aclUsers),
		sub("whoami", 2, flagLoading, "6.0.0", "Return the name of the user associated to the current connection",
			"O(1)", "", func(c *Client, args [][]byte) { c.reply.BulkString(c.userName()) }),
	)
	register(acl)
}

// aclSubSyntaxError is Redis's answer to extra arguments of the ACL
// subcommands that take optional ones.
func aclSubSyntaxError(c *Client, args [][]byte) {
	c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitizeAll(args[1]) + "'. Try ACL HELP.")
}

func aclUsers(c *Client, args [][]byte) {
	users := c.srv.acl.list()
	c.reply.Array(len(users))
	for _, u := range users {
		c.reply.BulkString(u.name)
	}
}

func aclList(c *Client, args [][]byte) {
	users := c.srv.acl.list()
	c.reply.Array(len(users))
	for _, u := range users {
		c.reply.BulkString("user " + u.name + " " + u.perms().describe())
	}
}

func aclGetUser(c *Client, args [][]byte) {
	u := c.srv.acl.get(string(args[2]))
	if u == nil {
		c.reply.Null()
		return
	}
	p := u.perms()
	r := &c.reply
	r.Map(6)
	r.BulkString("flags")
	var flags []string
	for _, f := range aclUserFlagNames {
		if p.flags&f.flag != 0 {
			flags = append(flags, f.name)
		}
	}
	r.Set(len(flags))
	for _, f := range flags {
		r.BulkString(f)
	}
	r.BulkString("passwords")
	r.Array(len(p.passwords))
	for _, h := range p.passwords {
		r.BulkString(h)
	}
	aclReplySelector(r, p.sels[0])
	r.BulkString("selectors")
	r.Array(len(p.sels) - 1)
	for _, s := range p.sels[1:] {
		r.Map(3)
		aclReplySelector(r, s)
	}
}

// aclReplySelector writes a selector's commands, keys and channels.
func aclReplySelector(r *Reply, s *aclSelector) {
	r.BulkString("commands")
	r.BulkString(s.describeCommands())
	r.BulkString("keys")
	r.BulkString(s.keysString())
	r.BulkString("channels")
	r.BulkString(s.chansString())
}

func aclCat(c *Client, args [][]byte) {
	if len(args) == 2 {
		c.reply.Array(len(aclOrder))
		for _, cat := range aclOrder {
			c.reply.BulkString(cat[1:])
		}
		return
	}
	if len(args) > 3 {
		aclSubSyntaxError(c, args)
		return
	}
	want := "@" + strings.ToLower(string(args[2]))
	known := false
	for _, cat := range aclOrder {
		known = known || cat == want
	}
	if !known {
		c.reply.Error("ERR Unknown category '" + sanitizeAll(args[2][:min(len(args[2]), 128)]) + "'")
		return
	}
	var out []string
	has := func(cmd *Command) bool {
		for _, x := range aclCategories(cmd) {
			if x == want {
				return true
			}
		}
		return false
	}
	t := aclTable() // the commands, and the ones Redis has that fastcache only knows by name
	for i, cmd := range t.top {
		if has(cmd) {
			out = append(out, cmd.Name)
		}
		for _, s := range t.subs[i] {
			if has(s) {
				out = append(out, s.Name)
			}
		}
	}
	sort.Strings(out)
	c.reply.Array(len(out))
	for _, n := range out {
		c.reply.BulkString(n)
	}
}

func aclGenPass(c *Client, args [][]byte) {
	bits := int64(256)
	if len(args) > 3 {
		aclSubSyntaxError(c, args)
		return
	}
	if len(args) == 3 {
		v, ok := parseInt64(args[2])
		if !ok {
			c.reply.Error(msgNotInteger)
			return
		}
		if v <= 0 || v > 4096 {
			c.reply.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = v
	}
	chars := (bits + 3) / 4
	b := make([]byte, (chars+1)/2)
	rand.Read(b)
	c.reply.BulkString(hex.EncodeToString(b)[:chars])
}

func aclLogCmd(c *Client, args [][]byte) {
	if len(args) > 3 {
		aclSubSyntaxError(c, args)
		return
	}
	count := int64(10)
	if len(args) == 3 {
		if eqFold(args[2], "reset") {
			c.srv.acl.log.reset()
			c.reply.OK()
			return
		}
		v, ok := parseInt64(args[2])
		if !ok {
			c.reply.Error(msgNotInteger)
			return
		}
		count = max(v, 0)
	}
	aclLogReply(c, int(min(count, 1<<31)))
}

func aclDelUser(c *Client, args [][]byte) {
	for _, u := range args[2:] {
		if string(u) == "default" {
			c.reply.Error("ERR The 'default' user cannot be removed")
			return
		}
	}
	a := &c.srv.acl
	gone := map[*aclUser]bool{}
	a.mu.Lock()
	for _, name := range args[2:] {
		if u := a.users[string(name)]; u != nil {
			delete(a.users, string(name))
			u.p.Store(aclDeletedPerms())
			gone[u] = true
		}
	}
	a.mu.Unlock()
	a.closeClientsOf(c, gone)
	c.reply.Int(int64(len(gone)))
}

func aclDryRun(c *Client, args [][]byte) {
	u := c.srv.acl.get(string(args[2]))
	if u == nil {
		c.reply.Error("ERR User '" + sanitizeAll(args[2]) + "' not found")
		return
	}
	call := args[3:]
	cmd := commands[strings.ToLower(string(call[0]))]
	if cmd != nil && cmd.Sub != nil && len(call) >= 2 {
		cmd = cmd.Sub[strings.ToLower(string(call[1]))]
	}
	if cmd == nil {
		c.reply.Error("ERR Command '" + sanitizeAll(args[3]) + "' not found")
		return
	}
	if !arityOK(cmd.Arity, len(call)) {
		c.reply.Error(errWrongArgs(cmd.Name))
		return
	}
	res, idx := u.perms().check(cmd, call)
	switch res {
	case aclOK:
		c.reply.OK()
	case aclDeniedKey:
		c.reply.BulkString("This user has no permissions to access the '" + string(call[idx]) + "' key")
	case aclDeniedChannel:
		c.reply.BulkString("This user has no permissions to access the '" + string(call[idx]) + "' channel")
	default:
		c.reply.BulkString("This user has no permissions to run the '" + cmd.Name + "' command")
	}
}

func aclSetUser(c *Client, args [][]byte) {
	name := string(args[2])
	if aclHasSpaces(name) {
		c.reply.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	rules := make([]string, len(args)-3)
	for i, a := range args[3:] {
		rules[i] = string(a)
	}
	if msg := c.srv.acl.setUser(c, name, rules); msg != "" {
		c.reply.Error(msg)
		return
	}
	c.reply.OK()
}

// setUser creates or changes user name with rules, all or nothing: "" or
// the error.
func (a *aclState) setUser(c *Client, name string, rules []string) string {
	merged, bad, ok := mergeSelectorArgs(rules)
	if !ok {
		return "ERR Unmatched parenthesis in acl selector starting at '" + sanitizeAll([]byte(rules[bad])) + "'."
	}
	pubsubAll := a.pubsubAll()
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[name]
	var p, old *aclPerms
	if u != nil {
		old = u.perms()
		p = old.clone()
	} else {
		p = newPerms(pubsubAll)
	}
	for _, op := range merged {
		if e := p.apply(op, pubsubAll); e != aclErrNone {
			return "ERR Error in ACL SETUSER modifier '" + sanitizeAll([]byte(op)) + "': " + e.String()
		}
	}
	p.seal()
	if u == nil {
		u = &aclUser{name: name}
		a.users[name] = u
	} else {
		a.closeRevokedSubscribers(c, u, old, p)
	}
	u.p.Store(p)
	return ""
}

var aclHelpLines = []string{
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
}

func aclHelp(c *Client, args [][]byte) { replyHelp(c, "acl", aclHelpLines) }
