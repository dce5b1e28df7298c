package server

import "testing"

// TestRedisDiffSortLimitExtremes: SORT's LIMIT offset and count at the
// ends of the 64-bit range are bounded by the length first, as Redis
// does (LIMIT 2 9223372036854775807 once announced 2^63-1 elements and
// sent none).
func TestRedisDiffSortLimitExtremes(t *testing.T) {
	c := func(args ...string) diffStep { return diffStep{args: args} }
	const maxI, minI = "9223372036854775807", "-9223372036854775808"
	var steps []diffStep
	steps = append(steps, c("RPUSH", "L", "2", "1", "0"), c("ZADD", "z", "1", "a", "2", "b", "3", "c"), c("SET", "w_1", "x"))
	for _, lim := range [][2]string{{"2", maxI}, {"2", "2147483647"}, {maxI, "1"}, {maxI, maxI}, {minI, minI}, {"0", minI},
		{minI, "2"}, {"1", maxI}, {"3", "1"}, {"-1", "-1"}} {
		for _, key := range []string{"L", "z"} {
			steps = append(steps,
				c("SORT", key, "LIMIT", lim[0], lim[1], "ALPHA"), c("SORT_RO", key, "BY", "a", "LIMIT", lim[0], lim[1]),
				c("SORT", key, "BY", "nosort", "DESC", "LIMIT", lim[0], lim[1]),
				c("SORT", key, "LIMIT", lim[0], lim[1], "GET", "#", "GET", "w_*", "ALPHA"),
				c("SORT", key, "BY", "nosort", "LIMIT", lim[0], lim[1], "STORE", "dst"), c("LRANGE", "dst", "0", "-1"))
		}
	}
	runDiffScripts(t, []diffScript{{"sort limit extremes", steps}})
}
