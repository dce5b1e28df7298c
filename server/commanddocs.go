package server

import (
	"sort"
	"strings"
	"sync"

	"fastcache/internal/glob"
)

// COMMAND, COMMAND COUNT/INFO/DOCS/LIST/GETKEYS/GETKEYSANDFLAGS/HELP.
//
// COMMAND INFO is built from the command table (name, arity, flags, key
// positions); the ACL categories are derived from the group and flags. The
// argument trees of COMMAND DOCS (which redis-cli reads on start-up for its
// help and hints) come from the compact specs in argSpecs below, written in
// the notation of Redis's documentation.

func init() {
	command := &Command{Name: "command", Arity: -1, Flags: flagLoading, Group: "server", Since: "2.8.13",
		Summary: "Get array of Redis command details"}
	command.Handler = func(c *Client, args [][]byte) {
		if len(args) == 1 {
			all := sortedCommands()
			c.reply.Array(len(all))
			for _, cmd := range all {
				replyCommandInfo(c, cmd)
			}
			return
		}
		runSub(c, command, args)
	}
	command.Sub = subTable(
		&Command{Name: "command|count", Arity: 2, Flags: flagLoading, Group: "server", Since: "2.8.13",
			Summary: "Get total number of Redis commands", Handler: commandCount},
		&Command{Name: "command|info", Arity: -2, Flags: flagLoading, Group: "server", Since: "2.8.13",
			Summary: "Get array of specific Redis command details, or all when no argument is given.", Handler: commandInfo},
		&Command{Name: "command|docs", Arity: -2, Flags: flagLoading, Group: "server", Since: "7.0.0",
			Summary: "Get array of specific Redis command documentation", Handler: commandDocs},
		&Command{Name: "command|list", Arity: -2, Flags: flagLoading, Group: "server", Since: "7.0.0",
			Summary: "Get an array of Redis command names", Handler: commandList},
		&Command{Name: "command|getkeys", Arity: -4, Flags: flagLoading, Group: "server", Since: "2.8.13",
			Summary: "Extract keys given a full Redis command", Handler: commandGetKeys},
		&Command{Name: "command|getkeysandflags", Arity: -4, Flags: flagLoading, Group: "server", Since: "7.0.0",
			Summary: "Extract keys and access flags given a full Redis command", Handler: commandGetKeysAndFlags},
		&Command{Name: "command|help", Arity: 2, Flags: flagLoading, Group: "server", Since: "5.0.0",
			Summary: "Show helpful text about the different subcommands", Handler: commandHelp},
	)
	register(command)
}

// sortedCommands is the command table by name (the table is complete once
// every init has run).
func sortedCommands() []*Command {
	out := make([]*Command, 0, len(commands))
	for _, cmd := range commands {
		out = append(out, cmd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedSubs(cmd *Command) []*Command {
	out := make([]*Command, 0, len(cmd.Sub))
	for _, s := range cmd.Sub {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookupFullName finds "get" or "client|list", case-insensitively.
func lookupFullName(name []byte) *Command {
	n := strings.ToLower(string(name))
	parent, sub, isSub := strings.Cut(n, "|")
	cmd := commands[parent]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.Sub[sub]
}

// Redis's command flags in the order COMMAND INFO lists them.
func commandFlags(cmd *Command) []string {
	f := cmd.Flags
	if cmd.Sub != nil && cmd.Name != "command" {
		return nil // containers have no flags of their own in Redis (COMMAND has some)
	}
	has := map[string]bool{
		"write": f&flagWrite != 0, "readonly": f&flagReadOnly != 0, "denyoom": f&flagDenyOOM != 0,
		"admin": f&flagAdmin != 0, "pubsub": f&flagPubSub != 0, "noscript": noScript[cmd.Name],
		"blocking": f&flagBlocking != 0, "loading": f&flagLoading != 0, "stale": f&flagLoading != 0,
		"skip_slowlog": f&flagSkipSlowlog != 0, "fast": f&flagFast != 0, "no_auth": f&flagNoAuth != 0,
		"no_mandatory_keys": noMandatoryKeys[cmd.Name], "movablekeys": cmd.KeyFn != nil,
		"allow_busy": allowBusy[cmd.Name],
	}
	for _, x := range extraFlags[cmd.Name] {
		has[x] = true
	}
	// flagNoMulti means "runs at once inside MULTI" here; Redis's no_multi
	// ("not allowed in a transaction") applies to these only.
	switch cmd.Name {
	case "shutdown", "save", "sync", "psync":
		has["no_multi"] = true
	}
	var out []string
	for _, x := range flagOrder {
		if has[x] {
			out = append(out, x)
		}
	}
	return out
}

// flagOrder is the order Redis 7.0 lists command flags in.
var flagOrder = []string{"write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
	"loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "may_replicate",
	"no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy"}

// extraFlags are Redis's flags that change nothing here but COMMAND INFO:
// where a server doing async loading or MONITOR would differ.
var extraFlags = map[string][]string{
	"eval": {"stale", "skip_monitor"}, "evalsha": {"stale", "skip_monitor"}, "eval_ro": {"stale", "skip_monitor"},
	"evalsha_ro": {"stale", "skip_monitor"}, "fcall": {"stale", "skip_monitor"}, "fcall_ro": {"stale", "skip_monitor"},
	"script|load": {"stale"}, "replicaof": {"stale", "no_async_loading"}, "slaveof": {"stale", "no_async_loading"},
	"bgsave": {"no_async_loading"}, "bgrewriteaof": {"no_async_loading"}, "save": {"no_async_loading"},
	"sync": {"no_async_loading"}, "psync": {"no_async_loading"},
}

// aclCategories derives Redis's ACL categories, in Redis's order.
func aclCategories(cmd *Command) []string {
	if cmd.Sub != nil { // containers are @slow, whatever their subcommands are
		if cmd.Name == "command" {
			return []string{"@slow", "@connection"}
		}
		return []string{"@slow"}
	}
	has := map[string]bool{}
	if cmd.Group == "generic" {
		has["@keyspace"] = true
	}
	has["@read"] = cmd.Flags&flagReadOnly != 0
	has["@write"] = cmd.Flags&flagWrite != 0
	switch cmd.Group {
	case "string", "bitmap", "hash", "list", "set", "stream", "geo", "scripting", "hyperloglog":
		has["@"+cmd.Group] = true
	case "sorted-set":
		has["@sortedset"] = true
	case "connection":
		has["@connection"] = true
	case "transactions":
		has["@transaction"] = true
	}
	has["@pubsub"] = cmd.Flags&flagPubSub != 0 // by flag: PUBSUB HELP is in the group but not the category
	has["@admin"] = cmd.Flags&flagAdmin != 0
	has["@fast"] = cmd.Flags&flagFast != 0
	has["@slow"] = cmd.Flags&flagFast == 0
	has["@blocking"] = cmd.Flags&flagBlocking != 0
	has["@dangerous"] = cmd.Flags&flagAdmin != 0 || cmd.Name == "flushall" || cmd.Name == "flushdb" || cmd.Name == "keys"
	for _, c := range aclAdjust[cmd.Name] {
		has[c[1:]] = c[0] == '+'
	}
	var out []string
	for _, c := range aclOrder {
		if has[c] {
			out = append(out, c)
		}
	}
	return out
}

// aclOrder is the order Redis 7.0 lists ACL categories in.
var aclOrder = []string{"@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash", "@string",
	"@bitmap", "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin", "@fast", "@slow", "@blocking",
	"@dangerous", "@connection", "@transaction", "@scripting"}

// aclAdjust are the categories Redis 7.0 gives a command beyond (+) or
// against (-) what its group and flags imply.
var aclAdjust = map[string][]string{
	"eval_ro": {"-@read"}, "evalsha_ro": {"-@read"}, "fcall_ro": {"-@read"},
	"dbsize": {"+@keyspace"}, "restore": {"+@dangerous"}, "migrate": {"+@dangerous"}, "flushall": {"+@keyspace"}, "flushdb": {"+@keyspace"},
	"swapdb": {"+@keyspace", "+@dangerous"}, "info": {"+@dangerous"},
	"lastsave": {"+@admin", "+@dangerous"}, "role": {"+@admin", "+@dangerous"},
	"sort":          {"-@keyspace", "+@set", "+@sortedset", "+@list", "+@dangerous"},
	"sort_ro":       {"-@keyspace", "+@set", "+@sortedset", "+@list", "+@dangerous"},
	"command|count": {"+@connection"}, "command|docs": {"+@connection"}, "command|getkeys": {"+@connection"},
	"command|getkeysandflags": {"+@connection"}, "command|help": {"+@connection"},
	"command|info": {"+@connection"}, "command|list": {"+@connection"},
}

func statusSet(c *Client, items []string) {
	c.reply.Set(len(items))
	for _, s := range items {
		c.reply.Simple(s)
	}
}

// replyCommandInfo writes one COMMAND INFO entry (Redis 7: ten fields;
// tips and key specifications are sets in RESP3).
func replyCommandInfo(c *Client, cmd *Command) {
	r := &c.reply
	r.Array(10)
	r.BulkString(cmd.Name)
	r.Int(int64(cmd.Arity))
	statusSet(c, commandFlags(cmd))
	r.Int(int64(cmd.FirstKey))
	r.Int(int64(cmd.LastKey))
	r.Int(int64(cmd.Step))
	statusSet(c, aclCategories(cmd))
	replyTipsAndKeySpecs(c, cmd)
	subs := sortedSubs(cmd)
	if len(subs) == 0 {
		r.Set(0) // Redis: an empty set, but an array of the subcommands (in its hash table's order; here by name)
	} else {
		r.Array(len(subs))
	}
	for _, s := range subs {
		replyCommandInfo(c, s)
	}
}

func commandCount(c *Client, args [][]byte) { c.reply.Int(int64(len(commands))) }

func commandInfo(c *Client, args [][]byte) {
	if len(args) == 2 {
		all := sortedCommands()
		c.reply.Array(len(all))
		for _, cmd := range all {
			replyCommandInfo(c, cmd)
		}
		return
	}
	c.reply.Array(len(args) - 2)
	for _, name := range args[2:] {
		if cmd := lookupFullName(name); cmd != nil {
			replyCommandInfo(c, cmd)
		} else {
			c.reply.Null()
		}
	}
}

func commandDocs(c *Client, args [][]byte) {
	var list []*Command
	if len(args) == 2 {
		list = sortedCommands()
	} else {
		for _, name := range args[2:] {
			if cmd := lookupFullName(name); cmd != nil {
				list = append(list, cmd)
			}
		}
	}
	c.reply.Map(len(list))
	for _, cmd := range list {
		c.reply.BulkString(cmd.Name)
		replyCommandDocs(c, cmd)
	}
}

// replyCommandDocs writes one command's documentation map, with the fields
// in Redis's order: summary, since, group, complexity, arguments, subcommands.
func replyCommandDocs(c *Client, cmd *Command) {
	r := &c.reply
	d := docFor(cmd.Name)
	n := 1
	if cmd.Summary != "" {
		n++
	}
	if cmd.Since != "" {
		n++
	}
	if d.complexity != "" {
		n++
	}
	if len(d.args) > 0 {
		n++
	}
	if cmd.Sub != nil {
		n++
	}
	r.Map(n)
	if cmd.Summary != "" {
		r.BulkString("summary")
		r.BulkString(cmd.Summary)
	}
	if cmd.Since != "" {
		r.BulkString("since")
		r.BulkString(cmd.Since)
	}
	r.BulkString("group")
	group := cmd.Group
	if group == "" {
		group = "server"
	}
	r.BulkString(group)
	if d.complexity != "" {
		r.BulkString("complexity")
		r.BulkString(d.complexity)
	}
	if len(d.args) > 0 {
		r.BulkString("arguments")
		replyArgDocs(c, d.args)
	}
	if cmd.Sub != nil {
		r.BulkString("subcommands")
		subs := sortedSubs(cmd)
		r.Map(len(subs))
		for _, s := range subs {
			r.BulkString(s.Name)
			replyCommandDocs(c, s)
		}
	}
}

func replyArgDocs(c *Client, args []*argDoc) {
	r := &c.reply
	r.Array(len(args))
	for _, a := range args {
		n := 2
		if a.typ == "key" {
			n++
		}
		if a.token != "" {
			n++
		}
		if a.optional || a.multiple {
			n++
		}
		if a.sub != nil {
			n++
		}
		r.Map(n)
		r.BulkString("name")
		r.BulkString(a.name)
		r.BulkString("type")
		r.BulkString(a.typ)
		if a.typ == "key" {
			r.BulkString("key_spec_index")
			r.Int(0)
		}
		if a.token != "" {
			r.BulkString("token")
			r.BulkString(a.token)
		}
		if a.optional || a.multiple {
			var fl []string
			if a.optional {
				fl = append(fl, "optional")
			}
			if a.multiple {
				fl = append(fl, "multiple")
			}
			if a.multipleToken {
				fl = append(fl, "multiple_token")
			}
			r.BulkString("flags")
			statusSet(c, fl)
		}
		if a.sub != nil {
			r.BulkString("arguments")
			replyArgDocs(c, a.sub)
		}
	}
}

func commandList(c *Client, args [][]byte) {
	var filter func(cmd *Command) bool
	switch {
	case len(args) == 2:
	case len(args) == 5 && eqFold(args[2], "filterby"):
		val := args[4]
		switch {
		case eqFold(args[3], "module"):
			filter = func(*Command) bool { return false }
		case eqFold(args[3], "aclcat"):
			cat := "@" + strings.ToLower(string(val))
			filter = func(cmd *Command) bool {
				for _, x := range aclCategories(cmd) {
					if x == cat {
						return true
					}
				}
				return false
			}
		case eqFold(args[3], "pattern"):
			filter = func(cmd *Command) bool { return glob.Match(val, []byte(cmd.Name), true) }
		default:
			c.reply.Error(msgSyntaxErr)
			return
		}
	default:
		c.reply.Error(msgSyntaxErr)
		return
	}
	var names []string
	var walk func(list []*Command)
	walk = func(list []*Command) {
		for _, cmd := range list {
			if filter == nil || filter(cmd) {
				names = append(names, cmd.Name)
			}
			if cmd.Sub != nil {
				walk(sortedSubs(cmd))
			}
		}
	}
	walk(sortedCommands())
	c.reply.Array(len(names))
	for _, n := range names {
		c.reply.BulkString(n)
	}
}

// commandKeys resolves COMMAND GETKEYS's target and its key positions,
// replying with Redis's errors; ok=false means replied.
func commandKeys(c *Client, args [][]byte) (cmd *Command, keys [][]byte, ok bool) {
	cmd, keys, _, ok = commandKeyPositions(c, args)
	return cmd, keys, ok
}

// commandKeyPositions is commandKeys with each key's position in the
// command (the name at 0).
func commandKeyPositions(c *Client, args [][]byte) (cmd *Command, keys [][]byte, pos []int, ok bool) {
	full := args[2:]
	cmd = commands[strings.ToLower(string(full[0]))]
	if cmd != nil && cmd.Sub != nil && len(full) >= 2 {
		if s := cmd.Sub[strings.ToLower(string(full[1]))]; s != nil {
			cmd = s
		}
	}
	switch {
	case cmd == nil:
		c.reply.Error("ERR Invalid command specified")
		return nil, nil, nil, false
	case cmd.FirstKey <= 0 && cmd.KeyFn == nil:
		c.reply.Error("ERR The command has no key arguments")
		return nil, nil, nil, false
	case !arityOK(cmd.Arity, len(full)):
		c.reply.Error("ERR Invalid number of arguments specified for command")
		return nil, nil, nil, false
	}
	pos = cmd.keyPositions(full, nil)
	for _, i := range pos {
		keys = append(keys, full[i])
	}
	if len(keys) == 0 && !noMandatoryKeys[cmd.Name] {
		c.reply.Error("ERR Invalid arguments specified for command")
		return nil, nil, nil, false
	}
	return cmd, keys, pos, true
}

func commandGetKeys(c *Client, args [][]byte) {
	_, keys, ok := commandKeys(c, args)
	if !ok {
		return
	}
	c.reply.Array(len(keys))
	for _, k := range keys {
		c.reply.Bulk(k)
	}
}

func commandGetKeysAndFlags(c *Client, args [][]byte) {
	cmd, keys, pos, ok := commandKeyPositions(c, args)
	if !ok {
		return
	}
	fl := keyFlags(cmd, args[2:], pos) // a subcommand's positions count from its parent, as its specs do
	c.reply.Array(len(keys))
	for i, k := range keys {
		c.reply.Array(2)
		c.reply.Bulk(k)
		statusSet(c, fl[i])
	}
}

var commandHelpLines = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

func commandHelp(c *Client, args [][]byte) { replyHelp(c, "command", commandHelpLines) }

// ---- argument documentation ----

// argDoc is one node of a COMMAND DOCS argument tree.
type argDoc struct {
	name, typ, token   string
	optional, multiple bool
	multipleToken      bool      // the token repeats with each value ([GET x]...)
	sub                []*argDoc // oneof / block
}

type cmdDoc struct {
	complexity string
	args       []*argDoc
}

// argSpecs documents the arguments of the commands fastcache serves, in the
// notation of Redis's docs, with these conventions:
//
//	name:type       an argument (types: key string integer double pattern unix-time;
//	                the name ends at the last colon, so ip:port:string works)
//	TOKEN           a pure token (its name is the token in lower case)
//	name:""         the empty token, named
//	TOKEN name:type the argument with its token (EX seconds)
//	[ ... ]         optional; ( ... ) a group; a|b alternatives (oneof)
//	name=[ ... ]    names a group; a trailing ... marks "multiple"
//	[TOKEN ...]...  the token repeats too ("multiple_token", SORT's GET)
//
// The complexity strings are Redis's.
var argSpecs = map[string][2]string{
	// connection
	"ping":   {"O(1)", "[message:string]"},
	"echo":   {"O(1)", "message:string"},
	"quit":   {"O(1)", ""},
	"reset":  {"O(1)", ""},
	"hello":  {"O(1)", "arguments=[protover:integer username_password=[AUTH username:string password:string] [SETNAME clientname:string]]"},
	"auth":   {"O(N) where N is the number of passwords defined for the user", "[username:string] password:string"},
	"select": {"O(1)", "index:integer"},

	"client|id":       {"O(1)", ""},
	"client|setname":  {"O(1)", "connection-name:string"},
	"client|getname":  {"O(1)", ""},
	"client|setinfo":  {"O(1)", "attr=(LIB-NAME libname:string|LIB-VER libver:string)"},
	"client|list":     {"O(N) where N is the number of client connections", "[TYPE client-type=(NORMAL|MASTER|REPLICA|PUBSUB)] [ID client-id:integer...]"},
	"client|info":     {"O(1)", ""},
	"client|kill":     {"O(N) where N is the number of client connections", "filter=(ip:port:string|new-format=([ID client-id:integer]|[TYPE client-type=(NORMAL|MASTER|SLAVE|REPLICA|PUBSUB)]|[USER username:string]|[ADDR ip:port:string]|[LADDR ip:port:string]|[SKIPME yes/no=(YES|NO)])...)"},
	"client|no-evict": {"O(1)", "enabled=(ON|OFF)"},
	"client|pause":    {"O(1)", "timeout:integer [mode=(WRITE|ALL)]"},
	"client|unpause":  {"O(N) Where N is the number of paused clients", ""},
	"client|reply":    {"O(1)", "on_off_skip=(ON|OFF|SKIP)"},
	"client|no-touch": {"O(1)", "enabled=(ON|OFF)"},
	"client|help":     {"O(1)", ""},
	"client|unblock":  {"O(log N) where N is the number of client connections", "client-id:integer [unblock-type=(TIMEOUT|ERROR)]"},

	// server
	"command|count":           {"O(1)", ""},
	"command|info":            {"O(N) where N is the number of commands to look up", "[command-name:string...]"},
	"command|docs":            {"O(N) where N is the number of commands to look up", "[command-name:string...]"},
	"command|list":            {"O(N) where N is the total number of Redis commands", "[filterby=[FILTERBY (MODULE module-name:string|ACLCAT category:string|PATTERN pattern:pattern)]]"},
	"command|getkeys":         {"O(N) where N is the number of arguments to the command", "command:string [arg:string...]"},
	"command|getkeysandflags": {"O(N) where N is the number of arguments to the command", "command:string [arg:string...]"},
	"command|help":            {"O(1)", ""},
	"command":                 {"O(N) where N is the total number of Redis commands", ""},
	"info":                    {"O(1)", "[section:string...]"},
	"config|get":              {"O(N) when N is the number of configuration parameters provided", "parameter:string..."},
	"config|set":              {"O(N) when N is the number of configuration parameters provided", "data=(parameter:string value:string)..."},
	"config|resetstat":        {"O(1)", ""},
	"config|rewrite":          {"O(1)", ""},
	"config|help":             {"O(1)", ""},
	"latency|doctor":          {"O(1)", ""},
	"latency|graph":           {"O(1)", "event:string"},
	"latency|history":         {"O(1)", "event:string"},
	"latency|latest":          {"O(1)", ""},
	"latency|reset":           {"O(1)", "[event:string...]"},
	"latency|histogram":       {"O(N) where N is the number of commands with latency information being retrieved.", "[command:string...]"},
	"latency|help":            {"O(1)", ""},
	"time":                    {"O(1)", ""},
	"dbsize":                  {"O(1)", ""},
	"lastsave":                {"O(1)", ""},
	"shutdown":                {"O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", "[nosave-save=(NOSAVE|SAVE)] [NOW] [FORCE] [ABORT]"},
	"save":                    {"O(N) where N is the total number of keys in all databases", ""},
	"bgsave":                  {"O(1)", "[SCHEDULE]"},
	"bgrewriteaof":            {"O(1)", ""},
	"flushdb":                 {"O(N) where N is the total number of keys in all databases", "[flush-type=(ASYNC|SYNC)]"},
	"flushall":                {"O(N) where N is the total number of keys in all databases", "[flush-type=(ASYNC|SYNC)]"},

	// transactions
	"multi":   {"O(1)", ""},
	"exec":    {"Depends on commands in the transaction", ""},
	"discard": {"O(N), when N is the number of queued commands", ""},
	"watch":   {"O(1) for every key.", "key:key..."},
	"unwatch": {"O(1)", ""},

	// strings
	"get":         {"O(1)", "key:key"},
	"set":         {"O(1)", "key:key value:string [condition=(NX|XX)] [GET] [expiration=(EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|KEEPTTL)]"},
	"setnx":       {"O(1)", "key:key value:string"},
	"setex":       {"O(1)", "key:key seconds:integer value:string"},
	"psetex":      {"O(1)", "key:key milliseconds:integer value:string"},
	"getset":      {"O(1)", "key:key value:string"},
	"getdel":      {"O(1)", "key:key"},
	"getex":       {"O(1)", "key:key [expiration=(EX seconds:integer|PX milliseconds:integer|EXAT unix-time-seconds:unix-time|PXAT unix-time-milliseconds:unix-time|PERSIST)]"},
	"mget":        {"O(N) where N is the number of keys to retrieve.", "key:key..."},
	"mset":        {"O(N) where N is the number of keys to set.", "data=(key:key value:string)..."},
	"msetnx":      {"O(N) where N is the number of keys to set.", "data=(key:key value:string)..."},
	"incr":        {"O(1)", "key:key"},
	"decr":        {"O(1)", "key:key"},
	"incrby":      {"O(1)", "key:key increment:integer"},
	"decrby":      {"O(1)", "key:key decrement:integer"},
	"incrbyfloat": {"O(1)", "key:key increment:double"},
	"append":      {"O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.", "key:key value:string"},
	"strlen":      {"O(1)", "key:key"},
	"getrange":    {"O(N) where N is the length of the returned string.", "key:key start:integer end:integer"},
	"substr":      {"O(N) where N is the length of the returned string.", "key:key start:integer end:integer"},
	"setrange":    {"O(1), not counting the time taken to copy the new string in place.", "key:key offset:integer value:string"},
	"lcs":         {"O(N*M) where N and M are the lengths of s1 and s2, respectively", "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]"},

	// keys
	"del":         {"O(N) where N is the number of keys that will be removed.", "key:key..."},
	"unlink":      {"O(1) for each key removed regardless of its size.", "key:key..."},
	"exists":      {"O(N) where N is the number of keys to check.", "key:key..."},
	"touch":       {"O(N) where N is the number of keys that will be touched.", "key:key..."},
	"type":        {"O(1)", "key:key"},
	"rename":      {"O(1)", "key:key newkey:key"},
	"renamenx":    {"O(1)", "key:key newkey:key"},
	"copy":        {"O(N) worst case for collections, where N is the number of nested items. O(1) for string values.", "source:key destination:key [DB destination-db:integer] [REPLACE]"},
	"dump":        {"O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).", "key:key"},
	"restore":     {"O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).", "key:key ttl:integer serialized-value:string [REPLACE] [ABSTTL] [IDLETIME seconds:integer] [FREQ frequency:integer]"},
	"migrate":     {"This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.", "host:string port:integer key_or_empty_string=(key:key|empty_string:\"\") destination-db:integer timeout:integer [COPY] [REPLACE] [authentication=(AUTH password:string|AUTH2 username:string password:string)] [KEYS key:key...]"},
	"expire":      {"O(1)", "key:key seconds:integer [condition=(NX|XX|GT|LT)]"},
	"pexpire":     {"O(1)", "key:key milliseconds:integer [condition=(NX|XX|GT|LT)]"},
	"expireat":    {"O(1)", "key:key unix-time-seconds:unix-time [condition=(NX|XX|GT|LT)]"},
	"pexpireat":   {"O(1)", "key:key unix-time-milliseconds:unix-time [condition=(NX|XX|GT|LT)]"},
	"ttl":         {"O(1)", "key:key"},
	"pttl":        {"O(1)", "key:key"},
	"expiretime":  {"O(1)", "key:key"},
	"pexpiretime": {"O(1)", "key:key"},
	"persist":     {"O(1)", "key:key"},
	"keys":        {"O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.", "pattern:pattern"},
	"scan":        {"O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.", "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type:string]"},
	"randomkey":   {"O(1)", ""},

	"object|encoding": {"O(1)", "key:key"},
	"object|freq":     {"O(1)", "key:key"},
	"object|idletime": {"O(1)", "key:key"},
	"object|refcount": {"O(1)", "key:key"},
	"memory|usage":    {"O(N) where N is the number of samples.", "key:key [SAMPLES count:integer]"},
	"memory|stats":    {"O(1)", ""},
	"memory|doctor":   {"O(1)", ""},
	"memory|purge":    {"Depends on how much memory is allocated, could be slow", ""},
	"memory|help":     {"O(1)", ""},
	"object|help":     {"O(1)", ""},

	// bitmaps
	"setbit":   {"O(1)", "key:key offset:integer value:integer"},
	"getbit":   {"O(1)", "key:key offset:integer"},
	"bitcount": {"O(N)", "key:key [index=[start:integer end:integer [index_unit=(BYTE|BIT)]]]"},
	"bitpos":   {"O(N)", "key:key bit:integer [index=[start:integer [end_index=[end:integer [index_unit=(BYTE|BIT)]]]]]"},
	"bitop":    {"O(N)", "operation:string destkey:key key:key..."},

	// BITFIELD's ops: GET, or SET/INCRBY with the OVERFLOW rule before them
	"bitfield":    {"O(1) for each subcommand specified", "key:key operation=[encoding_offset=(GET encoding:string offset:integer)|write=([OVERFLOW wrap_sat_fail=(WRAP|SAT|FAIL)] write_operation=(encoding_offset_value=(SET encoding:string offset:integer value:integer)|encoding_offset_increment=(INCRBY encoding:string offset:integer increment:integer)))]..."},
	"bitfield_ro": {"O(1) for each subcommand specified", "key:key [GET encoding_offset=(encoding:string offset:integer)]..."},

	// server (more)
	"slowlog|get":   {"O(N) where N is the number of entries returned", "[count:integer]"},
	"slowlog|len":   {"O(1)", ""},
	"slowlog|reset": {"O(N) where N is the number of entries in the slowlog", ""},
	"slowlog|help":  {"O(1)", ""},
	"role":          {"O(1)", ""},
	"replicaof":     {"O(1)", "args=(host-port=(host:string port:integer)|no-one=(NO ONE))"},
	"slaveof":       {"O(1)", "args=(host-port=(host:string port:integer)|no-one=(NO ONE))"},
	"fcsync":        {"O(1)", "replid:string offset:integer port:integer [capability:string...]"},
}

var (
	docsOnce sync.Once
	docs     map[string]cmdDoc
)

func docFor(name string) cmdDoc {
	docsOnce.Do(func() {
		docs = make(map[string]cmdDoc, len(argSpecs))
		for n, s := range argSpecs {
			docs[n] = cmdDoc{complexity: s[0], args: parseArgSpec(s[1])}
		}
	})
	return docs[name]
}

// parseArgSpec parses the notation described at argSpecs. It panics on a
// malformed spec (the table is fixed and tested).
func parseArgSpec(spec string) []*argDoc {
	p := &specParser{s: spec}
	seq := p.seq()
	if p.i != len(p.s) {
		panic("arg spec: unexpected " + p.s[p.i:] + " in " + spec)
	}
	return seq
}

type specParser struct {
	s string
	i int
}

func (p *specParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// seq parses items up to a '|', ']', ')' or the end.
func (p *specParser) seq() []*argDoc {
	var out []*argDoc
	for {
		p.skipSpace()
		if p.i >= len(p.s) || strings.IndexByte("|])", p.s[p.i]) >= 0 {
			return out
		}
		out = append(out, p.item())
	}
}

func (p *specParser) multiple() bool {
	if strings.HasPrefix(p.s[p.i:], "...") {
		p.i += 3
		return true
	}
	return false
}

func (p *specParser) item() *argDoc {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte(" |[]()", p.s[p.i]) < 0 {
		p.i++
	}
	word := p.s[start:p.i]
	group := p.i < len(p.s) && (p.s[p.i] == '[' || p.s[p.i] == '(')
	if word == "" || (strings.HasSuffix(word, "=") && (group || word != "=")) { // a lone "=" is a token (XADD's MAXLEN =)
		name := strings.TrimSuffix(word, "=")
		if p.i >= len(p.s) || (p.s[p.i] != '[' && p.s[p.i] != '(') {
			panic("arg spec: expected a group at " + p.s[p.i:])
		}
		open := p.s[p.i]
		closer := byte(')')
		if open == '[' {
			closer = ']'
		}
		p.i++
		var alts [][]*argDoc
		for {
			alts = append(alts, p.seq())
			if p.i >= len(p.s) {
				panic("arg spec: unterminated group in " + p.s)
			}
			if p.s[p.i] == '|' {
				p.i++
				continue
			}
			if p.s[p.i] != closer {
				panic("arg spec: mismatched bracket in " + p.s)
			}
			p.i++
			break
		}
		var a *argDoc
		if len(alts) > 1 {
			a = &argDoc{name: name, typ: "oneof"}
			for _, alt := range alts {
				a.sub = append(a.sub, seqArg(alt, ""))
			}
			if a.name == "" {
				a.name = joinNames(a.sub)
			}
		} else {
			a = seqArg(alts[0], name)
		}
		if open == '[' {
			a.optional = true
		}
		if p.multiple() {
			a.multiple = true
			a.multipleToken = a.token != ""
		}
		return a
	}
	multiple := false
	if strings.HasSuffix(word, "...") {
		word = strings.TrimSuffix(word, "...")
		multiple = true
	}
	var a *argDoc
	if i := strings.LastIndexByte(word, ':'); i > 0 && word[i+1:] == `""` {
		a = &argDoc{name: word[:i], typ: "pure-token"} // the empty token (MIGRATE's "" for no key)
	} else if i > 0 {
		a = &argDoc{name: word[:i], typ: word[i+1:]}
	} else {
		a = &argDoc{name: strings.ToLower(word), typ: "pure-token", token: word}
	}
	a.multiple = multiple
	return a
}

// seqArg turns a sequence into one argument: itself when alone, a token
// attached to the one argument that follows it, or a block.
func seqArg(seq []*argDoc, name string) *argDoc {
	var a *argDoc
	switch {
	case len(seq) == 1:
		a = seq[0]
	case len(seq) == 2 && seq[0].typ == "pure-token" && seq[1].token == "":
		a = seq[1]
		a.token = seq[0].token
	case len(seq) > 2 && seq[0].typ == "pure-token":
		a = &argDoc{typ: "block", token: seq[0].token, sub: seq[1:]}
	default:
		a = &argDoc{typ: "block", sub: seq}
	}
	if name != "" {
		a.name = name
	} else if a.name == "" {
		a.name = joinNames(a.sub)
	}
	return a
}

func joinNames(args []*argDoc) string {
	names := make([]string, len(args))
	for i, a := range args {
		names[i] = a.name
	}
	return strings.Join(names, "-")
}
