package server

// Where Lua 5.1 turns a number into a string by itself, it formats it as
// "%.14g" (lua_Number2str): 1/3 is "0.33333333333333", 2^53 is
// "9.007199254741e+15", math.huge is "inf". gopher-lua formats such numbers
// as Go does (0.3333333333333333, 9007199254740992, +Inf), so the string
// library, table.concat and the `..` operator (script_concat.go) are given
// Lua 5.1's conversion here. string.format is Lua 5.1's str_format over C's
// printf: gopher-lua's hands the format to Go's fmt, which has no %i, %u or
// C's %c, %q and %g, and prints "%!d(MISSING)" where Lua raises an error.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// luaTypeName is luaL_typename: "no value" for an argument not given.
func luaTypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

func luaArgError(L *lua.LState, n int, fn, msg string) {
	luaRaise(L, "bad argument #%d to '%s' (%s)", n, fn, msg)
}

// luaRaise is luaL_error in a library function: the message starts with
// its caller's position when the caller is Lua code, and has none when it
// is a Go function (pcall(cjson.decode, s) gets the bare message, as in
// Lua 5.1, where that caller is C).
func luaRaise(L *lua.LState, format string, args ...any) {
	if dbg, ok := L.GetStack(1); ok {
		if _, err := L.GetInfo("S", dbg, lua.LNil); err == nil && dbg.What == "G" {
			L.Error(lua.LString(fmt.Sprintf(format, args...)), 0)
		}
	}
	L.RaiseError(format, args...)
}

// luaCheckString is luaL_checklstring: a string, or a number as "%.14g".
func luaCheckString(L *lua.LState, n int, fn string) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return luaNumberString(float64(v))
	}
	luaArgError(L, n, fn, "string expected, got "+luaTypeName(L, n))
	return ""
}

// luaCheckNumber is luaL_checknumber: a number, or a string that reads as
// one (luaO_str2d).
func luaCheckNumber(L *lua.LState, n int, fn string) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, ok := luaStr2Number(string(v)); ok {
			return f
		}
	}
	luaArgError(L, n, fn, "number expected, got "+luaTypeName(L, n))
	return 0
}

// luaLibArgs lists, for a function of a library, the arguments Lua 5.1
// converts itself: strs are read as strings (a number there becomes
// "%.14g"), nums as numbers (a numeric string there becomes its number:
// string.sub(s, ARGV[1]) works, as in Redis, where gopher-lua's own
// functions refuse a string). allNums: every argument is a number.
type luaLibArgs struct {
	strs, nums []int
	allNums    bool
}

var luaStringArgs = map[string]luaLibArgs{
	"byte": {strs: []int{1}, nums: []int{2, 3}}, "char": {allNums: true},
	"find": {strs: []int{1, 2}, nums: []int{3}}, "gmatch": {strs: []int{1, 2}}, "gfind": {strs: []int{1, 2}},
	"gsub": {strs: []int{1, 2, 3}, nums: []int{4}}, "len": {strs: []int{1}}, "lower": {strs: []int{1}},
	"match": {strs: []int{1, 2}, nums: []int{3}}, "rep": {strs: []int{1}, nums: []int{2}},
	"reverse": {strs: []int{1}}, "sub": {strs: []int{1}, nums: []int{2, 3}}, "upper": {strs: []int{1}},
}

// luaTableArgs: table.insert's position is argument 2 only when a value
// follows it (wrapLibFunc).
var luaTableArgs = map[string]luaLibArgs{"insert": {nums: []int{2}}, "remove": {nums: []int{2}}}

var luaBaseArgs = map[string]luaLibArgs{"unpack": {nums: []int{2, 3}}, "select": {nums: []int{1}}, "error": {nums: []int{2}}}

// patchLuaLibs gives the libraries Lua 5.1's conversions between numbers
// and strings: the string library, table.concat and string.format are
// Lua 5.1's own (below), the other functions are wrapped (luaLibArgs).
func patchLuaLibs(L *lua.LState, globals *lua.LTable) {
	str := globals.RawGetString("string").(*lua.LTable)
	tab := globals.RawGetString("table").(*lua.LTable)
	math := globals.RawGetString("math").(*lua.LTable)
	for name, a := range luaStringArgs {
		wrapLibFunc(str, name, a)
	}
	for name, a := range luaTableArgs {
		wrapLibFunc(tab, name, a)
	}
	for name, a := range luaBaseArgs {
		wrapLibFunc(globals, name, a)
	}
	math.ForEach(func(k, v lua.LValue) {
		if name, ok := k.(lua.LString); ok {
			if _, isFn := v.(*lua.LFunction); isFn {
				wrapLibFunc(math, string(name), luaLibArgs{allNums: true})
			}
		}
	})
	str.RawSetString("format", L.NewFunction(luaStrFormat))
	str.RawSetString("dump", L.NewFunction(luaStrDump))
	tab.RawSetString("concat", L.NewFunction(luaTableConcat))
}

// wrapLibFunc replaces t[name], a Go function, by one that converts its
// arguments as a says first.
func wrapLibFunc(t *lua.LTable, name string, a luaLibArgs) {
	orig, ok := t.RawGetString(name).(*lua.LFunction)
	if !ok || !orig.IsG {
		return
	}
	// A copy keeps the original's upvalues (gmatch's iterator).
	w := *orig
	g := orig.GFunction
	insert := t.RawGetString("insert") == orig && name == "insert"
	w.GFunction = func(L *lua.LState) int {
		top := L.GetTop()
		for _, i := range a.strs {
			if i > top {
				break
			}
			if n, ok := L.Get(i).(lua.LNumber); ok {
				L.Replace(i, lua.LString(luaNumberString(float64(n))))
			}
		}
		if a.allNums {
			for i := 1; i <= top; i++ {
				luaNumArg(L, i)
			}
		}
		for _, i := range a.nums {
			if i > top || (insert && top < 3) {
				break
			}
			luaNumArg(L, i)
		}
		return g(L)
	}
	t.RawSetString(name, &w)
}

// luaNumArg makes argument i a number when it is a string that reads as one.
func luaNumArg(L *lua.LState, i int) {
	if s, ok := L.Get(i).(lua.LString); ok {
		if f, ok := luaStr2Number(string(s)); ok {
			L.Replace(i, lua.LNumber(f))
		}
	}
}

// luaStrDump is string.dump: a binary chunk, of which Redis's scripts can
// do nothing but hold it (loadstring refuses binary chunks): Lua 5.1's
// header and the function's source name.
func luaStrDump(L *lua.LState) int {
	fn, ok := L.Get(1).(*lua.LFunction)
	if !ok {
		luaArgError(L, 1, "dump", "function expected, got "+luaTypeName(L, 1))
	}
	if fn.IsG {
		luaRaise(L, "unable to dump given function")
	}
	L.Push(lua.LString("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00@" + fn.Proto.SourceName + "\x00"))
	return 1
}

// luaTableConcat is Lua 5.1's table.concat: the range is what was asked
// (an element missing in it is an error, not the end), numbers are
// "%.14g", and the separator and bounds may be numbers or numeric strings.
func luaTableConcat(L *lua.LState) int {
	sep := ""
	if L.Get(2) != lua.LNil {
		sep = luaCheckString(L, 2, "concat")
	}
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		luaArgError(L, 1, "concat", "table expected, got "+luaTypeName(L, 1))
	}
	i, last := 1, t.Len()
	if L.Get(3) != lua.LNil {
		i = int(luaNumberToInt(luaCheckNumber(L, 3, "concat")))
	}
	if L.GetTop() >= 4 && L.Get(4) != lua.LNil {
		last = int(luaNumberToInt(luaCheckNumber(L, 4, "concat")))
	}
	var sb strings.Builder
	for ; i <= last; i++ {
		switch v := t.RawGetInt(i).(type) {
		case lua.LString:
			sb.WriteString(string(v))
		case lua.LNumber:
			sb.WriteString(luaNumberString(float64(v)))
		default:
			luaRaise(L, "invalid value (%s) at index %d in table for 'concat'", v.Type().String(), i)
		}
		if i < last {
			sb.WriteString(sep)
		}
		if i == math.MaxInt {
			break
		}
	}
	L.Push(lua.LString(sb.String()))
	return 1
}

// cFormat is one conversion of a printf format: its flags, width and
// precision (-1 when not given).
type cFormat struct {
	minus, plus, space, sharp, zero bool
	width, prec                     int
}

// luaStrFormat is Lua 5.1's string.format (lstrlib.c str_format).
func luaStrFormat(L *lua.LState) int {
	fmtStr := luaCheckString(L, 1, "format")
	top := L.GetTop()
	arg := 1
	out := make([]byte, 0, len(fmtStr)+16)
	for i := 0; i < len(fmtStr); {
		c := fmtStr[i]
		i++
		if c != '%' {
			out = append(out, c)
			continue
		}
		if i < len(fmtStr) && fmtStr[i] == '%' {
			out = append(out, '%')
			i++
			continue
		}
		arg++
		if arg > top {
			luaArgError(L, arg, "format", "no value")
		}
		// scanformat: at most 5 flag characters, 2 digits of width and 2
		// of precision
		var f cFormat
		start := i
		for i < len(fmtStr) && strings.IndexByte("-+ #0", fmtStr[i]) >= 0 {
			switch fmtStr[i] {
			case '-':
				f.minus = true
			case '+':
				f.plus = true
			case ' ':
				f.space = true
			case '#':
				f.sharp = true
			case '0':
				f.zero = true
			}
			i++
		}
		if i-start >= 6 {
			luaRaise(L, "invalid format (repeated flags)")
		}
		isDigit := func() bool { return i < len(fmtStr) && fmtStr[i] >= '0' && fmtStr[i] <= '9' }
		for k := 0; k < 2 && isDigit(); k++ {
			f.width = f.width*10 + int(fmtStr[i]-'0')
			i++
		}
		f.prec = -1
		if i < len(fmtStr) && fmtStr[i] == '.' {
			i++
			f.prec = 0
			for k := 0; k < 2 && isDigit(); k++ {
				f.prec = f.prec*10 + int(fmtStr[i]-'0')
				i++
			}
		}
		if isDigit() {
			luaRaise(L, "invalid format (width or precision too long)")
		}
		var conv byte // the end of the string reads as C's terminating NUL
		if i < len(fmtStr) {
			conv = fmtStr[i]
			i++
		}
		switch conv {
		case 'c':
			// C's (int) cast, then printf's unsigned char; a NUL ends
			// sprintf's buffer, so it adds nothing.
			n := luaCheckNumber(L, arg, "format")
			v := int32(math.MinInt32)
			if n > math.MinInt32-1 && n < math.MaxInt32+1 {
				v = int32(n)
			}
			item := appendPadded(nil, string([]byte{byte(v)}), f, false)
			if k := strings.IndexByte(string(item), 0); k >= 0 {
				item = item[:k]
			}
			out = append(out, item...)
		case 'd', 'i':
			n := luaNumberToInt(luaCheckNumber(L, arg, "format"))
			neg := n < 0
			u := uint64(n)
			if neg {
				u = -u
			}
			out = appendCInt(out, u, neg, 10, false, f, true)
		case 'o', 'u', 'x', 'X':
			u := cDoubleToUint64(luaCheckNumber(L, arg, "format"))
			base := map[byte]int{'o': 8, 'u': 10, 'x': 16, 'X': 16}[conv]
			out = appendCInt(out, u, false, base, conv == 'X', f, false)
		case 'e', 'E', 'f', 'g', 'G':
			out = appendCFloat(out, luaCheckNumber(L, arg, "format"), conv, f)
		case 'q':
			out = appendLuaQuoted(out, luaCheckString(L, arg, "format"))
		case 's':
			s := luaCheckString(L, arg, "format")
			if f.prec < 0 && len(s) >= 100 {
				out = append(out, s...) // kept whole, as Lua does
				continue
			}
			if k := strings.IndexByte(s, 0); k >= 0 {
				s = s[:k] // sprintf's %s stops at a NUL
			}
			if f.prec >= 0 && len(s) > f.prec {
				s = s[:f.prec]
			}
			out = appendPadded(out, s, f, false)
		default:
			opt := ""
			if conv != 0 {
				opt = string(conv)
			}
			luaRaise(L, "invalid option '%%%s' to 'format'", opt)
		}
	}
	L.Push(lua.LString(out))
	return 1
}

// cDoubleToUint64 is C's (unsigned long) cast of a double as gcc compiles
// it on x86-64: below 2^63 through a signed conversion (so -1 is all ones,
// and NaN or anything out of range is 2^63), from there by subtracting 2^63.
func cDoubleToUint64(f float64) uint64 {
	if !(f >= 9223372036854775808.0) {
		return uint64(luaNumberToInt(f))
	}
	return uint64(luaNumberToInt(f-9223372036854775808.0)) ^ (1 << 63)
}

// appendPadded pads s to the width, on the right with '-', else on the
// left with spaces (or zeros when zero is set and allowed).
func appendPadded(out []byte, s string, f cFormat, zeroOK bool) []byte {
	pad := f.width - len(s)
	if pad <= 0 {
		return append(out, s...)
	}
	if f.minus {
		out = append(out, s...)
		return append(out, strings.Repeat(" ", pad)...)
	}
	if zeroOK && f.zero {
		// zeros go after a sign or a 0x prefix
		k := 0
		if len(s) > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ') {
			k = 1
		}
		if len(s) > k+1 && s[k] == '0' && (s[k+1] == 'x' || s[k+1] == 'X') {
			k += 2
		}
		out = append(out, s[:k]...)
		out = append(out, strings.Repeat("0", pad)...)
		return append(out, s[k:]...)
	}
	out = append(out, strings.Repeat(" ", pad)...)
	return append(out, s...)
}

// appendCInt is printf's %d/%o/%u/%x/%X of magnitude u.
func appendCInt(out []byte, u uint64, neg bool, base int, upper bool, f cFormat, signed bool) []byte {
	digits := strconv.FormatUint(u, base)
	if upper {
		digits = strings.ToUpper(digits)
	}
	if f.prec == 0 && u == 0 {
		digits = ""
	}
	if f.prec > len(digits) {
		digits = strings.Repeat("0", f.prec-len(digits)) + digits
	}
	prefix := ""
	switch {
	case signed && neg:
		prefix = "-"
	case signed && f.plus:
		prefix = "+"
	case signed && f.space:
		prefix = " "
	}
	if f.sharp {
		switch {
		case base == 8 && !strings.HasPrefix(digits, "0"):
			digits = "0" + digits
		case base == 16 && u != 0 && upper:
			prefix = "0X"
		case base == 16 && u != 0:
			prefix = "0x"
		}
	}
	return appendPadded(out, prefix+digits, f, f.prec < 0)
}

// appendCFloat is printf's %e/%E/%f/%g/%G (glibc's inf and nan).
func appendCFloat(out []byte, v float64, conv byte, f cFormat) []byte {
	upper := conv == 'E' || conv == 'G'
	sign := ""
	switch {
	case math.Signbit(v):
		sign = "-"
	case f.plus:
		sign = "+"
	case f.space:
		sign = " "
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		s := "inf"
		if math.IsNaN(v) {
			s = "nan"
		}
		if upper {
			s = strings.ToUpper(s)
		}
		return appendPadded(out, sign+s, f, false)
	}
	prec := f.prec
	if prec < 0 {
		prec = 6
	}
	var s string
	a := math.Abs(v)
	switch conv {
	case 'e', 'E':
		s = strconv.FormatFloat(a, 'e', prec, 64)
		if f.sharp && prec == 0 {
			s = strings.Replace(s, "e", ".e", 1)
		}
	case 'f':
		s = strconv.FormatFloat(a, 'f', prec, 64)
		if f.sharp && prec == 0 {
			s += "."
		}
	default: // g, G
		if prec == 0 {
			prec = 1
		}
		s = strconv.FormatFloat(a, 'e', prec-1, 64)
		exp, _ := strconv.Atoi(s[strings.IndexByte(s, 'e')+1:])
		if exp < -4 || exp >= prec {
			mant, e := s[:strings.IndexByte(s, 'e')], s[strings.IndexByte(s, 'e'):]
			if !f.sharp {
				mant = trimFracZeros(mant)
			} else if !strings.Contains(mant, ".") {
				mant += "."
			}
			s = mant + e
		} else {
			s = strconv.FormatFloat(a, 'f', prec-1-exp, 64)
			if !f.sharp {
				s = trimFracZeros(s)
			} else if !strings.Contains(s, ".") {
				s += "."
			}
		}
	}
	if upper {
		s = strings.ToUpper(s)
	}
	return appendPadded(out, sign+s, f, true)
}

// trimFracZeros drops the trailing zeros of a fraction, and its point
// when nothing is left after it.
func trimFracZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// appendLuaQuoted is %q (lstrlib.c addquoted).
func appendLuaQuoted(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '\n':
			out = append(out, '\\', c)
		case '\r':
			out = append(out, '\\', 'r')
		case 0:
			out = append(out, '\\', '0', '0', '0')
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}
