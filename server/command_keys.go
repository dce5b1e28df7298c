package server

// Keys of commands whose key positions depend on their arguments (Redis's
// "movablekeys"): numkeys-prefixed lists (ZUNION, LMPOP, EVAL, ...), the
// keys after STREAMS (XREAD), and STORE options (SORT, GEORADIUS). The
// table's FirstKey/LastKey/Step describe the fixed part for COMMAND INFO;
// keyPositions gives every key of one call, for COMMAND GETKEYS and for
// the keys a tracking client reads.

import "strconv"

// keyPositions appends to buf the positions of the keys in args (args[0] is
// the command's name) and returns it.
func (cmd *Command) keyPositions(args [][]byte, buf []int) []int {
	if cmd.KeyFn != nil {
		return cmd.KeyFn(args, buf)
	}
	first, last, step := cmd.keyRange(len(args))
	if first <= 0 {
		return buf
	}
	for i := first; i <= last && i < len(args); i += step {
		buf = append(buf, i)
	}
	return buf
}

// keysNumkeys finds the keys of "... numkeys key..." with numkeys at
// position at, after the keys at the fixed positions (a destination). A
// numkeys that is not a count of keys present gives none, as Redis's.
func keysNumkeys(at int, fixed ...int) func(args [][]byte, buf []int) []int {
	return func(args [][]byte, buf []int) []int {
		if at >= len(args) {
			return buf
		}
		n, err := strconv.ParseInt(string(args[at]), 10, 64)
		if err != nil || n < 1 || n > int64(len(args)-at-1) {
			return buf
		}
		for _, f := range fixed {
			if f < len(args) {
				buf = append(buf, f)
			}
		}
		for i := at + 1; i <= at+int(n); i++ {
			buf = append(buf, i)
		}
		return buf
	}
}

// keysStreams finds XREAD's and XREADGROUP's keys: the first half of the
// arguments after STREAMS.
func keysStreams(args [][]byte, buf []int) []int {
	for i := 1; i < len(args); i++ {
		if eqFold(args[i], "streams") {
			n := (len(args) - i - 1) / 2
			for j := i + 1; j <= i+n; j++ {
				buf = append(buf, j)
			}
			return buf
		}
	}
	return buf
}

// keysSort finds SORT's keys: the key sorted, and the destination of its
// last STORE (LIMIT's, BY's and GET's arguments are skipped over).
func keysSort(args [][]byte, buf []int) []int {
	if len(args) < 2 {
		return buf
	}
	buf = append(buf, 1)
	store := 0
	for i := 2; i < len(args); i++ {
		switch {
		case eqFold(args[i], "limit"):
			i += 2
		case eqFold(args[i], "get"), eqFold(args[i], "by"):
			i++
		case eqFold(args[i], "store") && i+1 < len(args):
			store = i + 1
			i++
		}
	}
	if store > 0 {
		buf = append(buf, store)
	}
	return buf
}

// keysGeoRadius finds GEORADIUS's and GEORADIUSBYMEMBER's keys: the key
// searched, then the arguments of its first STORE and first STOREDIST.
func keysGeoRadius(args [][]byte, buf []int) []int {
	if len(args) < 2 {
		return buf
	}
	buf = append(buf, 1)
	for _, tok := range []string{"store", "storedist"} {
		for i := 2; i+1 < len(args); i++ {
			if eqFold(args[i], tok) {
				buf = append(buf, i+1)
				break
			}
		}
	}
	return buf
}

// movableKeys are the key finders, installed by register (a package-level
// variable, so it is set before any file's init registers its commands).
var movableKeys = map[string]func([][]byte, []int) []int{
	"zunion": keysNumkeys(1), "zinter": keysNumkeys(1), "zdiff": keysNumkeys(1), "zintercard": keysNumkeys(1),
	"sintercard": keysNumkeys(1), "lmpop": keysNumkeys(1), "zmpop": keysNumkeys(1),
	"blmpop": keysNumkeys(2), "bzmpop": keysNumkeys(2),
	"zunionstore": keysNumkeys(2, 1), "zinterstore": keysNumkeys(2, 1), "zdiffstore": keysNumkeys(2, 1),
	"eval": keysNumkeys(2), "evalsha": keysNumkeys(2), "eval_ro": keysNumkeys(2), "evalsha_ro": keysNumkeys(2),
	"fcall": keysNumkeys(2), "fcall_ro": keysNumkeys(2),
	"xread": keysStreams, "xreadgroup": keysStreams,
	"sort": keysSort, "sort_ro": keysSort,
	"georadius": keysGeoRadius, "georadiusbymember": keysGeoRadius,
	"migrate": keysMigrate,
}

// keysMigrate finds MIGRATE's keys: its key argument, or with KEYS (and
// an empty key argument) every argument after it; AUTH's and AUTH2's
// arguments are skipped over (a password "keys" is no KEYS), as Redis's
// migrateGetKeys.
func keysMigrate(args [][]byte, buf []int) []int {
	if len(args) < 6 {
		return buf
	}
	for i := 6; i < len(args); i++ {
		switch {
		case eqFold(args[i], "keys"):
			if len(args[3]) > 0 {
				return buf // a syntax error MIGRATE answers: no keys
			}
			for j := i + 1; j < len(args); j++ {
				buf = append(buf, j)
			}
			return buf
		case eqFold(args[i], "auth"):
			i++ // the password
		case eqFold(args[i], "auth2"):
			i += 2 // the user and password
		}
	}
	return append(buf, 3)
}

// noMandatoryKeys are the movable-key commands that may have no keys at all
// (Redis's no_mandatory_keys: scripts): COMMAND GETKEYS answers them an
// empty array rather than an error.
var noMandatoryKeys = map[string]bool{
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true, "fcall": true, "fcall_ro": true,
}
