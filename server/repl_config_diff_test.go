package server

import "testing"

// TestRedisDiffReplConfig: repl-ping-replica-period (and its alias
// repl-ping-slave-period) and repl-timeout through CONFIG GET/SET, valid
// and invalid values, as redis-server answers.
func TestRedisDiffReplConfig(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	var steps []diffStep
	for _, name := range []string{"repl-ping-replica-period", "repl-ping-slave-period", "repl-timeout"} {
		steps = append(steps, c("CONFIG", "GET", name))
		for _, v := range []string{"0", "-1", "abc", "1.5", "", "2147483648", "9223372036854775808", "10s"} {
			steps = append(steps, c("CONFIG", "SET", name, v))
		}
		steps = append(steps, c("CONFIG", "SET", name, "2147483647"), c("CONFIG", "GET", name),
			c("CONFIG", "SET", name, "1"), c("CONFIG", "GET", name))
	}
	steps = append(steps,
		c("CONFIG", "SET", "repl-ping-replica-period", "7"), c("CONFIG", "GET", "repl-ping-slave-period"),
		c("CONFIG", "SET", "repl-ping-slave-period", "3"), c("CONFIG", "GET", "repl-ping-replica-period"),
		c("CONFIG", "GET", "repl-ping-*").with(diffSortedPairs),
		c("CONFIG", "SET", "repl-timeout", "5", "repl-ping-replica-period", "2"),
		c("CONFIG", "GET", "repl-timeout"),
		c("CONFIG", "SET", "repl-timeout", "60", "repl-ping-replica-period", "10"),
		c("CONFIG", "GET", "repl-timeout"), c("CONFIG", "GET", "repl-ping-replica-period"))
	runDiffScripts(t, []diffScript{{"repl-config", steps}})
}
