package object

import "math"

// Geo on sorted sets, as Redis does it: a point is stored as the score of
// its member, a 52-bit geohash (26 bits of longitude and 26 of latitude,
// interleaved) over the Web Mercator latitude range; searches cover the
// query shape with the geohash box of the center and its 8 neighbours at a
// precision estimated from the radius, and filter by distance. The
// arithmetic follows Redis 7.0 step by step (explicit float64 conversions
// keep Go from fusing multiply-adds), so positions, distances and results
// match it.

const (
	GeoLongMin = -180.0
	GeoLongMax = 180.0
	GeoLatMin  = -85.05112878
	GeoLatMax  = 85.05112878
	GeoStepMax = 26

	earthRadius = 6372797.560856
	mercatorMax = 20037726.37
)

// degToRad is M_PI / 180.0 computed in double arithmetic, as C does (a Go
// constant expression would be rounded once, from the exact quotient).
var (
	piDouble = math.Pi
	degToRad = piDouble / 180.0
)

// GeoHash is a geohash of 2*Step bits.
type GeoHash struct {
	Bits uint64
	Step uint8
}

func (h GeoHash) zero() bool { return h.Bits == 0 && h.Step == 0 }

type geoRange struct{ min, max float64 }

// GeoArea is the rectangle a geohash covers.
type GeoArea struct {
	Hash     GeoHash
	Lon, Lat geoRange
}

var (
	wgsLon = geoRange{GeoLongMin, GeoLongMax}
	wgsLat = geoRange{GeoLatMin, GeoLatMax}
)

// spread moves the 32 bits of x to the even bit positions.
func spread(x uint64) uint64 {
	x &= 0xFFFFFFFF
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// squash is the inverse of spread: the even bits of x, packed.
func squash(x uint64) uint64 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return x
}

// interleave puts lat's bits at the even positions, lon's at the odd ones.
func interleave(lat, lon uint32) uint64 { return spread(uint64(lat)) | spread(uint64(lon))<<1 }

func geoEncode(lonR, latR geoRange, lon, lat float64, step uint8) (GeoHash, bool) {
	if step > 32 || step == 0 || lon > GeoLongMax || lon < GeoLongMin || lat > GeoLatMax || lat < GeoLatMin {
		return GeoHash{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return GeoHash{}, false
	}
	latOff := float64(lat-latR.min) / float64(latR.max-latR.min)
	lonOff := float64(lon-lonR.min) / float64(lonR.max-lonR.min)
	latOff = float64(latOff * float64(uint64(1)<<step))
	lonOff = float64(lonOff * float64(uint64(1)<<step))
	return GeoHash{Bits: interleave(uint32(latOff), uint32(lonOff)), Step: step}, true
}

func geoDecode(lonR, latR geoRange, h GeoHash) GeoArea {
	a := GeoArea{Hash: h}
	ilat := squash(h.Bits)
	ilon := squash(h.Bits >> 1)
	latScale := latR.max - latR.min
	lonScale := lonR.max - lonR.min
	div := float64(uint64(1) << h.Step)
	a.Lat.min = latR.min + float64(float64(float64(ilat)/div)*latScale)
	a.Lat.max = latR.min + float64(float64(float64(ilat+1)/div)*latScale)
	a.Lon.min = lonR.min + float64(float64(float64(ilon)/div)*lonScale)
	a.Lon.max = lonR.min + float64(float64(float64(ilon+1)/div)*lonScale)
	return a
}

// center is the middle of the area, clamped to the valid range.
func (a GeoArea) center() (lon, lat float64) {
	lon = (a.Lon.min + a.Lon.max) / 2
	lon = min(max(lon, GeoLongMin), GeoLongMax)
	lat = (a.Lat.min + a.Lat.max) / 2
	lat = min(max(lat, GeoLatMin), GeoLatMax)
	return lon, lat
}

// GeoScore is the sorted set score of a point (lon, lat must be in range).
func GeoScore(lon, lat float64) float64 {
	h, _ := geoEncode(wgsLon, wgsLat, lon, lat, GeoStepMax)
	return float64(align52(h))
}

func align52(h GeoHash) uint64 { return h.Bits << (52 - uint(h.Step)*2) }

// scoreBits converts a score to geohash bits as C's (uint64_t) cast does on
// x86-64 (gcc): below 2^63 a signed truncation, else one of x - 2^63 with
// the top bit flipped; out of range gives the "integer indefinite" 1<<63.
func scoreBits(score float64) uint64 {
	const two63 = 9223372036854775808.0
	cvt := func(x float64) uint64 {
		if math.IsNaN(x) || x >= two63 || x < -two63 {
			return 1 << 63
		}
		return uint64(int64(x))
	}
	if score >= two63 {
		return cvt(score-two63) ^ 1<<63
	}
	return cvt(score)
}

// GeoDecode is the position a score stands for.
func GeoDecode(score float64) (lon, lat float64) {
	a := geoDecode(wgsLon, wgsLat, GeoHash{Bits: scoreBits(score), Step: GeoStepMax})
	return a.center()
}

// GeoHashString is the standard 11-character geohash of a score (Redis
// re-encodes the position over the [-90, 90] latitude range).
func GeoHashString(score float64) []byte {
	lon, lat := GeoDecode(score)
	h, _ := geoEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, GeoStepMax)
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	out := make([]byte, 11)
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 {
			idx = int(h.Bits>>(52-uint(i+1)*5)) & 0x1f
		}
		out[i] = alphabet[idx]
	}
	return out
}

// GeoDistance is the haversine distance in meters between two points,
// computed as Redis 7.0 does, with correctly rounded sin, cos and asin
// (see crmath.go).
func GeoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	return haversine(lon1, lat1, lon2, lat2, crSin, crCos, crAsin)
}

// geoDistanceFast is GeoDistance with Go's math functions: within an ulp
// or two of it, good to tell far from near.
func geoDistanceFast(lon1, lat1, lon2, lat2 float64) float64 {
	return haversine(lon1, lat1, lon2, lat2, math.Sin, math.Cos, math.Asin)
}

func haversine(lon1, lat1, lon2, lat2 float64, sin, cos, asin func(float64) float64) float64 {
	lat1r := float64(lat1 * degToRad)
	lon1r := float64(lon1 * degToRad)
	lat2r := float64(lat2 * degToRad)
	lon2r := float64(lon2 * degToRad)
	u := sin(float64(lat2r-lat1r) / 2)
	v := sin(float64(lon2r-lon1r) / 2)
	a := float64(u*u) + float64(float64(float64(cos(lat1r)*cos(lat2r))*v)*v)
	return float64(2.0*earthRadius) * asin(math.Sqrt(a))
}

// nearly reports whether a and b are too close for geoDistanceFast to
// tell which is larger.
func nearly(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func moveX(h *GeoHash, d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

func moveY(h *GeoHash, d int) {
	x := h.Bits & 0xaaaaaaaaaaaaaaaa
	y := h.Bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.Step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.Step)*2)
	h.Bits = x | y
}

// neighbours are the 8 boxes around h, in the order Redis searches them
// after h itself: N, S, E, W, NE, NW, SE, SW.
func neighbours(h GeoHash) [8]GeoHash {
	var n [8]GeoHash
	moves := [8][2]int{{0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
	for i, m := range moves {
		n[i] = h
		if m[0] != 0 {
			moveX(&n[i], m[0])
		}
		if m[1] != 0 {
			moveY(&n[i], m[1])
		}
	}
	return n
}

// GeoShape is a search area: a circle of Radius, or a box of Width x
// Height, in the unit whose size in meters is Conversion, around (Lon, Lat).
type GeoShape struct {
	Lon, Lat      float64
	Box           bool
	Radius        float64
	Width, Height float64
	Conversion    float64
}

func stepsByRadius(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// bounds is the bounding box of the shape: min lon, min lat, max lon, max lat.
func (s *GeoShape) bounds() [4]float64 {
	var height, width float64
	if s.Box {
		height = float64(s.Conversion * float64(s.Height/2))
		width = float64(s.Conversion * float64(s.Width/2))
	} else {
		height = float64(s.Conversion * s.Radius)
		width = height
	}
	latDelta := float64(height/earthRadius) / degToRad
	top := float64(float64(width/earthRadius)/crCos(float64(float64(s.Lat+latDelta)*degToRad))) / degToRad
	bottom := float64(float64(width/earthRadius)/crCos(float64(float64(s.Lat-latDelta)*degToRad))) / degToRad
	var b [4]float64
	if s.Lat < 0 {
		b[0], b[2] = s.Lon-bottom, s.Lon+bottom
	} else {
		b[0], b[2] = s.Lon-top, s.Lon+top
	}
	b[1], b[3] = s.Lat-latDelta, s.Lat+latDelta
	return b
}

// areas are the (up to 9) geohash boxes to search, in Redis's order; zero
// ones are skipped.
func (s *GeoShape) areas() [9]GeoHash {
	b := s.bounds()
	minLon, minLat, maxLon, maxLat := b[0], b[1], b[2], b[3]
	var radius float64
	if s.Box {
		radius = math.Sqrt(float64(float64(s.Width/2)*float64(s.Width/2)) + float64(float64(s.Height/2)*float64(s.Height/2)))
	} else {
		radius = s.Radius
	}
	radius = float64(radius * s.Conversion)
	steps := stepsByRadius(radius, s.Lat)
	h, _ := geoEncode(wgsLon, wgsLat, s.Lon, s.Lat, steps)
	nb := neighbours(h)
	area := geoDecode(wgsLon, wgsLat, h)
	north := geoDecode(wgsLon, wgsLat, nb[0])
	south := geoDecode(wgsLon, wgsLat, nb[1])
	east := geoDecode(wgsLon, wgsLat, nb[2])
	west := geoDecode(wgsLon, wgsLat, nb[3])
	if (north.Lat.max < maxLat || south.Lat.min > minLat || east.Lon.max < maxLon || west.Lon.min > minLon) && steps > 1 {
		steps--
		h, _ = geoEncode(wgsLon, wgsLat, s.Lon, s.Lat, steps)
		nb = neighbours(h)
		area = geoDecode(wgsLon, wgsLat, h)
	}
	const n, so, e, w, ne, nw, se, sw = 0, 1, 2, 3, 4, 5, 6, 7
	if steps >= 2 {
		if area.Lat.min < minLat {
			nb[so], nb[sw], nb[se] = GeoHash{}, GeoHash{}, GeoHash{}
		}
		if area.Lat.max > maxLat {
			nb[n], nb[ne], nb[nw] = GeoHash{}, GeoHash{}, GeoHash{}
		}
		if area.Lon.min < minLon {
			nb[w], nb[sw], nb[nw] = GeoHash{}, GeoHash{}, GeoHash{}
		}
		if area.Lon.max > maxLon {
			nb[e], nb[se], nb[ne] = GeoHash{}, GeoHash{}, GeoHash{}
		}
	}
	var out [9]GeoHash
	out[0] = h
	copy(out[1:], nb[:])
	return out
}

// within reports whether the point of score is inside the shape and its
// distance (meters) from the center. The fast distance settles all but the
// points on the edge; the exact one is computed for those and for the
// points kept (it is reported).
func (s *GeoShape) within(score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = GeoDecode(score)
	outside := func(fast, limit float64, exact func() float64) bool {
		if nearly(fast, limit) {
			return exact() > limit
		}
		return fast > limit
	}
	if !s.Box {
		r := float64(s.Radius * s.Conversion)
		if outside(geoDistanceFast(s.Lon, s.Lat, lon, lat), r, func() float64 { return GeoDistance(s.Lon, s.Lat, lon, lat) }) {
			return lon, lat, 0, false
		}
		return lon, lat, GeoDistance(s.Lon, s.Lat, lon, lat), true
	}
	w := float64(s.Width * s.Conversion)
	h := float64(s.Height * s.Conversion)
	if outside(geoDistanceFast(lon, lat, s.Lon, lat), w/2, func() float64 { return GeoDistance(lon, lat, s.Lon, lat) }) ||
		outside(geoDistanceFast(lon, lat, lon, s.Lat), h/2, func() float64 { return GeoDistance(lon, lat, lon, s.Lat) }) {
		return lon, lat, 0, false
	}
	return lon, lat, GeoDistance(s.Lon, s.Lat, lon, lat), true
}

// GeoPoint is one search result.
type GeoPoint struct {
	Member   []byte
	Score    float64
	Lon, Lat float64
	Dist     float64 // meters
}

// GeoSearch returns the members of z inside the shape, in the order Redis
// finds them (box by box, ascending scores in each); with limit > 0 it
// stops once it has that many (ANY).
func (z *ZSet) GeoSearch(s *GeoShape, limit int) []GeoPoint {
	var out []GeoPoint
	areas := s.areas()
	last := 0 // as Redis: 0 also means "none yet", so a box equal to the center's is searched again
	for i, h := range areas {
		if h.zero() {
			continue
		}
		if last > 0 && h == areas[last] {
			continue
		}
		if len(out) > 0 && limit > 0 && len(out) >= limit {
			break
		}
		lo := float64(align52(h))
		h.Bits++
		hi := float64(align52(h))
		from := z.CountWhile(func(sc float64, m []byte) bool { return sc < lo })
		z.Walk(from, false, func(m []byte, sc float64) bool {
			if sc >= hi {
				return false
			}
			if lon, lat, d, ok := s.within(sc); ok {
				out = append(out, GeoPoint{append([]byte(nil), m...), sc, lon, lat, d})
				if limit > 0 && len(out) >= limit {
					return false
				}
			}
			return true
		})
		last = i
	}
	return out
}
