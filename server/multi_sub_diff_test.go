package server

import "testing"

// TestRedisDiffMultiSubcommands: inside MULTI a container's subcommand is
// checked before it is queued, as Redis's processCommand does: an unknown
// subcommand or a wrong arity is an error at once and EXEC answers
// EXECABORT; a known one is queued and runs.
func TestRedisDiffMultiSubcommands(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	steps := []diffStep{
		c("MULTI"), c("CONFIG", "NOSUCH"), c("SET", "k", "v"), c("EXEC"), c("EXISTS", "k"),
		c("MULTI"), c("config", "get"), c("EXEC"),
		c("MULTI"), c("CLUSTER", "NOSUCH"), c("EXEC"),
		c("MULTI"), c("OBJECT", "ENCODING"), c("DISCARD"),
		c("MULTI"), c("CONFIG", "GET", "maxmemory"), c("OBJECT", "ENCODING", "k"), c("CLIENT", "ID", "x"), c("EXEC"),
		c("MULTI"), c("XINFO", "HELP"), c("COMMAND", "COUNT", "x"), c("EXEC"),
	}
	runDiffScripts(t, []diffScript{{"multi-subcommands", steps}})
}
