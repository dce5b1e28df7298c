package server

import (
	"strings"
	"testing"
)

// Differential tests of the commands a standalone Redis 7.0 answers without
// doing anything (CLUSTER, MODULE, FAILOVER, DEBUG, ACL for the default
// user, RESTORE-ASKING): byte-identical replies in RESP2 and RESP3.

// bothProtocols runs each script as it is and again after HELLO 3.
func bothProtocols(scripts []diffScript) []diffScript {
	var out []diffScript
	for _, sc := range scripts {
		out = append(out, diffScript{sc.name + " resp2", sc.steps})
		steps := append([]diffStep{{args: []string{"HELLO", "3"}, norm: diffHello}}, sc.steps...)
		out = append(out, diffScript{sc.name + " resp3", steps})
	}
	return out
}

func dc(args ...string) diffStep { return diffStep{args: args} }

func TestRedisDiffCluster(t *testing.T) {
	var steps []diffStep
	for _, sub := range clusterSubNames() {
		steps = append(steps, dc("CLUSTER", sub), dc("CLUSTER", strings.ToUpper(sub), "a", "b", "c", "d"))
	}
	steps = append(steps, dc("CLUSTER"), dc("CLUSTER", "foo"), dc("CLUSTER", "info", "x"), dc("CLUSTER", "KEYSLOT", "k"),
		dc("READONLY"), dc("READWRITE"), dc("ASKING"), dc("MULTI"), dc("CLUSTER", "INFO"), dc("EXEC"))
	runDiffScripts(t, bothProtocols([]diffScript{{"cluster", steps}}))
}

func TestRedisDiffModuleFailover(t *testing.T) {
	steps := []diffStep{
		dc("MODULE", "LIST"), dc("MODULE", "HELP"), dc("module", "help", "x"), dc("MODULE", "LOAD", "/nonexistent.so"),
		dc("MODULE", "LOAD", "/nonexistent.so", "a", "b"), dc("MODULE", "LOADEX", "/x.so"),
		dc("MODULE", "LOADEX", "/x.so", "CONFIG", "a", "b", "ARGS", "x"), dc("MODULE", "UNLOAD", "foo"),
		dc("MODULE", "UNLOAD"), dc("MODULE", "LOAD"), dc("MODULE", "foo"), dc("MODULE"), dc("MODULE", "LIST", "x"),
		dc("FAILOVER"), dc("FAILOVER", "ABORT"), dc("failover", "abort", "x"), dc("FAILOVER", "TO", "h", "1"),
		dc("FAILOVER", "TO", "h"), dc("FAILOVER", "FORCE"), dc("FAILOVER", "TIMEOUT", "10"), dc("FAILOVER", "TIMEOUT", "-1"),
		dc("FAILOVER", "TIMEOUT", "0"), dc("FAILOVER", "TIMEOUT", "x"), dc("FAILOVER", "TO", "h", "1", "FORCE"),
		dc("FAILOVER", "TO", "h", "1", "FORCE", "TIMEOUT", "10"), dc("FAILOVER", "foo"), dc("FAILOVER", "TO", "h", "x"),
		dc("FAILOVER", "FORCE", "FORCE"), dc("FAILOVER", "TIMEOUT", "5", "TIMEOUT", "6"), dc("FAILOVER", "TO", "a", "1", "TO", "b", "2"),
		dc("FAILOVER", "TIMEOUT"), dc("FAILOVER", "TO", "h", "99999999999999999999"), dc("FAILOVER", "ABORT", "FORCE"),
		dc("FAILOVER", "TIMEOUT", "9223372036854775807", "TO", "h", "-1", "FORCE"),
	}
	runDiffScripts(t, bothProtocols([]diffScript{{"module and failover", steps}}))
}
