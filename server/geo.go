package server

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"fastcache/cache"
	"fastcache/object"
	"fastcache/pubsub"
	"fastcache/shard"
)

// Geo commands, on sorted sets as in Redis: a member's score is its 52-bit
// geohash (object/geohash.go). GEOADD is a ZADD of those scores; searches
// walk the score ranges of the geohash boxes covering the area.

func init() {
	const w, r, oom = flagWrite, flagReadOnly, flagDenyOOM
	g := func(name string, arity int, f flags, first, last int, since, summary, complexity, args string, fn func(*Client, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: f, FirstKey: first, LastKey: last, Step: 1, Group: "geo",
			Since: since, Summary: summary, Complexity: complexity, Args: args, Handler: fn}
	}
	const searchCx = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape"
	const radiusCx = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."
	const unit = "unit=(M|KM|FT|MI)"
	const opts = "[WITHCOORD] [WITHDIST] [WITHHASH] [count-block=(COUNT count:integer [ANY])] [order=(ASC|DESC)]"
	const from = "from=(FROMMEMBER member:string|FROMLONLAT longitude:double latitude:double)"
	const by = "by=(BYRADIUS radius:double " + unit + "|BYBOX width:double height:double " + unit + ")"
	const store = "[store=(STORE key:key|STOREDIST key:key)]"
	register(
		g("geoadd", -5, w|oom, 1, 1, "3.2.0", "Adds one or more members to a geospatial index. The key is created if it doesn't exist.", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", "key:key [condition=(NX|XX)] [CH] data=(longitude:double latitude:double member:string)...", cmdGeoAdd),
		g("geopos", -2, r, 1, 1, "3.2.0", "Returns the longitude and latitude of members from a geospatial index.", "O(N) where N is the number of members requested.", "key:key [member:string...]", cmdGeoPos),
		g("geodist", -4, r, 1, 1, "3.2.0", "Returns the distance between two members of a geospatial index.", "O(1)", "key:key member1:string member2:string ["+unit+"]", cmdGeoDist),
		g("geohash", -2, r, 1, 1, "3.2.0", "Returns members from a geospatial index as geohash strings.", "O(N) where N is the number of members requested.", "key:key [member:string...]", cmdGeoHash),
		g("georadius", -6, w|oom, 1, 1, "3.2.0", "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.", radiusCx, "key:key longitude:double latitude:double radius:double "+unit+" "+opts+" "+store, cmdGeoRadius),
		g("georadius_ro", -6, r, 1, 1, "3.2.10", "Returns members from a geospatial index that are within a distance from a coordinate.", radiusCx, "key:key longitude:double latitude:double radius:double "+unit+" "+opts, cmdGeoRadius),
		g("georadiusbymember", -5, w|oom, 1, 1, "3.2.0", "Queries a geospatial index for members within a distance from a member, optionally stores the result.", radiusCx, "key:key member:string radius:double "+unit+" "+opts+" "+store, cmdGeoRadiusByMember),
		g("georadiusbymember_ro", -5, r, 1, 1, "3.2.10", "Returns members from a geospatial index that are within a distance from a member.", radiusCx, "key:key member:string radius:double "+unit+" "+opts, cmdGeoRadiusByMember),
		g("geosearch", -7, r, 1, 1, "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle.", searchCx, "key:key "+from+" "+by+" [order=(ASC|DESC)] [count-block=(COUNT count:integer [ANY])] [WITHCOORD] [WITHDIST] [WITHHASH]", cmdGeoSearch),
		g("geosearchstore", -8, w|oom, 1, 2, "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.", searchCx, "destination:key source:key "+from+" "+by+" [order=(ASC|DESC)] [count-block=(COUNT count:integer [ANY])] [STOREDIST]", cmdGeoSearchStore),
	)
}

// parseLonLat reads a longitude and a latitude, replying with Redis's
// errors.
func parseLonLat(c *Client, lon, lat []byte) (float64, float64, bool) {
	x, ok := parseDouble(lon)
	if !ok {
		c.reply.Error(errNotFloat)
		return 0, 0, false
	}
	y, ok := parseDouble(lat)
	if !ok {
		c.reply.Error(errNotFloat)
		return 0, 0, false
	}
	if x < object.GeoLongMin || x > object.GeoLongMax || y < object.GeoLatMin || y > object.GeoLatMax {
		c.reply.Error("ERR invalid longitude,latitude pair " + cFloat(x) + "," + cFloat(y))
		return 0, 0, false
	}
	return x, y, true
}

// cFloat is C's "%f".
func cFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// parseUnit is the size in meters of a distance unit; 0 (after replying)
// if unknown.
func parseUnit(c *Client, u []byte) float64 {
	switch strings.ToLower(string(u)) {
	case "m":
		return 1
	case "km":
		return 1000
	case "ft":
		return 0.3048
	case "mi":
		return 1609.34
	}
	c.reply.Error("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0
}

func cmdGeoAdd(c *Client, args [][]byte) {
	var f zaddFlags
	i := 2
	for ; i < len(args); i++ {
		switch {
		case eqFold(args[i], "nx"):
			f.nx = true
		case eqFold(args[i], "xx"):
			f.xx = true
		case eqFold(args[i], "ch"):
			f.ch = true
		default:
			goto done
		}
	}
done:
	if (len(args)-i)%3 != 0 || (f.xx && f.nx) {
		c.reply.Error(errSyntax)
		return
	}
	pairs := make([][]byte, 0, (len(args)-i)/3*2)
	for ; i < len(args); i += 3 {
		lon, lat, ok := parseLonLat(c, args[i], args[i+1])
		if !ok {
			return
		}
		score := strconv.AppendUint(nil, uint64(object.GeoScore(lon, lat)), 10)
		pairs = append(pairs, score, args[i+2])
	}
	zadd(c, args[1], pairs, f)
}

// replyCoord writes a coordinate as Redis's addReplyHumanLongDouble:
// "%.17Lf" with trailing zeros cut, a double in RESP3.
func replyCoord(c *Client, v float64) {
	s := strconv.AppendFloat(nil, v, 'f', 17, 64)
	if i := len(s) - 1; slices.Contains(s, '.') {
		for i > 0 && s[i] == '0' {
			i--
		}
		if s[i] == '.' {
			i--
		}
		s = s[:i+1]
	}
	if c.reply.proto > 2 {
		c.reply.b = append(c.reply.b, ',')
		c.reply.b = append(c.reply.b, s...)
		c.reply.b = append(c.reply.b, '\r', '\n')
		return
	}
	c.reply.Bulk(s)
}

// replyDistance writes a distance as Redis does: "%.4f", a bulk string.
func replyDistance(c *Client, d float64) {
	c.reply.Bulk(strconv.AppendFloat(nil, d, 'f', 4, 64))
}

func cmdGeoPos(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		c.reply.Array(len(args) - 2)
		for _, m := range args[2:] {
			var s float64
			ok := false
			if z != nil {
				s, ok = z.Score(m)
			}
			if !ok {
				c.reply.NullArray()
				continue
			}
			lon, lat := object.GeoDecode(s)
			c.reply.Array(2)
			replyCoord(c, lon)
			replyCoord(c, lat)
		}
	})
	c.replyErr(err)
}

func cmdGeoDist(c *Client, args [][]byte) {
	conv := 1.0
	if len(args) == 5 {
		if conv = parseUnit(c, args[4]); conv == 0 {
			return
		}
	} else if len(args) > 5 {
		c.reply.Error(errSyntax)
		return
	}
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		if z == nil {
			c.reply.Null()
			return
		}
		s1, ok1 := z.Score(args[2])
		s2, ok2 := z.Score(args[3])
		if !ok1 || !ok2 {
			c.reply.Null()
			return
		}
		lon1, lat1 := object.GeoDecode(s1)
		lon2, lat2 := object.GeoDecode(s2)
		replyDistance(c, object.GeoDistance(lon1, lat1, lon2, lat2)/conv)
	})
	c.replyErr(err)
}

func cmdGeoHash(c *Client, args [][]byte) {
	err := c.ks.ReadLookup().View(args[1], shard.KindZSet, func(o shard.Object, now int64) {
		z := asZSet(o)
		c.reply.Array(len(args) - 2)
		for _, m := range args[2:] {
			if z != nil {
				if s, ok := z.Score(m); ok {
					c.reply.Bulk(object.GeoHashString(s))
					continue
				}
			}
			c.reply.Null()
		}
	})
	c.replyErr(err)
}

// geo search flavours
const (
	geoRadiusCoords = 1 << iota // GEORADIUS[_RO]
	geoRadiusMember             // GEORADIUSBYMEMBER[_RO]
	geoSearch                   // GEOSEARCH
	geoSearchStore              // GEOSEARCHSTORE (with geoSearch)
	geoNoStore                  // the _RO forms
)

func cmdGeoRadius(c *Client, args [][]byte) {
	fl := geoRadiusCoords
	if eqFold(args[0], "georadius_ro") {
		fl |= geoNoStore
	}
	geoSearchCmd(c, args, 1, fl)
}

func cmdGeoRadiusByMember(c *Client, args [][]byte) {
	fl := geoRadiusMember
	if eqFold(args[0], "georadiusbymember_ro") {
		fl |= geoNoStore
	}
	geoSearchCmd(c, args, 1, fl)
}

func cmdGeoSearch(c *Client, args [][]byte)      { geoSearchCmd(c, args, 1, geoSearch) }
func cmdGeoSearchStore(c *Client, args [][]byte) { geoSearchCmd(c, args, 2, geoSearch|geoSearchStore) }

// geoSearchCmd runs every search command the way Redis's georadiusGeneric
// does: the source is looked up first (WRONGTYPE), then the arguments are
// read in order, each failing with its own error.
func geoSearchCmd(c *Client, args [][]byte, src int, fl int) {
	// A STORE destination can follow any option: GEORADIUS and
	// GEORADIUSBYMEMBER lock every argument that may name it.
	keys := [][]byte{args[src]}
	write := false
	switch {
	case fl&geoSearchStore != 0:
		keys, write = append(keys, args[1]), true
	case fl&(geoSearch|geoNoStore) == 0 && len(args) > 5:
		keys, write = append(keys, args[5:]...), true
	}
	c.ks.ReadLookup().Group(keys, write, func(g *cache.KeyGroup) {
		o, err := g.Get(args[src], shard.KindZSet)
		if c.replyErr(err) {
			return
		}
		geoSearchIn(c, g, args, asZSet(o), fl)
	})
}

func geoSearchIn(c *Client, g *cache.KeyGroup, args [][]byte, z *object.ZSet, fl int) {
	var shape object.GeoShape
	var storeKey []byte
	storeDist := false
	base := 0
	switch {
	case fl&geoRadiusCoords != 0:
		base = 6
		lon, lat, ok := parseLonLat(c, args[2], args[3])
		if !ok {
			return
		}
		shape.Lon, shape.Lat = lon, lat
		if !parseRadius(c, args[4:6], &shape) {
			return
		}
	case fl&geoRadiusMember != 0:
		base = 5
		if z != nil {
			if !memberPos(c, z, args[2], &shape) || !parseRadius(c, args[3:5], &shape) {
				return
			}
		}
	default:
		base = 2
		if fl&geoSearchStore != 0 {
			base = 3
			storeKey = args[1]
		}
	}
	var withDist, withHash, withCoord, fromMember, fromLoc, byRadius, byBox, any bool
	sort := 0 // 1 asc, -1 desc
	count := int64(0)
	search := fl&geoSearch != 0
	rem := len(args) - base
	for i := 0; i < rem; i++ {
		a := args[base+i]
		switch {
		case eqFold(a, "withdist"):
			withDist = true
		case eqFold(a, "withhash"):
			withHash = true
		case eqFold(a, "withcoord"):
			withCoord = true
		case eqFold(a, "any"):
			any = true
		case eqFold(a, "asc"):
			sort = 1
		case eqFold(a, "desc"):
			sort = -1
		case eqFold(a, "count") && i+1 < rem:
			n, ok := cache.ParseInt(args[base+i+1])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			if n <= 0 {
				c.reply.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case (eqFold(a, "store") || eqFold(a, "storedist")) && i+1 < rem && fl&(geoNoStore|geoSearch) == 0:
			storeKey = args[base+i+1]
			storeDist = eqFold(a, "storedist")
			i++
		case eqFold(a, "storedist") && fl&geoSearchStore != 0:
			storeDist = true
		case eqFold(a, "frommember") && i+1 < rem && search && !fromLoc:
			if z != nil && !memberPos(c, z, args[base+i+1], &shape) {
				return
			}
			fromMember = true
			i++
		case eqFold(a, "fromlonlat") && i+2 < rem && search && !fromMember:
			lon, lat, ok := parseLonLat(c, args[base+i+1], args[base+i+2])
			if !ok {
				return
			}
			shape.Lon, shape.Lat = lon, lat
			fromLoc = true
			i += 2
		case eqFold(a, "byradius") && i+2 < rem && search && !byBox:
			if !parseRadius(c, args[base+i+1:base+i+3], &shape) {
				return
			}
			byRadius = true
			i += 2
		case eqFold(a, "bybox") && i+3 < rem && search && !byRadius:
			w, ok := parseDouble(args[base+i+1])
			if !ok {
				c.reply.Error("ERR need numeric width")
				return
			}
			h, ok := parseDouble(args[base+i+2])
			if !ok {
				c.reply.Error("ERR need numeric height")
				return
			}
			if h < 0 || w < 0 {
				c.reply.Error("ERR height or width cannot be negative")
				return
			}
			conv := parseUnit(c, args[base+i+3])
			if conv == 0 {
				return
			}
			shape.Box, shape.Width, shape.Height, shape.Conversion = true, w, h, conv
			byBox = true
			i += 3
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	switch {
	case storeKey != nil && (withDist || withHash || withCoord):
		what := "STORE option in GEORADIUS"
		if fl&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.reply.Error("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	case search && !fromMember && !fromLoc:
		c.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		return
	case search && !byRadius && !byBox:
		c.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		return
	case any && count == 0:
		c.reply.Error("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if storeKey != nil {
			g.Store(storeKey, object.NewZSet(nil), pubsub.ZSet, "") // deletes it: "del"
			c.reply.Int(0)
		} else {
			c.reply.Array(0)
		}
		return
	}
	if count != 0 && sort == 0 && !any {
		sort = 1
	}
	limit := 0
	if any {
		limit = int(min(count, math.MaxInt32))
	}
	pts := z.GeoSearch(&shape, limit)
	if sort != 0 {
		slices.SortStableFunc(pts, func(a, b object.GeoPoint) int {
			switch {
			case a.Dist > b.Dist:
				return sort
			case a.Dist < b.Dist:
				return -sort
			}
			return 0
		})
	}
	if count > 0 && int64(len(pts)) > count {
		pts = pts[:count]
	}
	if storeKey != nil {
		es := make([]object.Entry, len(pts))
		for i, p := range pts {
			s := p.Score
			if storeDist {
				s = p.Dist / shape.Conversion
			}
			es[i] = object.Entry{Member: p.Member, Score: s}
		}
		sortEntries(es)
		event := "georadiusstore"
		if fl&geoSearchStore != 0 {
			event = "geosearchstore"
		}
		g.Store(storeKey, builtWhole(es), pubsub.ZSet, event)
		c.reply.Int(int64(len(es)))
		return
	}
	opts := 0
	for _, b := range []bool{withDist, withHash, withCoord} {
		if b {
			opts++
		}
	}
	c.reply.Array(len(pts))
	for _, p := range pts {
		if opts > 0 {
			c.reply.Array(opts + 1)
		}
		c.reply.Bulk(p.Member)
		if withDist {
			replyDistance(c, p.Dist/shape.Conversion)
		}
		if withHash {
			c.reply.Int(int64(p.Score))
		}
		if withCoord {
			c.reply.Array(2)
			replyCoord(c, p.Lon)
			replyCoord(c, p.Lat)
		}
	}
}

// memberPos sets the shape's center to member's position, or replies with
// Redis's error.
func memberPos(c *Client, z *object.ZSet, m []byte, shape *object.GeoShape) bool {
	s, ok := z.Score(m)
	if !ok {
		c.reply.Error("ERR could not decode requested zset member")
		return false
	}
	shape.Lon, shape.Lat = object.GeoDecode(s)
	return true
}

// parseRadius reads "radius unit" into the shape.
func parseRadius(c *Client, a [][]byte, shape *object.GeoShape) bool {
	r, ok := parseDouble(a[0])
	if !ok {
		c.reply.Error("ERR need numeric radius")
		return false
	}
	if r < 0 {
		c.reply.Error("ERR radius cannot be negative")
		return false
	}
	conv := parseUnit(c, a[1])
	if conv == 0 {
		return false
	}
	shape.Radius, shape.Conversion, shape.Box = r, conv, false
	return true
}
