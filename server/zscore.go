package server

import (
	"bytes"
	"math"
	"strconv"
)

// Numbers as Redis reads them for sorted sets and geo: scores, weights,
// increments, coordinates and radii go through string2d (C's strtod on the
// whole argument, no leading space, no NaN, no overflow or underflow to
// zero); score range bounds go through strtod directly (leading space,
// overflow to infinity and an empty text are fine).

func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHexDigit(c byte) bool {
	return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')
}

// hasPrefixFold reports whether b starts with lower (ASCII, any case).
func hasPrefixFold(b []byte, lower string) bool {
	return len(b) >= len(lower) && eqFold(b[:len(lower)], lower)
}

// strtod reads the longest prefix of b that glibc's strtod accepts and
// returns its value, the bytes consumed (0: no number) and whether strtod
// would set ERANGE with a zero or infinite result (a finite text that
// overflows, or a nonzero one that underflows to zero).
func strtod(b []byte) (v float64, n int, erange bool) {
	i := 0
	for i < len(b) && isCSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	sign := func(f float64) float64 {
		if neg {
			return -f
		}
		return f
	}
	rest := b[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return sign(math.Inf(1)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return sign(math.Inf(1)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(b) && b[j] == '(' {
			k := j + 1
			for k < len(b) && (isDigit(b[k]) || (b[k]|0x20 >= 'a' && b[k]|0x20 <= 'z') || b[k] == '_') {
				k++
			}
			if k < len(b) && b[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	if len(rest) >= 2 && rest[0] == '0' && rest[1]|0x20 == 'x' {
		j := 2
		digits, nonzero := 0, false
		for j < len(rest) && isHexDigit(rest[j]) {
			digits++
			nonzero = nonzero || rest[j] != '0'
			j++
		}
		if j < len(rest) && rest[j] == '.' {
			j++
			for j < len(rest) && isHexDigit(rest[j]) {
				digits++
				nonzero = nonzero || rest[j] != '0'
				j++
			}
		}
		if digits > 0 {
			mant := j
			if j < len(rest) && rest[j]|0x20 == 'p' {
				k := j + 1
				if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
					k++
				}
				if k < len(rest) && isDigit(rest[k]) {
					for k < len(rest) && isDigit(rest[k]) {
						k++
					}
					j = k
				}
			}
			text := string(rest[:j])
			if j == mant {
				text += "p0"
			}
			f, err := strconv.ParseFloat(text, 64)
			return sign(f), i + j, err != nil || (f == 0 && nonzero)
		}
		// "0x" without digits: strtod reads the 0 alone
		return sign(0), i + 1, false
	}
	j := 0
	digits, nonzero := 0, false
	for j < len(rest) && isDigit(rest[j]) {
		digits++
		nonzero = nonzero || rest[j] != '0'
		j++
	}
	if j < len(rest) && rest[j] == '.' {
		j++
		for j < len(rest) && isDigit(rest[j]) {
			digits++
			nonzero = nonzero || rest[j] != '0'
			j++
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if j < len(rest) && rest[j]|0x20 == 'e' {
		k := j + 1
		if k < len(rest) && (rest[k] == '+' || rest[k] == '-') {
			k++
		}
		if k < len(rest) && isDigit(rest[k]) {
			for k < len(rest) && isDigit(rest[k]) {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(string(rest[:j]), 64)
	return sign(f), i + j, err != nil || (f == 0 && nonzero)
}

// parseDouble reads b as Redis's string2d (getDoubleFromObject): ZADD
// scores, ZINCRBY increments, weights, coordinates, radii.
func parseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	v, n, erange := strtod(b)
	if n != len(b) || erange || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// cString is b up to its first NUL byte, as C code reading argv sees it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// parseScoreBound reads a score range bound as Redis's zslParseRange: an
// optional '(' for an exclusive bound, then strtod up to the end of the C
// string (so "" is 0, " 1" is 1, "1e999" is inf).
func parseScoreBound(b []byte) (v float64, excl, ok bool) {
	b = cString(b)
	if len(b) > 0 && b[0] == '(' {
		excl = true
		b = b[1:]
	}
	v, n, _ := strtod(b)
	if n != len(b) || math.IsNaN(v) {
		return 0, false, false
	}
	return v, excl, true
}
