package server

import (
	"bytes"
	"math"
	"sort"

	"fastcache/cache"
	"fastcache/shard"
)

// SORT and SORT_RO over lists, sets and sorted sets, as Redis 7.0 does
// them: BY pattern (a '*' replaced by the element; "key->field" reads a
// hash field; a pattern without '*' means no sorting), LIMIT, GET patterns
// ('#' is the element), ASC/DESC, ALPHA, STORE.
//
// Redis refuses BY and GET patterns in cluster mode, since they read keys
// anywhere; fastcache is one node and honours them. A SORT that reads
// pattern keys or stores its result runs with every shard locked (as a
// MULTI/EXEC does), so it sees one moment of the keyspace and its STORE is
// one group in the log; a plain SORT reads only its key.

// sortable is a collection SORT reads: its elements in the order SORT ...
// BY nosort returns them: a list's order or a sorted set's by score (both
// reversed when desc), a set's iteration order (desc is ignored). Lists,
// sets and sorted sets implement it in package object; any other kind is
// WRONGTYPE. (A set sorted BY nosort with STORE is sorted ALPHA, as Redis
// does, so the stored result is deterministic.)
type sortable interface {
	SortElements(desc bool, fn func(v []byte))
}

func init() {
	args := "key:key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET pattern:pattern...] [order=(ASC|DESC)] [sorting=(ALPHA)]"
	register(
		&Command{Name: "sort", Arity: -2, Flags: flagWrite | flagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary:    "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
			Complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
			Args:       args + " [STORE destination:key]", Handler: cmdSort},
		&Command{Name: "sort_ro", Arity: -2, Flags: flagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "7.0.0",
			Summary:    "Returns the sorted elements of a list, a set, or a sorted set.",
			Complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
			Args:       args, Handler: cmdSort},
	)
}

type sortArgs struct {
	desc, alpha, dontsort bool
	by                    []byte // nil: by the elements
	gets                  [][]byte
	limitStart, limitCnt  int64
	store                 []byte
}

type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA BY: the pattern's value (nil: missing)
}

const errSortScores = "ERR One or more scores can't be converted into double"

func cmdSort(c *Client, args [][]byte) {
	ro := eqFold(args[0], "sort_ro")
	a := sortArgs{limitStart: 0, limitCnt: -1}
	fullAccess := -1 // BY and GET read keys by pattern: unknown, 0 no, 1 yes
	mayReadAll := func() bool {
		if fullAccess < 0 {
			fullAccess = 0
			if c.fullKeyRead(c.cur, args) {
				fullAccess = 1
			}
		}
		return fullAccess == 1
	}
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch {
		case eqFold(args[j], "asc"):
			a.desc = false
		case eqFold(args[j], "desc"):
			a.desc = true
		case eqFold(args[j], "alpha"):
			a.alpha = true
		case eqFold(args[j], "limit") && left >= 2:
			s, ok1 := cache.ParseInt(args[j+1])
			n, ok2 := cache.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				c.reply.Error(errNotInt)
				return
			}
			a.limitStart, a.limitCnt = s, n
			j += 2
		case eqFold(args[j], "store") && left >= 1 && !ro:
			a.store = args[j+1]
			j++
		case eqFold(args[j], "by") && left >= 1:
			a.by = args[j+1]
			if bytes.IndexByte(cstr(a.by), '*') < 0 {
				a.dontsort = true
			} else if c.srv.cluster != nil {
				// (the keys a pattern names may be in any slot)
				c.reply.Error("ERR BY option of SORT denied in Cluster mode.")
				return
			} else if !mayReadAll() {
				c.reply.Error("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return
			}
			j++
		case eqFold(args[j], "get") && left >= 1:
			if c.srv.cluster != nil {
				c.reply.Error("ERR GET option of SORT denied in Cluster mode.")
				return
			}
			if !mayReadAll() {
				c.reply.Error("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return
			}
			a.gets = append(a.gets, args[j+1])
			j++
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	needAll := a.store != nil || (!a.dontsort && a.by != nil)
	for _, g := range a.gets {
		if !isHashPattern(g) {
			needAll = true
		}
	}
	if c.ks.InTx() || !needAll {
		sortRun(c, c.ks, args[1], &a)
		return
	}
	c.srv.cache.Atomic(nil, func(ks cache.Keyspace) {
		sortRun(c, ks.WithDB(c.db), args[1], &a)
	})
}

// isHashPattern reports whether a GET pattern is "#" (the element itself).
func isHashPattern(p []byte) bool { return len(p) == 1 && p[0] == '#' }

// cstr is b up to its first NUL byte: Redis reads patterns with C string
// functions.
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func sortRun(c *Client, ks cache.Keyspace, key []byte, a *sortArgs) {
	var items []sortItem
	wrong := false
	ks.ViewAny(key, func(o shard.Object, kind shard.Kind, ok bool) {
		if !ok {
			return
		}
		src, isSortable := o.(sortable)
		if !isSortable {
			wrong = true
			return
		}
		if a.dontsort && kind == shard.KindSet && (a.store != nil || c.scriptRun != nil) {
			// a set's order is its table's: sort it so a stored result
			// is the same on replicas, and a script's the same on every
			// server (Redis)
			a.dontsort, a.alpha, a.by = false, true, nil
		}
		desc := a.desc && a.dontsort && kind != shard.KindSet
		src.SortElements(desc, func(v []byte) {
			items = append(items, sortItem{elem: append([]byte(nil), v...)})
		})
	})
	if wrong {
		c.reply.Err(cache.ErrWrongTypeOps)
		return
	}
	if !a.dontsort {
		convErr := false
		for i := range items {
			it := &items[i]
			byval, have := it.elem, true
			if a.by != nil {
				byval, have = sortLookup(ks, a.by, it.elem, nil)
			}
			if a.alpha {
				if a.by != nil && have {
					it.cmp = byval
				}
				continue
			}
			if have {
				f, ok := sortScore(byval)
				if !ok {
					convErr = true
				}
				it.score = f
			}
		}
		if convErr {
			c.reply.Error(errSortScores)
			return
		}
		sort.SliceStable(items, func(i, j int) bool { return sortLess(a, &items[i], &items[j]) })
	}
	n := int64(len(items))
	// As Redis: offset and count are first bounded by the length, so
	// LIMIT 2 9223372036854775807 does not overflow.
	start := min(max(a.limitStart, 0), n)
	end := n - 1
	if limitCnt := min(max(a.limitCnt, -1), n); limitCnt >= 0 {
		end = start + limitCnt - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}
	cnt := int(max(end-start+1, 0))
	if a.store != nil {
		var vals [][]byte
		for i := start; i <= end; i++ {
			if len(a.gets) == 0 {
				vals = append(vals, items[i].elem)
				continue
			}
			for _, g := range a.gets {
				v, _ := sortLookup(ks, g, items[i].elem, nil)
				if v == nil {
					v = []byte{}
				}
				vals = append(vals, v)
			}
		}
		ks.StoreList(a.store, vals)
		c.reply.Int(int64(len(vals)))
		return
	}
	if len(a.gets) == 0 {
		c.reply.Array(cnt)
	} else {
		c.reply.Array(cnt * len(a.gets))
	}
	for i := start; i <= end; i++ {
		if len(a.gets) == 0 {
			c.reply.Bulk(items[i].elem)
			continue
		}
		for _, g := range a.gets {
			if v, ok := sortLookup(ks, g, items[i].elem, c.buf[:0]); ok {
				c.reply.Bulk(v)
			} else {
				c.reply.Null()
			}
		}
	}
}

func sortLess(a *sortArgs, x, y *sortItem) bool {
	var cmp int
	switch {
	case !a.alpha:
		switch {
		case x.score > y.score:
			cmp = 1
		case x.score < y.score:
			cmp = -1
		default:
			cmp = bytes.Compare(x.elem, y.elem)
		}
	case a.by != nil:
		switch {
		case x.cmp == nil && y.cmp == nil:
			cmp = 0
		case x.cmp == nil:
			cmp = -1
		case y.cmp == nil:
			cmp = 1
		default:
			cmp = bytes.Compare(x.cmp, y.cmp)
		}
	default:
		cmp = bytes.Compare(x.elem, y.elem)
	}
	if a.desc {
		cmp = -cmp
	}
	return cmp < 0
}

// sortLookup is the value pattern names for elem (Redis's
// lookupKeyByPattern): "#" is elem; the first '*' is replaced by elem; a
// "->field" after it reads a hash field; a pattern without '*' names
// nothing.
func sortLookup(ks cache.Keyspace, pattern, elem, dst []byte) ([]byte, bool) {
	if isHashPattern(pattern) {
		return append(dst, elem...), true
	}
	p := cstr(pattern)
	star := bytes.IndexByte(p, '*')
	if star < 0 {
		return nil, false
	}
	var field []byte
	hasField := false
	key := p
	if f := bytes.Index(p[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(p) {
		f += star + 1
		field, hasField = p[f+2:], true
		key = p[:f]
	}
	k := make([]byte, 0, len(key)+len(elem))
	k = append(k, key[:star]...)
	k = append(k, elem...)
	k = append(k, key[star+1:]...)
	v, ok := ks.PatternValue(k, field, hasField, dst)
	if !ok {
		return nil, false
	}
	return v, true
}

// sortScore parses b as SORT reads a score (Redis: strtod, then nothing may
// follow, no ERANGE, no NaN); an empty string is 0.
func sortScore(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	v, n, erange := strtod(b)
	if n == 0 || n != len(b) || erange || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}
