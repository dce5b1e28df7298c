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
