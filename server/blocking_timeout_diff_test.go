package server

import "testing"

// TestRedisDiffBlockingTinyTimeouts: a timeout below a millisecond is
// rounded up to one (Redis 7.0.15's ceill), so it times out at once instead
// of blocking forever; every blocking pop answers its timeout reply.
func TestRedisDiffBlockingTinyTimeouts(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	var steps []diffStep
	for _, tmo := range []string{"0.001", "0.0001", "1e-10", "0.0009999", "0x0.001p0", "0.001000"} {
		steps = append(steps,
			c("BLPOP", "nokey", tmo), c("BRPOP", "nokey", "other", tmo), c("BLMOVE", "nokey", "dst", "LEFT", "RIGHT", tmo),
			c("BRPOPLPUSH", "nokey", "dst", tmo), c("BLMPOP", tmo, "1", "nokey", "LEFT"),
			c("BZPOPMIN", "nokey", tmo), c("BZPOPMAX", "nokey", tmo), c("BZMPOP", tmo, "1", "nokey", "MIN"))
	}
	steps = append(steps, c("BLPOP", "nokey", "-1.5"), c("BLPOP", "nokey", "-1"), c("BLPOP", "nokey", "9223372036854776"))
	runDiffScripts(t, []diffScript{{"tiny timeouts", steps}})
}
