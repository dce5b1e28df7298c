package object

import "slices"

// StreamID is a stream entry ID: milliseconds and a sequence number.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest ID ("+").
var MaxStreamID = StreamID{1<<64 - 1, 1<<64 - 1}

// Cmp is -1, 0 or 1 as id is before, equal to or after o.
func (id StreamID) Cmp(o StreamID) int {
	switch {
	case id.Ms < o.Ms:
		return -1
	case id.Ms > o.Ms:
		return 1
	case id.Seq < o.Seq:
		return -1
	case id.Seq > o.Seq:
		return 1
	}
	return 0
}

// Less reports id < o.
func (id StreamID) Less(o StreamID) bool { return id.Cmp(o) < 0 }

// IsZero reports id == 0-0.
func (id StreamID) IsZero() bool { return id.Ms == 0 && id.Seq == 0 }

// Incr is the next ID; false after the maximum.
func (id StreamID) Incr() (StreamID, bool) {
	if id.Seq == 1<<64-1 {
		if id.Ms == 1<<64-1 {
			return id, false
		}
		return StreamID{id.Ms + 1, 0}, true
	}
	return StreamID{id.Ms, id.Seq + 1}, true
}

// Decr is the previous ID; false before 0-0.
func (id StreamID) Decr() (StreamID, bool) {
	if id.Seq == 0 {
		if id.Ms == 0 {
			return id, false
		}
		return StreamID{id.Ms - 1, 1<<64 - 1}, true
	}
	return StreamID{id.Ms, id.Seq - 1}, true
}

// idSeq is a sequence of values kept sorted by their ID, in chunks of at
// most idChunk values (a two-level B-tree: inserting or removing moves at
// most a chunk, and appending in order, the common case, fills chunks
// completely). Stream nodes, and the pending entries lists of consumer
// groups and consumers, are idSeqs. Values hold no pointers where possible
// (a PEL entry names its consumer by number), so the garbage collector
// skips their chunks.
type idSeq[T interface{ key() StreamID }] struct {
	chunks [][]T
	n      int
}

const idChunk = 128

// pos is a position in an idSeq: chunk and index within it.
type pos struct{ c, i int }

func (s *idSeq[T]) Len() int { return s.n }

// seek is the position of the first value whose ID is >= id (end if none).
func (s *idSeq[T]) seek(id StreamID) pos {
	c, _ := slices.BinarySearchFunc(s.chunks, id, func(ch []T, id StreamID) int {
		return ch[len(ch)-1].key().Cmp(id)
	})
	if c == len(s.chunks) {
		return pos{c, 0}
	}
	ch := s.chunks[c]
	i, _ := slices.BinarySearchFunc(ch, id, func(v T, id StreamID) int { return v.key().Cmp(id) })
	return pos{c, i}
}

// seekLE is the position of the last value whose ID is <= id (ok false if none).
func (s *idSeq[T]) seekLE(id StreamID) (pos, bool) {
	p := s.seek(id)
	if v := s.at(p); v != nil && (*v).key() == id {
		return p, true
	}
	return s.prev(p)
}

// find is the value with ID id (nil if none).
func (s *idSeq[T]) find(id StreamID) *T {
	p := s.seek(id)
	if v := s.at(p); v != nil && (*v).key() == id {
		return v
	}
	return nil
}

// at is the value at p (nil at the end).
func (s *idSeq[T]) at(p pos) *T {
	if p.c >= len(s.chunks) || p.c < 0 {
		return nil
	}
	return &s.chunks[p.c][p.i]
}

func (s *idSeq[T]) first() pos { return pos{0, 0} }

// last is the position of the last value (ok false if empty).
func (s *idSeq[T]) last() (pos, bool) {
	if len(s.chunks) == 0 {
		return pos{}, false
	}
	c := len(s.chunks) - 1
	return pos{c, len(s.chunks[c]) - 1}, true
}

// next is the position after p (the end is pos{len(chunks), 0}).
func (s *idSeq[T]) next(p pos) pos {
	p.i++
	if p.i >= len(s.chunks[p.c]) {
		return pos{p.c + 1, 0}
	}
	return p
}

// prev is the position before p; false if p is the first.
func (s *idSeq[T]) prev(p pos) (pos, bool) {
	if p.i > 0 {
		return pos{p.c, p.i - 1}, true
	}
	if p.c == 0 {
		return pos{}, false
	}
	c := min(p.c-1, len(s.chunks)-1)
	return pos{c, len(s.chunks[c]) - 1}, true
}

// insert adds v in ID order (the caller ensures its ID is not present)
// and returns its position.
func (s *idSeq[T]) insert(v T) pos {
	s.n++
	k := v.key()
	nc := len(s.chunks)
	if nc == 0 {
		s.chunks = append(s.chunks, make([]T, 0, 4))
		s.chunks[0] = append(s.chunks[0], v)
		return pos{0, 0}
	}
	last := s.chunks[nc-1]
	if last[len(last)-1].key().Less(k) { // append: the common case
		if len(last) < idChunk {
			s.chunks[nc-1] = append(last, v)
			return pos{nc - 1, len(last)}
		}
		ch := make([]T, 1, idChunk)
		ch[0] = v
		s.chunks = append(s.chunks, ch)
		return pos{nc, 0}
	}
	p := s.seek(k)
	if p.c == nc {
		p = pos{nc - 1, len(last)}
	}
	ch := s.chunks[p.c]
	if len(ch) >= idChunk { // split in halves
		half := len(ch) / 2
		right := make([]T, len(ch)-half, idChunk)
		copy(right, ch[half:])
		left := ch[:half:half]
		left = append(make([]T, 0, idChunk), left...)
		s.chunks = slices.Insert(s.chunks, p.c+1, right)
		s.chunks[p.c] = left
		if p.i > half {
			p = pos{p.c + 1, p.i - half}
		}
		ch = s.chunks[p.c]
	}
	s.chunks[p.c] = slices.Insert(ch, p.i, v)
	return p
}

// removeAt removes the value at p and returns the position of the value
// that followed it.
func (s *idSeq[T]) removeAt(p pos) pos {
	s.n--
	ch := s.chunks[p.c]
	if len(ch) == 1 {
		clear(ch[:1])
		s.chunks = slices.Delete(s.chunks, p.c, p.c+1)
		return pos{p.c, 0}
	}
	ch = slices.Delete(ch, p.i, p.i+1)
	if cap(ch) > 16 && len(ch) < cap(ch)/4 {
		ch = slices.Clone(ch)
	}
	s.chunks[p.c] = ch
	if p.i >= len(ch) {
		return pos{p.c + 1, 0}
	}
	return p
}

// remove removes the value with ID id; false if absent.
func (s *idSeq[T]) remove(id StreamID) bool {
	p := s.seek(id)
	if v := s.at(p); v != nil && (*v).key() == id {
		s.removeAt(p)
		return true
	}
	return false
}

// each calls fn for every value in order until it returns false.
func (s *idSeq[T]) each(fn func(v *T) bool) {
	for _, ch := range s.chunks {
		for i := range ch {
			if !fn(&ch[i]) {
				return
			}
		}
	}
}

// clone is an independent copy (values copied as they are).
func (s *idSeq[T]) clone() idSeq[T] {
	c := idSeq[T]{n: s.n, chunks: make([][]T, len(s.chunks))}
	for i, ch := range s.chunks {
		c.chunks[i] = append(make([]T, 0, max(len(ch), 4)), ch...)
	}
	return c
}

// chunkBytes is the memory of the chunk arrays for values of size sz.
func (s *idSeq[T]) memBytes(sz int) int64 {
	var n int64
	for _, ch := range s.chunks {
		n += int64(cap(ch)*sz) + 24
	}
	return n
}
