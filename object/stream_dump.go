package object

// What DUMP and RESTORE need of a stream: its nodes as they are (the
// listpacks are Redis's byte for byte, so DUMP writes them unchanged), and
// a way to rebuild one from the nodes, counters and groups of a payload.

// EachNode calls fn with each node's master ID and listpack, in ID order,
// until fn returns false. lp is valid until the stream changes.
func (s *Stream) EachNode(fn func(master StreamID, lp []byte) bool) {
	s.nodes.each(func(n *streamNode) bool { return fn(n.id, n.lp) })
}

// AppendNode appends a node built from the elements of a node listpack
// (integers as decimal strings, re-encoded as Redis encodes them). The
// caller has checked the node's layout (package rdb); AppendNode only
// refuses a node that does not read back or is not after the last one.
func (s *Stream) AppendNode(master StreamID, elems [][]byte) bool {
	if p, ok := s.nodes.last(); ok && !s.nodes.at(p).id.Less(master) {
		return false
	}
	size := lpHdrSize + 1
	for _, e := range elems {
		size += lpElemSize(e)
	}
	lp := lpNew(size)
	lp = lp[:lpHdrSize]
	for _, e := range elems {
		lp = lpAppendStrElem(lp, e)
	}
	lp = append(lp, lpEOF)
	lpSetHeader(lp, len(elems))
	n := streamNode{id: master, lp: lp}
	v, ok := viewNode(&n)
	if !ok || v.count < 0 {
		return false
	}
	s.nodes.insert(n)
	s.lpBytes += int64(cap(lp))
	s.length += uint64(v.count)
	s.firstID = s.firstValidID()
	s.live = true
	return true
}
