package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// ACL for the one user fastcache has: "default", with every permission,
// whose password is requirepass (nopass when requirepass is empty). The
// introspection subcommands answer as Redis 7.0's do for its default user;
// ACL SETUSER takes only the rules that keep that user as it is or set its
// password (on, nopass, >password, ~*, &*, +@all, allkeys, allchannels,
// allcommands) and answers errAclOneUser for anything else.

const (
	errAclNoFile  = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	errAclOneUser = "ERR fastcache has only the 'default' user, with every permission and requirepass as its one password: users other than 'default' are not supported"
)

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
			"O(N). Where N is the number of configured users.", "", aclNoFile),
		sub("log", -2, adm, "6.0.0", "List latest events denied because of ACLs in place",
			"O(N) with N being the number of entries shown.", "[operation=(count:integer|RESET)]", aclLog),
		sub("save", 2, adm, "6.0.0", "Save the current ACL rules in the configured ACL file",
			"O(N). Where N is the number of configured users.", "", aclNoFile),
		sub("setuser", -3, adm, "6.0.0", "Modify or create the rules for a specific ACL user",
			"O(N). Where N is the number of rules provided.", "username:string [rule:string...]", aclSetUser),
		sub("users", 2, adm, "6.0.0", "List the username of all the configured ACL rules",
			"O(N). Where N is the number of configured users.", "", aclUsers),
		sub("whoami", 2, flagLoading, "6.0.0", "Return the name of the user associated to the current connection",
			"O(1)", "", func(c *Client, args [][]byte) { c.reply.BulkString("default") }),
	)
	register(acl)
}

// aclSubSyntaxError is Redis's answer to extra arguments of the ACL
// subcommands that take optional ones.
func aclSubSyntaxError(c *Client, args [][]byte) {
	c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitizeAll(args[1]) + "'. Try ACL HELP.")
}

func aclNoFile(c *Client, args [][]byte) { c.reply.Error(errAclNoFile) }

func aclUsers(c *Client, args [][]byte) {
	c.reply.Array(1)
	c.reply.BulkString("default")
}

// aclPassRule is the default user's password rule: nopass, or the SHA-256
// of requirepass as Redis shows a password.
func aclPassRule(c *Client) string {
	pw := c.srv.cfg.RequirePass()
	if pw == "" {
		return "nopass"
	}
	sum := sha256.Sum256([]byte(pw))
	return "#" + hex.EncodeToString(sum[:])
}

func aclList(c *Client, args [][]byte) {
	c.reply.Array(1)
	c.reply.BulkString("user default on " + aclPassRule(c) + " ~* &* +@all")
}

func aclGetUser(c *Client, args [][]byte) {
	if string(args[2]) != "default" {
		c.reply.Null()
		return
	}
	rule := aclPassRule(c)
	r := &c.reply
	r.Map(6)
	r.BulkString("flags")
	if rule == "nopass" {
		r.Set(2)
		r.BulkString("on")
		r.BulkString("nopass")
	} else {
		r.Set(1)
		r.BulkString("on")
	}
	r.BulkString("passwords")
	if rule == "nopass" {
		r.Array(0)
	} else {
		r.Array(1)
		r.BulkString(rule[1:])
	}
	for _, kv := range [][2]string{{"commands", "+@all"}, {"keys", "~*"}, {"channels", "&*"}} {
		r.BulkString(kv[0])
		r.BulkString(kv[1])
	}
	r.BulkString("selectors")
	r.Array(0)
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
	for _, cmd := range sortedCommands() {
		if has(cmd) {
			out = append(out, cmd.Name)
		}
		for _, s := range sortedSubs(cmd) {
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

func aclLog(c *Client, args [][]byte) {
	if len(args) > 3 {
		aclSubSyntaxError(c, args)
		return
	}
	if len(args) == 3 {
		if eqFold(args[2], "reset") {
			c.reply.OK()
			return
		}
		if _, ok := parseInt64(args[2]); !ok {
			c.reply.Error(msgNotInteger)
			return
		}
	}
	c.reply.Array(0) // no user is ever denied anything
}

func aclDelUser(c *Client, args [][]byte) {
	for _, u := range args[2:] {
		if string(u) == "default" {
			c.reply.Error("ERR The 'default' user cannot be removed")
			return
		}
	}
	c.reply.Int(0)
}

func aclDryRun(c *Client, args [][]byte) {
	if string(args[2]) != "default" {
		c.reply.Error("ERR User '" + sanitizeAll(args[2]) + "' not found")
		return
	}
	cmd := commands[strings.ToLower(string(args[3]))]
	argc := len(args) - 3
	if cmd != nil && cmd.Sub != nil && argc >= 2 {
		cmd = cmd.Sub[strings.ToLower(string(args[4]))]
	}
	if cmd == nil {
		c.reply.Error("ERR Command '" + sanitizeAll(args[3]) + "' not found")
		return
	}
	if !arityOK(cmd.Arity, argc) {
		c.reply.Error(errWrongArgs(cmd.Name))
		return
	}
	c.reply.OK() // the default user may run every command
}

func aclSetUser(c *Client, args [][]byte) {
	if string(args[2]) != "default" {
		c.reply.Error(errAclOneUser)
		return
	}
	pw, setPw := "", false
	for _, a := range args[3:] {
		rule := string(a)
		switch lr := strings.ToLower(rule); {
		case lr == "on" || rule == "~*" || rule == "&*" || lr == "+@all" || lr == "allkeys" ||
			lr == "allchannels" || lr == "allcommands":
		case lr == "nopass":
			pw, setPw = "", true
		case len(rule) > 1 && rule[0] == '>':
			pw, setPw = rule[1:], true
		case aclRuleKnown(lr):
			c.reply.Error("ERR fastcache has only the 'default' user, with every permission and requirepass as its one password: ACL rule '" + sanitizeAll(a) + "' is not supported")
			return
		default:
			c.reply.Error("ERR Error in ACL SETUSER modifier '" + sanitizeAll(a) + "': Syntax error")
			return
		}
	}
	if setPw {
		if err := c.srv.cfg.Set([][2]string{{"requirepass", pw}}); err != nil {
			c.reply.Err(err)
			return
		}
	}
	c.reply.OK()
}

// aclRuleKnown reports whether rule is an ACL rule of Redis 7.0 (one
// fastcache does not take): Redis's syntax error is for the others.
func aclRuleKnown(rule string) bool {
	switch rule {
	case "off", "resetpass", "nocommands", "resetkeys", "resetchannels", "reset", "skip-sanitize-payload",
		"sanitize-payload", "clearselectors":
		return true
	}
	if rule == ">" {
		return true
	}
	switch rule[0] {
	case '<', '#', '!', '~', '%', '&', '+', '-', '(':
		return true
	}
	return false
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
