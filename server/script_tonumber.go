package server

// Lua 5.1's tonumber as Redis's Lua has it: a string is read as C's strtod
// reads it (luaO_str2d), so "1e-05", "2E10", "0x1p4", "inf" and "nan" are
// numbers; with a base other than 10 it is C's strtoul. gopher-lua's own
// tonumber reads a string without a decimal point as an integer only, so
// "1e-05" (Python's str of a small float, sent as an argument) was nil.

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

func luaToNumber(L *lua.LState) int {
	if L.GetTop() == 0 {
		L.RaiseError("bad argument #1 to 'tonumber' (value expected)")
	}
	base := 10
	if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
		b, ok := L.Get(2).(lua.LNumber)
		if !ok {
			if s, isStr := L.Get(2).(lua.LString); isStr {
				if f, ok2 := luaStr2Number(string(s)); ok2 {
					b, ok = lua.LNumber(f), true
				}
			}
		}
		if !ok {
			L.RaiseError("bad argument #2 to 'tonumber' (number expected, got %s)", L.Get(2).Type().String())
		}
		base = int(b)
	}
	v := L.Get(1)
	if base == 10 {
		switch x := v.(type) {
		case lua.LNumber:
			L.Push(x)
			return 1
		case lua.LString:
			if f, ok := luaStr2Number(string(x)); ok {
				L.Push(lua.LNumber(f))
				return 1
			}
		}
		L.Push(lua.LNil)
		return 1
	}
	var s string
	switch x := v.(type) {
	case lua.LString:
		s = string(x)
	case lua.LNumber:
		s = luaNumberString(float64(x))
	default:
		L.RaiseError("bad argument #1 to 'tonumber' (string expected, got %s)", v.Type().String())
	}
	if base < 2 || base > 36 {
		L.RaiseError("bad argument #2 to 'tonumber' (base out of range)")
	}
	if n, ok := luaStrToUL(s, base); ok {
		L.Push(lua.LNumber(float64(n)))
		return 1
	}
	L.Push(lua.LNil)
	return 1
}

// luaStr2Number is luaO_str2d: glibc's strtod (zscore.go) reads the
// longest prefix that is a number, after leading spaces; then nothing but
// spaces may follow. (Its fallback to strtoul after an "x" changes nothing
// on glibc, whose strtod reads hexadecimal itself.)
func luaStr2Number(s string) (float64, bool) {
	b := []byte(s)
	f, n, _ := strtod(b)
	if n == 0 {
		return 0, false
	}
	for n < len(b) && isCSpace(b[n]) {
		n++
	}
	return f, n == len(b)
}

// luaStrToUL is luaB_tonumber's strtoul: at least one digit of base, then
// nothing but spaces; a minus sign negates in unsigned arithmetic and an
// overflow is ULONG_MAX, as C's.
func luaStrToUL(s string, base int) (uint64, bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitVal(s[i+2]) < 16 {
		i += 2
	}
	var n uint64
	overflow, digits := false, 0
	for i < len(s) {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if n > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		n = n*uint64(base) + uint64(d)
		i, digits = i+1, digits+1
	}
	if digits == 0 {
		return 0, false
	}
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, false
	}
	if overflow {
		return math.MaxUint64, true
	}
	if neg {
		n = -n
	}
	return n, true
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}
