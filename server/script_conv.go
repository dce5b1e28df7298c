package server

// Conversions between Lua values and replies, as Redis 7.0's script_lua.c
// makes them: a command's reply (RESP2 or RESP3, as the script chose with
// redis.setresp) becomes a Lua value for redis.call, and the script's
// return value becomes the caller's reply in the caller's protocol.

import (
	"bytes"
	"math"
	"strconv"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// numBox makes Lua numbers into values (lua.LValue) without an allocation
// each: a number in an interface is a pointer to it, and the numbers are
// taken from blocks of numBlock, as gopher-lua's own VM boxes the numbers
// it computes (its allocator; the integers 0-255 are boxed once). A block
// is collected when no value points into it any more.
type numBox struct{ block []float64 }

const numBlock = 256

var smallNumbers [256]lua.LValue

func init() {
	for i := range smallNumbers {
		smallNumbers[i] = lua.LNumber(i)
	}
}

func (nb *numBox) box(n lua.LNumber) lua.LValue {
	if n >= 0 && n < lua.LNumber(len(smallNumbers)) && n == lua.LNumber(int(n)) {
		return smallNumbers[int(n)]
	}
	if len(nb.block) == cap(nb.block) {
		nb.block = make([]float64, 0, numBlock)
	}
	nb.block = append(nb.block, float64(n))
	var v lua.LValue = lua.LNumber(0) // the interface's type word, read-only data
	(*ifaceWords)(unsafe.Pointer(&v)).data = unsafe.Pointer(&nb.block[len(nb.block)-1])
	return v
}

// ifaceWords is how Go lays out a non-empty interface value.
type ifaceWords struct{ typ, data unsafe.Pointer }

// maxLuaReplyDepth bounds nesting (a table that contains itself), where
// Redis runs out of Lua stack and answers "reached lua stack limit".
const maxLuaReplyDepth = 512

// respToLua converts the RESP reply at the start of b into a Lua value and
// returns what follows it. Status replies become {ok=...}, errors {err=...},
// a RESP2 null false, a RESP3 null nil, maps {map={...}}, sets
// {set={member=true}}, doubles {double=n}, big numbers {big_number=s},
// verbatim strings {verbatim_string={format=..., string=...}}.
func respToLua(L *lua.LState, b []byte) (lua.LValue, []byte) {
	if len(b) < 3 {
		return lua.LFalse, nil
	}
	end := bytes.IndexByte(b, '\n')
	if end < 1 {
		return lua.LFalse, nil
	}
	line := b[1 : end-1]
	rest := b[end+1:]
	switch b[0] {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, rest
	case '-':
		// The command's error reply was counted (INFO errorstats) when it
		// was written: the table says so, as Redis's, so that a script
		// returning or raising it does not count it again.
		t := L.CreateTable(0, 2)
		t.RawSetString("err", lua.LString(line))
		t.RawSetString(ignoreErrStats, lua.LTrue)
		return t, rest
	case ':':
		n, _ := strconv.ParseInt(string(line), 10, 64)
		return lua.LNumber(n), rest
	case '$', '=':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		if n+2 > len(rest) {
			return lua.LFalse, nil
		}
		s := rest[:n]
		rest = rest[n+2:]
		if b[0] == '=' {
			t := L.CreateTable(0, 1)
			v := L.CreateTable(0, 2)
			if len(s) >= 4 {
				v.RawSetString("format", lua.LString(s[:3]))
				v.RawSetString("string", lua.LString(s[4:]))
			}
			t.RawSetString("verbatim_string", v)
			return t, rest
		}
		return lua.LString(s), rest
	case '*', '~', '>':
		n, _ := strconv.Atoi(string(line))
		if n < 0 {
			return lua.LFalse, rest
		}
		if b[0] == '~' {
			set := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				var v lua.LValue
				v, rest = respToLua(L, rest)
				if v != lua.LNil {
					set.RawSet(v, lua.LTrue)
				}
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", set)
			return t, rest
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest = respToLua(L, rest)
			t.RawSetInt(i, v)
		}
		return t, rest
	case '%':
		n, _ := strconv.Atoi(string(line))
		m := L.CreateTable(0, n)
		for i := 0; i < n; i++ {
			var k, v lua.LValue
			k, rest = respToLua(L, rest)
			v, rest = respToLua(L, rest)
			if k != lua.LNil {
				m.RawSet(k, v)
			}
		}
		t := L.CreateTable(0, 1)
		t.RawSetString("map", m)
		return t, rest
	case '|': // an attribute: skipped, the reply follows
		n, _ := strconv.Atoi(string(line))
		for i := 0; i < 2*n; i++ {
			_, rest = respToLua(L, rest)
		}
		return respToLua(L, rest)
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(len(line) > 0 && line[0] == 't'), rest
	case ',':
		f, _ := strconv.ParseFloat(string(line), 64)
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(f))
		return t, rest
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, rest
	}
	return lua.LFalse, nil
}

// ignoreErrStats is the field Redis 7.0 sets in the error tables of
// command replies (already counted in INFO errorstats).
const ignoreErrStats = "ignore_error_stats_update"

func errStatsCounted(t *lua.LTable) bool { return lua.LVAsBool(t.RawGetString(ignoreErrStats)) }

// luaToReply writes the script's value v as the caller's reply. resp is the
// script's redis.setresp (it decides how booleans are returned).
func luaToReply(r *Reply, v lua.LValue, resp int) {
	n := r.Len()
	if !luaToReplyDepth(r, v, resp, 0) {
		// Too deep (a table that contains itself): Redis's Lua runs out of
		// stack while converting and answers this instead.
		r.Truncate(n)
		r.Error("ERR reached lua stack limit")
	}
}

func luaToReplyDepth(r *Reply, v lua.LValue, resp int, depth int) bool {
	if depth > maxLuaReplyDepth {
		return false
	}
	switch x := v.(type) {
	case lua.LString:
		r.BulkString(string(x))
	case lua.LBool:
		if resp == 2 {
			if x {
				r.Int(1)
			} else {
				r.Null()
			}
		} else {
			r.Bool(bool(x))
		}
	case lua.LNumber:
		r.Int(luaNumberToInt(float64(x)))
	case *lua.LTable:
		if e, ok := x.RawGetString("err").(lua.LString); ok {
			if errStatsCounted(x) {
				r.nflag++
			} else {
				if r.errs != nil {
					r.errs.note(string(e))
				}
				r.nerr++
			}
			r.b = append(r.b, '-')
			r.b = appendMapped(r.b, string(e))
			r.b = append(r.b, '\r', '\n')
			return true
		}
		if s, ok := x.RawGetString("ok").(lua.LString); ok {
			r.b = append(r.b, '+')
			r.b = appendMapped(r.b, string(s))
			r.b = append(r.b, '\r', '\n')
			return true
		}
		if d, ok := x.RawGetString("double").(lua.LNumber); ok {
			r.Double(float64(d))
			return true
		}
		if s, ok := x.RawGetString("big_number").(lua.LString); ok {
			if r.proto >= 3 {
				r.b = append(r.b, '(')
				r.b = appendMapped(r.b, string(s))
				r.b = append(r.b, '\r', '\n')
			} else {
				r.BulkString(string(mapCRLF(string(s))))
			}
			return true
		}
		if m, ok := x.RawGetString("map").(*lua.LTable); ok {
			n := 0
			m.ForEach(func(lua.LValue, lua.LValue) { n++ })
			r.Map(n)
			okAll := true
			m.ForEach(func(k, val lua.LValue) {
				if okAll {
					okAll = luaToReplyDepth(r, k, resp, depth+1) && luaToReplyDepth(r, val, resp, depth+1)
				}
			})
			return okAll
		}
		if s, ok := x.RawGetString("set").(*lua.LTable); ok {
			n := 0
			s.ForEach(func(lua.LValue, lua.LValue) { n++ })
			r.Set(n)
			okAll := true
			s.ForEach(func(k, _ lua.LValue) {
				if okAll {
					okAll = luaToReplyDepth(r, k, resp, depth+1)
				}
			})
			return okAll
		}
		if vs, ok := x.RawGetString("verbatim_string").(*lua.LTable); ok {
			f, ok1 := vs.RawGetString("format").(lua.LString)
			s, ok2 := vs.RawGetString("string").(lua.LString)
			if ok1 && ok2 {
				r.Verbatim(string(f), string(s))
				return true
			}
		}
		n := 0
		for x.RawGetInt(n+1) != lua.LNil {
			n++
		}
		r.Array(n)
		for i := 1; i <= n; i++ {
			if !luaToReplyDepth(r, x.RawGetInt(i), resp, depth+1) {
				return false
			}
		}
	default:
		r.Null()
	}
	return true
}

// appendMapped appends s with '\r' and '\n' turned into spaces (a status or
// error line stays one line).
func appendMapped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}

func mapCRLF(s string) []byte { return appendMapped(nil, s) }

// luaNumberToInt is C's (long long) cast of a Lua number as x86-64 does it:
// toward zero, and LLONG_MIN for NaN and anything out of range.
func luaNumberToInt(f float64) int64 {
	if math.IsNaN(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0 {
		return math.MinInt64
	}
	return int64(f)
}

// luaNumberString formats a number as Lua 5.1 does (%.14g).
func luaNumberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		if f == 0 && math.Signbit(f) {
			return "-0"
		}
		return strconv.FormatInt(int64(f), 10)
	}
	return formatG(f, 14)
}

// formatG is C's %.<prec>g.
func formatG(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'e', prec-1, 64)
	// s = d.ddddde±XX
	epos := bytes.IndexByte([]byte(s), 'e')
	exp, _ := strconv.Atoi(s[epos+1:])
	if exp < -4 || exp >= prec {
		mant := s[:epos]
		if bytes.IndexByte([]byte(mant), '.') >= 0 {
			mant = trimZeros(mant)
		}
		e := s[epos+1:]
		sign := e[0]
		digits := e[1:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		return mant + "e" + string(sign) + digits
	}
	out := strconv.FormatFloat(f, 'f', max(prec-1-exp, 0), 64)
	if bytes.IndexByte([]byte(out), '.') >= 0 {
		out = trimZeros(out)
	}
	return out
}

func trimZeros(s string) string {
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return s[:i]
}

// luaArg converts an argument of redis.call: strings as they are, numbers
// as Redis formats them (%.17g).
func luaArg(dst []byte, v lua.LValue) ([]byte, bool) {
	switch x := v.(type) {
	case lua.LString:
		return append(dst, x...), true
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && math.Abs(f) < 1e17 {
			return strconv.AppendInt(dst, int64(f), 10), true
		}
		return append(dst, formatG(f, 17)...), true
	}
	return dst, false
}

func itoa(n int) string { return strconv.Itoa(n) }

func floor(f float64) float64 { return math.Floor(f) }
