package object

// What DUMP and RESTORE need of a stream: its nodes as they are (the
// listpacks are Redis's byte for byte, so DUMP writes them unchanged and
// RESTORE takes them as they come), and a way to rebuild one from the
// nodes, counters and groups of a payload.

// EachNode calls fn with each node's master ID and listpack, in ID order,
// until fn returns false. lp is valid until the stream changes.
func (s *Stream) EachNode(fn func(master StreamID, lp []byte) bool) {
	s.nodes.each(func(n *streamNode) bool { return fn(n.id, n.lp) })
}

// AppendNode appends a copy of a node listpack as the node of master
// ID master. The caller has checked the node's layout (package rdb: the
// listpack is sound, its counts match its entries, its IDs ascend from
// master, its flags are 7-bit integers); AppendNode only refuses a node
// that does not read back or is not after the last one.
func (s *Stream) AppendNode(master StreamID, lp []byte) bool {
	if p, ok := s.nodes.last(); ok && !s.nodes.at(p).id.Less(master) {
		return false
	}
	if len(lp) < lpHdrSize+1 || lpBytes(lp) != len(lp) || lp[len(lp)-1] != lpEOF {
		return false
	}
	n := streamNode{id: master, lp: s.place(lp)}
	v, ok := viewNode(&n)
	if !ok || v.count < 0 {
		return false
	}
	s.nodes.insert(n)
	s.lpBytes += int64(cap(n.lp))
	s.length += uint64(v.count)
	s.firstID = s.firstValidID()
	s.live = true
	return true
}
