package object

import (
	"strconv"
	"testing"
)

// Small collections (one list node, packed sorted sets), 1,000 of each,
// operations spread over them: the per-operation cost of their in-memory
// form (cmp. the memory rows of 100,000 lists and sorted sets of 10).
func BenchmarkSmallCollections(b *testing.B) {
	const keys = 1000
	members := make([][]byte, 10)
	for j := range members {
		members[j] = []byte("member" + strconv.Itoa(j))
	}
	val := []byte("e000000001")
	b.Run("list/RPUSH+LPOP", func(b *testing.B) {
		ls := smallLists(keys, val)
		var num [20]byte
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			l := ls[i%keys]
			l.PushTail(val)
			l.PopHead(&num)
		}
	})
	b.Run("list/LRANGE", func(b *testing.B) {
		ls := smallLists(keys, val)
		n := 0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			l := ls[i%keys]
			l.RangeEntries(0, l.Len()-1, func(s []byte, iv int64, isInt bool) bool { n += len(s); return true })
		}
	})
	b.Run("list/LINDEX", func(b *testing.B) {
		ls := smallLists(keys, val)
		var num [20]byte
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ls[i%keys].Index(int64(i%10), &num)
		}
	})
	zsets := func() []*ZSet {
		zs := make([]*ZSet, keys)
		for i := range zs {
			zs[i] = NewZSet(members[0])
			for j, m := range members {
				zs[i].Set(m, float64(j))
			}
		}
		return zs
	}
	b.Run("zset/ZADD", func(b *testing.B) {
		zs := zsets()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			zs[i%keys].Set(members[(i/keys)%10], float64(i%97))
		}
	})
	b.Run("zset/ZSCORE", func(b *testing.B) {
		zs := zsets()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			zs[i%keys].Score(members[(i/keys)%10])
		}
	})
	b.Run("zset/ZRANGE", func(b *testing.B) {
		zs := zsets()
		n := 0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			zs[i%keys].Walk(0, false, func(m []byte, s float64) bool { n += len(m); return true })
		}
	})
}

// smallLists is n lists of ten copies of val.
func smallLists(n int, val []byte) []*List {
	ls := make([]*List, n)
	for i := range ls {
		ls[i] = NewList()
		for j := 0; j < 10; j++ {
			ls[i].PushTail(val)
		}
	}
	return ls
}
