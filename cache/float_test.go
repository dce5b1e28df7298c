package cache

import (
	"strings"
	"testing"
)

// incrFloat is INCRBYFLOAT's arithmetic on text: value (nil = missing key)
// plus incr, or the error Redis gives.
func incrFloat(value *string, incr string) (string, error) {
	var cur LongDouble
	if value != nil {
		v, ok := ParseLongDouble([]byte(*value))
		if !ok {
			return "", ErrNotFloat
		}
		cur = v
	}
	d, ok := ParseLongDouble([]byte(incr))
	if !ok {
		return "", ErrNotFloat
	}
	s, ok := AddLongDouble(cur, d)
	if !ok {
		return "", ErrNaN
	}
	return string(AppendLongDouble(nil, s)), nil
}

// TestLongDouble: expected texts are redis-server 7.0's on x86-64 (and a C
// program doing string2ld + long double addition + ld2string, which matched
// this code on several hundred thousand random inputs); the diff test checks
// many of them against a live redis-server.
func TestLongDouble(t *testing.T) {
	str := func(s string) *string { return &s }
	const big1 = "170000000000000000003136778025197596795270213889694133733043585763202456051205820994061869588900300336978523841885631712661403498918000793480728637410016696547450658600006812401305436257622907062380271462782244438270443691335452761319068709501902589182028026014367280506332405764915517562011679309777401282560"
	const big2 = "340000000000000000006273556050395193590540427779388267466087171526404912102411641988123739177800600673957047683771263425322806997836001586961457274820033393094901317200013624802610872515245814124760542925564488876540887382670905522638137419003805178364056052028734561012664811529831035124023358619554802565120"
	for _, tc := range []struct {
		value *string
		incr  string
		want  string
		err   error
	}{
		{nil, "1.7e308", big1, nil},
		{str("1.7e308"), "1.7e308", big2, nil},
		{str(big2), "-1.7e308", big1, nil},
		{str("0.1"), "0.2", "0.3", nil},
		{str("1.1"), "2.2", "3.3", nil},
		{str("10.50"), "0.1", "10.6", nil},
		{str("0.30000000000000004"), "0", "0.30000000000000004", nil},
		{nil, "3.14159265358979323846264338327950288", "3.14159265358979324", nil},
		{nil, "123456789012345678901234567890.123456789", "123456789012345678899921813504", nil},
		{nil, "1e17", "100000000000000000", nil},
		{nil, "0.1e-16", "0.00000000000000001", nil},
		{nil, "1e-20", "0", nil},
		{nil, "-1e-20", "0", nil}, // "-0" is written "0"
		{str("-0"), "-0", "0", nil},
		{nil, "0x1p-18", "0.00000381469726562", nil}, // a tie at 17 decimals: to even
		{nil, "-2.5", "-2.5", nil},
		{str("-1.25"), "0.5", "-0.75", nil},
		{str("3.0"), "1", "4", nil},
		{str("5.0e3"), "2.0e2", "5200", nil},
		{str("9223372036854775807"), "1", "9223372036854775808", nil},
		{str("-9223372036854775808"), "-1", "-9223372036854775809", nil},
		{str("9223372036854775807"), "9223372036854775807", "18446744073709551614", nil},
		{nil, "0x10", "16", nil},
		{nil, "-0X.8P+2", "-2", nil},
		{nil, "+.5", "0.5", nil},
		{nil, "5.", "5", nil},
		{nil, "0e99999999999999999999", "0", nil},
		{nil, "1e-4950", "0", nil}, // a subnormal: fine
		{nil, "0x1.00000000000000008p-16446", "0", nil},
		{nil, "1." + strings.Repeat("0", 5117), "1", nil}, // 5119 bytes
		// refused
		{nil, "1." + strings.Repeat("0", 5118), "", ErrNotFloat}, // 5120 bytes
		{nil, "1e4933", "", ErrNotFloat},                         // overflow
		{nil, "1e-5000", "", ErrNotFloat},                        // underflow to zero
		{nil, "0x1.0000000000000001p-16446", "", ErrNotFloat},    // glibc rounds it to zero
		{nil, "1e99999999999999999999", "", ErrNotFloat},
		{nil, "", "", ErrNotFloat},
		{nil, " 1", "", ErrNotFloat},
		{nil, "\t1", "", ErrNotFloat},
		{nil, "1 ", "", ErrNotFloat},
		{nil, "1\x00", "", ErrNotFloat},
		{nil, "nan", "", ErrNotFloat},
		{nil, "-NaN", "", ErrNotFloat},
		{nil, "nan(1)", "", ErrNotFloat},
		{nil, "infinit", "", ErrNotFloat},
		{nil, "abc", "", ErrNotFloat},
		{nil, ".", "", ErrNotFloat},
		{nil, "-", "", ErrNotFloat},
		{nil, "1e", "", ErrNotFloat},
		{nil, "1e+", "", ErrNotFloat},
		{nil, "0x", "", ErrNotFloat},
		{nil, "0x1p", "", ErrNotFloat},
		{nil, "1_0", "", ErrNotFloat},
		{str("1.5x"), "1", "", ErrNotFloat},
		// NaN or infinite results
		{nil, "inf", "", ErrNaN},
		{nil, "-Infinity", "", ErrNaN},
		{str("inf"), "-inf", "", ErrNaN},
		{str("1.18973149535723176502e+4932"), "1e4932", "", ErrNaN},
	} {
		got, err := incrFloat(tc.value, tc.incr)
		if got != tc.want || err != tc.err {
			v := "<missing>"
			if tc.value != nil {
				v = *tc.value
			}
			t.Errorf("%.60q + %.60q = %.80q, %v; want %.80q, %v", v, tc.incr, got, err, tc.want, tc.err)
		}
	}
	// the largest long double prints in full: 4933 digits
	x, ok := ParseLongDouble([]byte("1.18973149535723176502e+4932"))
	if out := AppendLongDouble(nil, x); !ok || len(out) != 4933 || !strings.HasPrefix(string(out), "118973149535723176502126385303097020516906332229462420044032373389173700552297072261641029033652888285354569780749557731442744315367028843419812557385374367867359320070697326320191591828296152") {
		t.Errorf("max long double: %v %.40s... (%d bytes)", ok, out, len(out))
	}
}

// TestLongDoubleIntegersAllocateNothing: integer operands, the common case,
// stay off math/big.
func TestLongDoubleIntegersAllocateNothing(t *testing.T) {
	buf := make([]byte, 0, 32)
	n := testing.AllocsPerRun(100, func() {
		a, _ := ParseLongDouble([]byte("12345"))
		b, _ := ParseLongDouble([]byte("-7"))
		s, _ := AddLongDouble(a, b)
		buf = AppendLongDouble(buf[:0], s)
	})
	if n != 0 || string(buf) != "12338" {
		t.Fatalf("%v allocations, %q", n, buf)
	}
}

// FuzzLongDouble: INCRBYFLOAT's arithmetic never panics on client bytes, and
// whatever it stores reads back as a number (the next INCRBYFLOAT on the key
// must not answer "value is not a valid float").
func FuzzLongDouble(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0", "1.7e308", "0x1.8p-1", "inf", "1e-5000", "5.0e3", " 1", "nan", "12345678901234567890", "-9223372036854775808", "0e99999"} {
		f.Add([]byte(s), []byte("0.1"))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		x, okx := ParseLongDouble(a)
		y, oky := ParseLongDouble(b)
		if !okx || !oky {
			return
		}
		sum, ok := AddLongDouble(x, y)
		if !ok {
			return
		}
		out := AppendLongDouble(nil, sum)
		if _, ok := ParseLongDouble(out); !ok {
			t.Fatalf("%q + %q stored %q, which does not parse back", a, b, out)
		}
	})
}
