package server

import (
	"encoding/hex"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fastcache/cache"
	"fastcache/shard"
)

// DEBUG: refused unless enable-debug-command is yes, or local and the
// client connects from loopback (as Redis 7.0's protected command). Of
// Redis's subcommands, those that make sense here are served: HELP, SLEEP,
// SET-ACTIVE-EXPIRE (the real active expiry cycle), SET-DISABLE-DENY-SCRIPTS
// (scripts may call noscript commands), PROTOCOL (the test
// values clients check their RESP2 and RESP3 parsers with), OBJECT, ERROR,
// LOG, PANIC and SEGFAULT (the server crashes: its stack traces go to the
// logfile too), SET-SKIP-CHECKSUM-VALIDATION (RESTORE skips the CRC64),
// RELOAD and LOADAOF (through the snapshot and replay code: see
// cache/reload.go), DIGEST and DIGEST-VALUE (cache/digest.go). The others
// answer Redis's unknown-subcommand error.

const errDebugNotAllowed = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."

var debugCommand = &Command{Name: "debug", Arity: -2, Flags: flagAdmin | flagLoading, Group: "server", Since: "1.0.0",
	Summary: "A container for debugging commands", Complexity: "Depends on subcommand.", Handler: cmdDebug}

func init() { register(debugCommand) }

// protectedRefusal is Redis 7.0's check of its protected commands (DEBUG;
// MODULE LOAD, LOADEX and UNLOAD, which fastcache always refuses, as Redis
// with its default enable-module-command no), made as Redis makes it:
// after the arity check and before authentication and ACL. "" when cmd may
// run.
func protectedRefusal(c *Client, cmd *Command, args [][]byte) string {
	switch cmd {
	case debugCommand:
		if !debugAllowed(c) {
			return errDebugNotAllowed
		}
	case moduleCommand:
		if len(args) >= 3 && (eqFold(args[1], "load") || eqFold(args[1], "loadex") || len(args) == 3 && eqFold(args[1], "unload")) {
			return errModuleNotAllowed
		}
	}
	return ""
}

// debugAllowed applies enable-debug-command to c.
func debugAllowed(c *Client) bool {
	switch c.srv.cfg.EnableDebugCommand() {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(c.Addr)
		return err == nil && (host == "127.0.0.1" || host == "::1")
	}
	return false
}

// debugSubs are the subcommands served, with their argument counts (the
// whole call's, as Redis checks them).
var debugSubs = map[string]func(n int) bool{
	"help":                         func(n int) bool { return n == 2 },
	"sleep":                        func(n int) bool { return n == 3 },
	"set-active-expire":            func(n int) bool { return n == 3 },
	"pause-cron":                   func(n int) bool { return n == 3 },
	"set-disable-deny-scripts":     func(n int) bool { return n == 3 },
	"set-skip-checksum-validation": func(n int) bool { return n == 3 },
	"replybuffer":                  func(n int) bool { return n == 4 },
	"panic":                        func(n int) bool { return n == 2 },
	"segfault":                     func(n int) bool { return n == 2 },
	"config-rewrite-force-all":     func(n int) bool { return n == 2 },
	"protocol":                     func(n int) bool { return n == 3 },
	"object":                       func(n int) bool { return n == 3 },
	"error":                        func(n int) bool { return n == 3 },
	"log":                          func(n int) bool { return n == 3 },
	"reload":                       func(n int) bool { return n >= 2 },
	"loadaof":                      func(n int) bool { return n >= 2 },
	"digest":                       func(n int) bool { return n == 2 },
	"digest-value":                 func(n int) bool { return n >= 2 },
}

func cmdDebug(c *Client, args [][]byte) {
	if !debugAllowed(c) {
		c.reply.Error(errDebugNotAllowed)
		return
	}
	sub := strings.ToLower(string(args[1]))
	if ok := debugSubs[sub]; ok == nil || !ok(len(args)) {
		c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitizeAll(args[1]) + "'. Try DEBUG HELP.")
		return
	}
	switch sub {
	case "help":
		replyHelp(c, "debug", debugHelpLines)
	case "sleep":
		// Redis stops the whole server; here the connection's event loop
		// (and the clients it serves) waits, holding every shard: no other
		// executor (event loop, TLS connection, replica link, expiry
		// cycle) reads or writes a key meanwhile.
		if d := atof(args[2]); d > 0 {
			held := c.ks.InTx() || c.heldAll // (in EXEC, or a script turn: the shards are held already)
			if !held {
				c.srv.cache.LockAll()
			}
			time.Sleep(time.Duration(min(d, 1e9) * float64(time.Second)))
			if !held {
				c.srv.cache.UnlockAll()
			}
		}
		c.reply.OK()
	case "set-active-expire":
		c.srv.cache.SetActiveExpire(atoi(args[2]) != 0)
		c.reply.OK()
	case "pause-cron":
		// As Redis's: any value but 0 pauses the once-a-second work
		// (idle-client timeouts, the tracking table's limit).
		c.srv.cronPaused.Store(atoi(args[2]) != 0)
		c.reply.OK()
	case "set-disable-deny-scripts":
		// As Redis's (a test hook, absent from its DEBUG HELP): scripts
		// may call the commands flagged noscript.
		c.srv.scriptDenyOff.Store(atoi(args[2]) != 0)
		c.reply.OK()
	case "panic":
		// Crash the server, as Redis's does: what a crash leaves behind
		// (the stack traces in the logfile, the data a restart replays)
		// can be checked on purpose.
		c.srv.log.Error().Msg("DEBUG PANIC: crashing the server on request")
		panic("DEBUG PANIC")
	case "segfault":
		c.srv.log.Error().Msg("DEBUG SEGFAULT: crashing the server on request")
		var p *int
		*nilPtr(p) = 0 // a real invalid memory access: the runtime's SIGSEGV crash
	case "replybuffer":
		// Redis's knobs of its reply buffer's resizing cron (which grows
		// and shrinks a client's 16 KB buffer by its peak use). fastcache
		// has no such cron: a reply buffer grows as a pipeline's replies
		// need and one above 64 KB is dropped once sent. Accepted, so that
		// tests that turn the cron off for stable numbers run here.
		switch strings.ToLower(string(args[2])) {
		case "resizing", "peak-reset-time":
			c.reply.OK()
		default:
			c.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + sanitizeAll(args[2]) + "'. Try DEBUG HELP.")
		}
	case "set-skip-checksum-validation":
		// As Redis's (a test hook): RESTORE skips the payload's CRC64, so
		// that hand-corrupted payloads reach the decoder.
		c.srv.skipChecksum.Store(atoi(args[2]) != 0)
		c.reply.OK()
	case "config-rewrite-force-all":
		// CONFIG REWRITE that writes every parameter, also those at
		// their default.
		if c.srv.configFile() == "" {
			c.reply.Error("ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address") // Redis's fopen(NULL)
			return
		}
		if err := c.srv.cfg.RewriteAll(configUsers(c)); err != nil {
			c.reply.Error("ERR CONFIG-REWRITE-FORCE-ALL failed: " + rewriteStrerror(err))
			return
		}
		c.reply.OK()
	case "protocol":
		debugProtocol(c, strings.ToLower(string(args[2])))
	case "object":
		debugObject(c, args[2])
	case "error":
		c.reply.Error(string(args[2]))
	case "log":
		c.srv.log.Warn().Msg("DEBUG LOG: " + string(args[2])) // as Redis logs it (a "message" field would be the log line's own)
		c.reply.OK()
	case "reload":
		debugReload(c, args[2:])
	case "loadaof":
		debugLoadAOF(c)
	case "digest":
		d := c.srv.cache.Digest(c.ks.InTx())
		c.reply.Simple(hex.EncodeToString(d[:]))
	case "digest-value":
		ds := c.srv.cache.DigestValues(c.ks.DB(), args[2:], c.ks.InTx())
		c.reply.Array(len(ds))
		for _, d := range ds {
			c.reply.Simple(hex.EncodeToString(d[:]))
		}
	}
}

// debugReload is DEBUG RELOAD [MERGE|NOFLUSH|NOSAVE ...]: the keyspace and
// the function libraries are written into a snapshot file under
// <dir>/debug-reload, cleared, and loaded back from it (cache.Reload).
func debugReload(c *Client, opts [][]byte) {
	o := cache.ReloadOptions{Dir: filepath.Join(c.srv.cfg.Dir(), "debug-reload"), Codec: c.srv.cfg.WALCompression()}
	for _, a := range opts {
		switch {
		case eqFold(a, "merge"):
			o.Merge = true
		case eqFold(a, "noflush"):
			o.NoFlush = true
		case eqFold(a, "nosave"):
			o.NoSave = true
		default:
			c.reply.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	if !debugMayLoad(c, "RELOAD") {
		return
	}
	if err := c.srv.cache.Reload(o, false); err != nil {
		c.reply.Err(err)
		return
	}
	c.srv.log.Warn().Msg("DB reloaded by DEBUG RELOAD")
	// NOSAVE and NOFLUSH are logged: under appendfsync always the reply
	// waits until they are durable, as a write command's does.
	if o.NoSave || o.NoFlush {
		c.wrote = true
	}
	c.reply.OK()
}

// debugLoadAOF is DEBUG LOADAOF: the WAL is fsynced, the keyspace cleared
// and rebuilt from the newest snapshot and the WAL after it, as at a start.
func debugLoadAOF(c *Client) {
	if !debugMayLoad(c, "LOADAOF") {
		return
	}
	c.srv.mu.Lock()
	load := c.srv.opts.LoadLog
	c.srv.mu.Unlock()
	if load == nil {
		c.reply.Error("ERR DEBUG LOADAOF needs the WAL (appendonly yes)")
		return
	}
	if err := load(); err != nil {
		c.srv.log.Error().Err(err).Msg("DEBUG LOADAOF failed")
		c.reply.Error("ERR DEBUG LOADAOF: " + err.Error())
		return
	}
	c.srv.log.Warn().Msg("Append Only File loaded by DEBUG LOADAOF")
	c.reply.OK()
}

// debugMayLoad refuses a reload inside MULTI (the transaction's own
// records are not in the log yet) and while the dataset loads.
func debugMayLoad(c *Client, sub string) bool {
	if c.ks.InTx() {
		c.reply.Error("ERR DEBUG " + sub + " is not allowed inside a transaction")
		return false
	}
	if c.srv.loading.Load() {
		c.reply.Error(cache.ErrLoading.Error())
		return false
	}
	return true
}

var debugHelpLines = []string{
	"DIGEST",
	"    Output a hex signature representing the current DB content.",
	"DIGEST-VALUE <key> [<key> ...]",
	"    Output a hex signature of the values of all the specified keys.",
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"LOADAOF",
	"    Flush the AOF buffers on disk and reload the AOF in memory.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"PANIC",
	"    Crash the server simulating a panic.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"RELOAD [option ...]",
	"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
	"    * MERGE: conflicting keys will be loaded from RDB.",
	"    * NOFLUSH: the existing database will not be removed before load, but",
	"      conflicting keys will generate an exception and kill the server.",
	"    * NOSAVE: the database will be loaded from an existing RDB file.",
	"    Examples:",
	"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
	"      the database.",
	"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
	"      existing RDB file.",
	"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
	"      file to the database.",
	"SEGFAULT",
	"    Crash the server with sigsegv.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
	"PAUSE-CRON <0|1>",
	"    Stop periodic cron job processing.",
}

// nilPtr hides from vet that DEBUG SEGFAULT writes through nil on purpose.
//
//go:noinline
func nilPtr(p *int) *int { return p }

// debugProtocolReplies are Redis 7.0's DEBUG PROTOCOL values, in RESP2 and RESP3.
var debugProtocolReplies = map[string][2]string{
	"string":   {"$11\r\nHello World\r\n", "$11\r\nHello World\r\n"},
	"integer":  {":12345\r\n", ":12345\r\n"},
	"double":   {"$5\r\n3.141\r\n", ",3.141\r\n"},
	"bignum":   {"$37\r\n1234567999999999999999999999999999999\r\n", "(1234567999999999999999999999999999999\r\n"},
	"null":     {"$-1\r\n", "_\r\n"},
	"array":    {"*3\r\n:0\r\n:1\r\n:2\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n"},
	"set":      {"*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n"},
	"map":      {"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"},
	"attrib":   {"$39\r\nSome real reply following the attribute\r\n", "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n"},
	"push":     {"-ERR RESP2 is not supported by this command\r\n", ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n"},
	"verbatim": {"$25\r\nThis is a verbatim\nstring\r\n", "=29\r\ntxt:This is a verbatim\nstring\r\n"},
	"true":     {":1\r\n", "#t\r\n"},
	"false":    {":0\r\n", "#f\r\n"},
}

func debugProtocol(c *Client, name string) {
	r, ok := debugProtocolReplies[name]
	if !ok {
		c.reply.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
		return
	}
	if c.reply.proto >= 3 {
		c.reply.Raw([]byte(r[1]))
	} else if name == "push" {
		c.reply.Error("ERR RESP2 is not supported by this command")
	} else {
		c.reply.Raw([]byte(r[0]))
	}
}

// debugObject writes Redis's line for a key. "Value at" is the address of
// an object that does not exist here (0); lru is derived from the idle
// time; serializedlength is the length of the key's DUMP encoding without
// its type, version and checksum, as Redis's. The quicklist fields Redis
// adds for lists (ql_nodes ...) are left out.
func debugObject(c *Client, key []byte) {
	// As Redis's, a key whose time has passed but that is not deleted yet
	// is still shown (clock 0: nothing has expired).
	var never int64
	ks := c.ks.WithClock(&never)
	info, ok := ks.Inspect(key)
	if !ok {
		c.reply.Error("ERR no such key")
		return
	}
	enc := info.Encoding
	refcount := int64(1)
	if info.Kind == shard.KindString {
		enc = encodingOf(info.Value, info.Enc)
		if v, err := strconv.ParseInt(string(info.Value), 10, 64); enc == "int" && err == nil && v >= 0 && v < 10000 && sharedIntegers(c) {
			refcount = 2147483647 // Redis's shared integers
		}
	}
	serLen := 0
	if p, _, ok, err := ks.Dump(key); err == nil && ok && len(p) >= 11 {
		serLen = len(p) - 11
	}
	idle := shard.IdleSeconds(info.Meta)
	lru := (time.Now().Unix() - idle) & (1<<24 - 1)
	c.reply.Simple("Value at:0x0 refcount:" + strconv.FormatInt(refcount, 10) + " encoding:" + enc +
		" serializedlength:" + strconv.Itoa(serLen) + " lru:" + strconv.FormatInt(lru, 10) +
		" lru_seconds_idle:" + strconv.FormatInt(idle, 10))
}

// atof and atoi read a number's leading digits as C's atof and atoi do (0
// when there are none), as Redis reads DEBUG's arguments.
func atof(b []byte) float64 {
	s := string(b[:min(len(b), 64)])
	for n := len(s); n > 0; n-- {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s[:n]), 64); err == nil {
			return f
		}
	}
	return 0
}

func atoi(b []byte) int64 { return int64(atof(b)) }

// sharedIntegers: Redis shares the objects of the integers 0..9999 unless
// an LRU or LFU policy needs each key's own access time.
func sharedIntegers(c *Client) bool {
	p := c.srv.cache.Policy()
	return c.srv.cache.MaxMemory() == 0 || !(strings.Contains(p, "lru") || strings.Contains(p, "lfu"))
}
