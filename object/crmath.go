package object

import "math"

// Correctly rounded sin, cos and asin for the geo distance formula.
//
// Redis computes distances with glibc's sin, cos and asin, which round
// correctly in all but ~0.1% of cases; Go's math package differs from them
// in the last bit for 20-30% of arguments, enough to change a stored
// distance (GEOSEARCHSTORE ... STOREDIST keeps all 17 digits). Evaluating
// in double-double arithmetic (~106 bits) and rounding once gives the
// correctly rounded result, so distances match Redis's except where glibc
// itself is off by one ulp.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

func quickTwoSum(a, b float64) (float64, float64) {
	s := a + b
	return s, b - (s - a)
}

func twoProd(a, b float64) (float64, float64) {
	p := a * b
	return p, math.FMA(a, b, -p)
}

func ddAdd(x, y dd) dd {
	s, e := twoSum(x.hi, y.hi)
	t, f := twoSum(x.lo, y.lo)
	e += t
	s, e = quickTwoSum(s, e)
	e += f
	s, e = quickTwoSum(s, e)
	return dd{s, e}
}

func ddNeg(x dd) dd { return dd{-x.hi, -x.lo} }

func ddMul(x, y dd) dd {
	p, e := twoProd(x.hi, y.hi)
	e += x.hi*y.lo + x.lo*y.hi
	p, e = quickTwoSum(p, e)
	return dd{p, e}
}

func ddMulF(x dd, f float64) dd {
	p, e := twoProd(x.hi, f)
	e += x.lo * f
	p, e = quickTwoSum(p, e)
	return dd{p, e}
}

func ddDiv(x, y dd) dd {
	q1 := x.hi / y.hi
	r := ddAdd(x, ddNeg(ddMulF(y, q1)))
	q2 := r.hi / y.hi
	r = ddAdd(r, ddNeg(ddMulF(y, q2)))
	q3 := r.hi / y.hi
	q1, q2 = quickTwoSum(q1, q2)
	return ddAdd(dd{q1, q2}, dd{q3, 0})
}

// pi/2 as a sum of three doubles.
var (
	pio2a = 0x1.921fb54442d18p+0
	pio2b = 0x1.1a62633145c07p-54
	pio2c = -0x1.f1976b7ed8fbcp-110
)

// invFact[n] is 1/n! in double-double.
var invFact [32]dd

func init() {
	invFact[0] = dd{1, 0}
	for n := 1; n < len(invFact); n++ {
		invFact[n] = ddDiv(invFact[n-1], dd{float64(n), 0})
	}
}

// sinCosDD returns sin and cos of x, |x| not huge.
func sinCosDD(x dd) (s, c dd) {
	k := math.RoundToEven(x.hi / pio2a)
	r := x
	if k != 0 {
		p, e := twoProd(k, pio2a)
		r = ddAdd(r, ddNeg(dd{p, e}))
		p, e = twoProd(k, pio2b)
		r = ddAdd(r, ddNeg(dd{p, e}))
		r = ddAdd(r, dd{-k * pio2c, 0})
	}
	r2 := ddMul(r, r)
	// sin(r) = r * sum (-1)^i r^2i/(2i+1)!, cos(r) = sum (-1)^i r^2i/(2i)!
	ps, pc := dd{}, dd{}
	for i := 14; i >= 0; i-- {
		cs, cc := invFact[2*i+1], invFact[2*i]
		if i%2 == 1 {
			cs, cc = ddNeg(cs), ddNeg(cc)
		}
		ps = ddAdd(ddMul(ps, r2), cs)
		pc = ddAdd(ddMul(pc, r2), cc)
	}
	sr, cr := ddMul(r, ps), pc
	switch int64(k) & 3 {
	case 0:
		return sr, cr
	case 1:
		return cr, ddNeg(sr)
	case 2:
		return ddNeg(sr), ddNeg(cr)
	}
	return ddNeg(cr), sr
}

const crMaxArg = 1 << 20 // beyond, the reduction above loses bits: use math's

func crSin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > crMaxArg {
		return math.Sin(x)
	}
	s, _ := sinCosDD(dd{x, 0})
	return s.hi + s.lo
}

func crCos(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > crMaxArg {
		return math.Cos(x)
	}
	_, c := sinCosDD(dd{x, 0})
	return c.hi + c.lo
}

// crAsin refines math.Asin with two Newton steps on sin in double-double.
func crAsin(y float64) float64 {
	if y == 0 || math.IsNaN(y) || math.Abs(y) >= 1 {
		return math.Asin(y)
	}
	t := dd{math.Asin(y), 0}
	for i := 0; i < 2; i++ {
		s, c := sinCosDD(t)
		t = ddAdd(t, ddDiv(ddAdd(dd{y, 0}, ddNeg(s)), c))
	}
	return t.hi + t.lo
}
