package cache

import (
	"math/big"
	"strconv"
)

// INCRBYFLOAT arithmetic exactly as Redis 7.0 does it on x86-64: both
// operands are read with strtold into a long double (the x87 80-bit
// extended format: a 64-bit significand and a 15-bit exponent), added in
// that format, and the sum is printed with "%.17Lf" and its trailing zeros
// trimmed (ld2string, LD_STR_HUMAN). So 0.1+0.2 is "0.3" (the 11 extra bits
// round the float64 artefact away) and 1.7e308+1.7e308 is a finite 309-digit
// number. The long double is emulated with math/big: values are rounded to
// 64 significant bits, to nearest with ties to even, and checked against the
// format's exponent range.

// LongDouble is a value of the x87 extended format: an exact integer (the
// common case, computed without math/big) or a rounded big.Float.
type LongDouble struct {
	i int64
	f *big.Float // nil: the value is i; else 64-bit precision, finite or ±Inf
}

const (
	// big.Float writes x = m * 2^exp with 0.5 <= |m| < 1.
	ldMaxExp = 16384  // largest finite: (1-2^-64) * 2^16384
	ldMinExp = -16381 // smallest normal: 2^-16382
	ldQuant  = -16445 // subnormals are multiples of 2^-16445
	ldPrec   = 64

	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: string2ld
	// refuses a text of this length or longer.
	maxLongDoubleChars = 5 * 1024
)

// ParseLongDouble reads b as Redis's string2ld does: strtold (decimal or
// hexadecimal, "inf"/"infinity" in any case, with an optional sign),
// refusing an empty text, one of 5120 bytes or more, leading white space,
// anything strtold does not consume (trailing text or spaces, a NUL byte),
// NaN, and a result that overflows to ±Inf or underflows to zero (strtold's
// ERANGE). A text whose exact value is zero ("0e9999") is fine.
func ParseLongDouble(b []byte) (LongDouble, bool) {
	if i, ok := ParseInt(b); ok {
		return LongDouble{i: i}, true
	}
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return LongDouble{}, false
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return LongDouble{}, false
	}
	neg := false
	s := b
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if eqFoldASCII(s, "inf") || eqFoldASCII(s, "infinity") {
		return LongDouble{f: new(big.Float).SetInf(neg)}, true
	}
	var f *big.Float
	var ok bool
	if len(s) > 2 && s[0] == '0' && s[1]|0x20 == 'x' {
		f, ok = parseHexLD(s[2:])
	} else {
		f, ok = parseDecLD(s)
	}
	if !ok {
		return LongDouble{}, false
	}
	if neg {
		f.Neg(f)
	}
	return LongDouble{f: f}, true
}

func eqFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// mantissa splits s, the whole text after the sign (and "0x"), into its
// significand digits (without the radix point) and the number of digits
// after the point, then reads the exponent introduced by one of expChars.
// ok is false unless all of s is consumed and there is at least one digit.
func mantissa(s []byte, isDigit func(byte) bool, expChars string) (digits []byte, frac int, exp int64, ok bool) {
	digits = make([]byte, 0, len(s))
	i, point := 0, false
	for ; i < len(s); i++ {
		if c := s[i]; isDigit(c) {
			digits = append(digits, c)
			if point {
				frac++
			}
		} else if c == '.' && !point {
			point = true
		} else {
			break
		}
	}
	if len(digits) == 0 {
		return nil, 0, 0, false
	}
	if i == len(s) {
		return digits, frac, 0, true
	}
	if s[i] != expChars[0] && s[i] != expChars[1] {
		return nil, 0, 0, false
	}
	i++
	eneg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		eneg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return nil, 0, 0, false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return nil, 0, 0, false
		}
		if exp < 1e12 { // beyond any range that matters; keeps exp from overflowing
			exp = exp*10 + int64(c-'0')
		}
	}
	if eneg {
		exp = -exp
	}
	return digits, frac, exp, true
}

func isDec(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDec(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// trimZeros drops the leading zeros of a digit string (none may remain).
func trimZeros(d []byte) []byte {
	for len(d) > 0 && d[0] == '0' {
		d = d[1:]
	}
	return d
}

// parseDecLD reads a decimal significand with an optional e exponent.
func parseDecLD(s []byte) (*big.Float, bool) {
	digits, frac, exp, ok := mantissa(s, isDec, "eE")
	if !ok {
		return nil, false
	}
	digits = trimZeros(digits)
	if len(digits) == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	// x = 0.digits * 10^e10, so 10^(e10-1) <= x < 10^e10.
	e10 := exp - int64(frac) + int64(len(digits))
	if e10-1 > 4933 { // x >= 10^4933 > the largest long double (1.19e4932)
		return nil, false
	}
	if e10 < -4952 { // x < 10^-4952, below half the smallest subnormal (3.6e-4951)
		return nil, false
	}
	num, _ := new(big.Int).SetString(string(digits), 10)
	den := big.NewInt(1)
	if p := e10 - int64(len(digits)); p >= 0 {
		num.Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(p), nil))
	} else {
		den.Exp(big.NewInt(10), big.NewInt(-p), nil)
	}
	return roundLD(num, den, 0, false)
}

// parseHexLD reads a hexadecimal significand with an optional p exponent
// (binary, in decimal digits), as strtold does after "0x".
func parseHexLD(s []byte) (*big.Float, bool) {
	digits, frac, exp, ok := mantissa(s, isHex, "pP")
	if !ok {
		return nil, false
	}
	digits = trimZeros(digits)
	if len(digits) == 0 {
		return new(big.Float).SetPrec(ldPrec), true
	}
	// x = digits * 2^e2, and 2^(bits+e2-1) <= x < 2^(bits+e2)
	e2 := exp - 4*int64(frac)
	bits := 4 * int64(len(digits))
	if bits+e2-4 > ldMaxExp { // x >= 2^(bits-4+e2) > 2^16384
		return nil, false
	}
	if bits+e2 < ldQuant-1 { // x < 2^-16446, below half the smallest subnormal
		return nil, false
	}
	num, _ := new(big.Int).SetString(string(digits), 16)
	return roundLD(num, big.NewInt(1), int(e2), true)
}

// roundLD rounds the exact positive value num/den * 2^e2 to a long double
// (to nearest, ties to even, with the subnormals' fixed quantum); ok is
// false if it overflows to Inf or underflows to zero.
//
// hex (den is 1) reproduces how glibc's strtold (2.36) rounds a hexadecimal
// input into the subnormal range: it keeps the top 64 bits of the
// significand, a round bit and a sticky bit, and when it shifts the 64 bits
// right to the subnormal quantum it drops that first round bit instead of
// folding it into the sticky bit. So 0x2.8000000000000002p-16445 (2.5
// quanta plus 2^-63 of one) reads as the tie 2.5 and rounds to 2, not 3.
// Every subnormal prints as "0", so this shows only where it decides
// between the smallest subnormal and an underflow to zero, which string2ld
// refuses: 0x1.0000000000000001p-16446 is "not a valid float" in Redis.
// Decimal inputs are unaffected: one in the subnormal range is never exact
// (that would take thousands of digits), so its sticky bit is always set.
func roundLD(num, den *big.Int, e2 int, hex bool) (*big.Float, bool) {
	f := new(big.Float).SetPrec(ldPrec)
	f.Quo(new(big.Float).SetInt(num), new(big.Float).SetInt(den)) // exact operands: one rounding
	f.SetMantExp(f, e2)
	e := f.MantExp(nil)
	if e > ldMaxExp {
		return nil, false
	}
	if e >= ldMinExp {
		return f, true
	}
	// Subnormal: round num/den * 2^(e2-ldQuant) to an integer n, x = n * 2^ldQuant.
	if hex {
		if drop := num.BitLen() - ldPrec; drop > 0 {
			// the top 64 bits, then two bits: glibc's lost round bit (0)
			// and the sticky bit (any bit below it)
			sticky := drop > 1 && num.TrailingZeroBits() < uint(drop-1)
			num = new(big.Int).Rsh(num, uint(drop))
			num.Lsh(num, 2)
			if sticky {
				num.SetBit(num, 0, 1)
			}
			e2 += drop - 2
		}
	}
	sh := e2 - ldQuant
	n, d := new(big.Int).Set(num), new(big.Int).Set(den)
	if sh >= 0 {
		n.Lsh(n, uint(sh))
	} else {
		d.Lsh(d, uint(-sh))
	}
	q, r := n.QuoRem(n, d, new(big.Int))
	switch c := r.Lsh(r, 1).Cmp(d); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if q.Sign() == 0 {
		return nil, false
	}
	f.SetInt(q)
	return f.SetMantExp(f, ldQuant), true
}

func (x LongDouble) big() *big.Float {
	if x.f != nil {
		return x.f
	}
	return new(big.Float).SetPrec(ldPrec).SetInt64(x.i)
}

// AddLongDouble is the long double sum x+y; ok is false if it is NaN or
// ±Inf (an infinite operand, or an overflow), which INCRBYFLOAT refuses.
func AddLongDouble(x, y LongDouble) (LongDouble, bool) {
	if x.f == nil && y.f == nil {
		// Two int64 whose sum is an int64: exact in the 64-bit significand.
		if s := x.i + y.i; (s > x.i) == (y.i > 0) {
			return LongDouble{i: s}, true
		}
	}
	a, b := x.big(), y.big()
	if a.IsInf() || b.IsInf() {
		return LongDouble{}, false
	}
	// Sums in the subnormal range are exact (both operands are multiples of
	// 2^-16445), so rounding to 64 bits with an unbounded exponent is
	// the x87 rounding; only overflow needs a check.
	s := new(big.Float).SetPrec(ldPrec).Add(a, b)
	if s.MantExp(nil) > ldMaxExp {
		return LongDouble{}, false
	}
	return LongDouble{f: s}, true
}

// AppendLongDouble appends x as Redis's INCRBYFLOAT replies and stores it:
// "%.17Lf" (the exact value rounded to 17 decimals, ties to even), trailing
// zeros and then a trailing '.' removed, "-0" written "0". x must be
// finite. A long double has at most 4933 integer digits, so the text always
// fits ld2string's 5120-byte buffer.
func AppendLongDouble(dst []byte, x LongDouble) []byte {
	if x.f == nil {
		return strconv.AppendInt(dst, x.i, 10)
	}
	if x.f.MantExp(nil) < -60 {
		// |x| < 2^-61 < 0.5e-17 prints as 0 at 17 decimals; big.Float's
		// exact decimal expansion of, say, 2^-16445 would take milliseconds.
		return append(dst, '0')
	}
	start := len(dst)
	dst = x.f.Append(dst, 'f', 17)
	n := len(dst)
	for dst[n-1] == '0' {
		n--
	}
	if dst[n-1] == '.' {
		n--
	}
	dst = dst[:n]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}
