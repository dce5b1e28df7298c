package server

import (
	"strconv"
	"strings"
)

// Key specifications and tips: what COMMAND INFO reports about where a
// command's keys are and how it uses them, and COMMAND GETKEYSANDFLAGS per
// key. For every command Redis 7.0 has, they are Redis's own
// (commandmeta_redis.go, generated from redis-server by
// scripts/genkeyspecs); commands Redis 7.0 lacks get a spec derived from
// their key positions (derivedKeySpec).

type commandMeta struct {
	tips  []string
	specs []keySpec
}

type keySpec struct {
	notes  string
	flags  []string
	bs, fk keySearch // begin_search, find_keys
}

// keySearch is a begin_search or find_keys: its type (index, keyword,
// unknown; range, keynum, unknown) and its spec's fields, in Redis's order.
type keySearch struct {
	typ  string
	spec []specField
}

type specField struct {
	name  string
	n     int64
	str   string
	isStr bool
}

func (s keySearch) get(name string) specField {
	for _, f := range s.spec {
		if f.name == name {
			return f
		}
	}
	return specField{}
}

// keySpecsOf is the command's key specifications.
func keySpecsOf(cmd *Command) []keySpec {
	if m, ok := redisCommandMeta[cmd.Name]; ok && len(m.specs) > 0 {
		return m.specs
	}
	if cmd.FirstKey <= 0 {
		return nil
	}
	return []keySpec{derivedKeySpec(cmd)}
}

// derivedKeySpec describes the keys at FirstKey, LastKey, Step.
func derivedKeySpec(cmd *Command) keySpec {
	last := int64(cmd.LastKey)
	if last >= 0 {
		last -= int64(cmd.FirstKey)
	}
	flags := []string{"RO", "access"}
	if cmd.Flags&flagWrite != 0 {
		flags = []string{"RW", "access", "update"}
	}
	return keySpec{flags: flags,
		bs: keySearch{typ: "index", spec: []specField{{name: "index", n: int64(cmd.FirstKey)}}},
		fk: keySearch{typ: "range", spec: []specField{{name: "lastkey", n: last}, {name: "keystep", n: int64(cmd.Step)}, {name: "limit"}}}}
}

// replyKeySpecs writes COMMAND INFO's tips and key specifications.
func replyTipsAndKeySpecs(c *Client, cmd *Command) {
	r := &c.reply
	tips := redisCommandMeta[cmd.Name].tips
	r.Set(len(tips))
	for _, t := range tips {
		r.BulkString(t)
	}
	specs := keySpecsOf(cmd)
	r.Set(len(specs))
	for i := range specs {
		s := &specs[i]
		if s.notes != "" {
			r.Map(4)
			r.BulkString("notes")
			r.BulkString(s.notes)
		} else {
			r.Map(3)
		}
		r.BulkString("flags")
		statusSet(c, s.flags)
		r.BulkString("begin_search")
		replyKeySearch(r, &s.bs)
		r.BulkString("find_keys")
		replyKeySearch(r, &s.fk)
	}
}

func replyKeySearch(r *Reply, s *keySearch) {
	r.Map(2)
	r.BulkString("type")
	r.BulkString(s.typ)
	r.BulkString("spec")
	r.Map(len(s.spec))
	for _, f := range s.spec {
		r.BulkString(f.name)
		if f.isStr {
			r.BulkString(f.str)
		} else {
			r.Int(f.n)
		}
	}
}

// keyFlags returns, for each key position of a call (args: the command
// name first), the flags COMMAND GETKEYSANDFLAGS reports: those of the key
// specification that finds it, as Redis's getKeysUsingKeySpecs does, or
// as the key-finding functions of the commands whose specs cannot (SET and
// BITFIELD, whose flags depend on their arguments; SORT's STORE key).
func keyFlags(cmd *Command, args [][]byte, positions []int) [][]string {
	out := make([][]string, len(positions))
	switch cmd.Name {
	case "set":
		// GET among the options (after the value), as Redis's setGetKeys
		fl := []string{"OW", "update"}
		for _, a := range args[min(3, len(args)):] {
			if eqFold(a, "get") {
				fl = []string{"RW", "access", "update"}
				break
			}
		}
		for i := range out {
			out[i] = fl
		}
		return out
	case "bitfield":
		// read-only when every operation is a GET (or OVERFLOW), as
		// Redis's bitfieldGetKeys walks them; a syntax error is not
		fl := []string{"RO", "access"}
		for i := 2; i < len(args); i++ {
			rem := len(args) - i - 1
			switch {
			case eqFold(args[i], "get") && rem >= 2:
				i += 2
				continue
			case eqFold(args[i], "overflow") && rem >= 1:
				i++
				continue
			}
			fl = []string{"RW", "access", "update"}
			break
		}
		for i := range out {
			out[i] = fl
		}
		return out
	}
	specs := keySpecsOf(cmd)
	found := map[int][]string{}
	var unknown []string
	for i := range specs {
		s := &specs[i]
		fl := printedKeyFlags(s.flags)
		if s.bs.typ == "unknown" || s.fk.typ == "unknown" {
			unknown = fl
			continue
		}
		for _, p := range specPositions(s, args) {
			if _, ok := found[p]; !ok {
				found[p] = fl
			}
		}
	}
	for i, p := range positions {
		switch fl, ok := found[p]; {
		case ok:
			out[i] = fl
		case unknown != nil:
			out[i] = unknown // SORT's STORE key: its spec's is the last unknown one
		default:
			out[i] = printedKeyFlags(derivedKeySpec(cmd).flags)
		}
	}
	return out
}

// printedKeyFlags drops the flags that describe the spec rather than the
// key (Redis's key-finding functions report the key's own).
func printedKeyFlags(fl []string) []string {
	var out []string
	for _, f := range fl {
		if f != "incomplete" && f != "variable_flags" {
			out = append(out, f)
		}
	}
	return out
}

// specPositions evaluates a key specification on a call as Redis's
// getKeysUsingKeySpecs does: the positions of the keys it finds.
func specPositions(s *keySpec, args [][]byte) []int {
	argc := len(args)
	var first int
	switch s.bs.typ {
	case "index":
		first = int(s.bs.get("index").n)
	case "keyword":
		kw := s.bs.get("keyword").str
		from := int(s.bs.get("startfrom").n)
		start, end, step := from, argc-1, 1
		if from < 0 {
			start, end, step = argc+from, 0, -1
		}
		first = -1
		for i := start; i >= 0 && i < argc && (step > 0 && i <= end || step < 0 && i >= end); i += step {
			if strings.EqualFold(string(args[i]), kw) {
				first = i + 1
				break
			}
		}
		if first < 0 {
			return nil
		}
	default:
		return nil
	}
	var last, step int
	switch s.fk.typ {
	case "range":
		lastkey, limit := int(s.fk.get("lastkey").n), int(s.fk.get("limit").n)
		switch {
		case lastkey >= 0:
			last = first + lastkey
		case limit == 0:
			last = argc + lastkey
		default:
			last = first + ((argc-first)/limit + lastkey)
		}
		step = int(s.fk.get("keystep").n)
	case "keynum":
		idx := first + int(s.fk.get("keynumidx").n)
		if idx >= argc {
			return nil
		}
		n, err := strconv.ParseInt(string(args[idx]), 10, 64)
		if err != nil || n < 0 || n > int64(argc) {
			return nil
		}
		first += int(s.fk.get("firstkey").n)
		step = int(s.fk.get("keystep").n)
		last = first + int(n) - 1 // as Redis computes it, whatever the step
	default:
		return nil
	}
	if step <= 0 {
		return nil
	}
	var out []int
	for i := first; i <= last && i < argc; i += step {
		if i >= 1 {
			out = append(out, i)
		}
	}
	return out
}
