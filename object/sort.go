package object

// SORT's view of the collections it sorts (server/sort.go's sortable): the
// elements in the order SORT ... BY nosort returns them. A list's is in
// list.go.

// SortElements calls fn with every member in the set's iteration order
// (desc does not change it; Redis sorts a set ALPHA when it stores the
// result of BY nosort).
func (s *Set) SortElements(desc bool, fn func(v []byte)) {
	s.Range(func(m []byte) bool { fn(m); return true })
}

// SortElements calls fn with every member by score, highest first when
// desc.
func (z *ZSet) SortElements(desc bool, fn func(v []byte)) {
	if desc {
		z.Walk(z.Len()-1, true, func(m []byte, _ float64) bool { fn(m); return true })
		return
	}
	z.Walk(0, false, func(m []byte, _ float64) bool { fn(m); return true })
}
