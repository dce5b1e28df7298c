package cache

import (
	"errors"

	"fastcache/internal/rdb"
	"fastcache/object"
)

// DUMP and RESTORE of streams: Redis 7.0's RDB_TYPE_STREAM_LISTPACKS_2.
// The nodes are written as they are (this server's node listpacks are
// Redis's byte for byte), so a stream laid out as Redis lays it out dumps
// as redis-server dumps it.

// ErrBadFormat is RESTORE's reply to a payload that decodes but does not
// make a value.
var ErrBadFormat = errors.New("ERR Bad data format")

func dumpStream(w *rdb.Writer, s *object.Stream) {
	w.Type(rdb.TypeStreamListpack2)
	w.Len(uint64(s.Nodes()))
	s.EachNode(func(master object.StreamID, lp []byte) bool {
		w.String(rdb.NodeKey(rdb.StreamID(master)))
		w.String(lp)
		return true
	})
	id := func(x object.StreamID) {
		w.Len(x.Ms)
		w.Len(x.Seq)
	}
	w.Len(s.Length())
	id(s.LastID())
	id(s.FirstID())
	id(s.MaxDeleted())
	w.Len(s.EntriesAdded())
	w.Len(uint64(len(s.Groups())))
	for _, g := range s.Groups() {
		w.String([]byte(g.Name))
		id(g.LastID)
		w.Len(uint64(g.EntriesRead))
		w.Len(uint64(g.PendingLen()))
		g.EachPending(object.StreamID{}, func(p *object.Pending) bool {
			w.RawID(rdb.StreamID(p.ID))
			w.Millis(p.Time)
			w.Len(uint64(p.Count))
			return true
		})
		w.Len(uint64(len(g.Consumers())))
		for _, c := range g.Consumers() {
			w.String([]byte(c.Name))
			w.Millis(c.Seen)
			w.Len(uint64(c.Pending()))
			c.EachPending(object.StreamID{}, func(id object.StreamID) bool {
				w.RawID(rdb.StreamID(id))
				return true
			})
		}
	}
}

// restoreStream builds the stream a decoded payload holds.
func restoreStream(v *rdb.Stream) (*object.Stream, error) {
	s := object.NewStream()
	for _, n := range v.Nodes {
		if !s.AppendNode(object.StreamID(n.Master), n.LP) {
			return nil, ErrBadFormat
		}
	}
	if s.Length() != v.Length {
		return nil, ErrBadFormat
	}
	s.SetID(object.StreamID(v.LastID), v.EntriesAdded, object.StreamID(v.MaxDeleted))
	for _, gv := range v.Groups {
		entriesRead := gv.EntriesRead
		if !gv.HasEntriesRead {
			entriesRead = s.EstimateEntriesRead(object.StreamID(gv.LastID))
		}
		g := s.CreateGroup(gv.Name, object.StreamID(gv.LastID), entriesRead)
		if g == nil {
			return nil, ErrBadFormat
		}
		cons := make([]*object.Consumer, len(gv.Consumers))
		for i, cv := range gv.Consumers {
			c, created := g.CreateConsumer(cv.Name, cv.Seen)
			if !created {
				return nil, ErrBadFormat
			}
			cons[i] = c
		}
		for _, p := range gv.PEL {
			g.Assign(cons[p.Consumer], object.StreamID(p.ID), p.Time, int64(p.Count))
		}
	}
	return s, nil
}
