package object

import "slices"

// cmpName compares a name with b as Redis's radix tree orders them
// (bytewise), without converting b.
func cmpName(a string, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// Consumer groups. A group has a last delivered ID, a logical read counter
// (entries-read, -1 when unknown), a pending entries list (PEL: entry ID ->
// consumer, last delivery time, delivery count) and consumers, each with
// its own PEL (the IDs it owns). Groups and consumers are listed in name
// order, PELs in ID order, as Redis's radix trees list them.

// InvalidEntriesRead marks an unknown entries-read counter.
const InvalidEntriesRead = -1

// Pending is an entry of a group's PEL.
type Pending struct {
	ID    StreamID
	Time  int64 // last delivery, unix ms
	Count int64 // deliveries
	cons  uint32
}

func (p Pending) key() StreamID { return p.ID }

func (id StreamID) key() StreamID { return id }

// Consumer is a consumer of a group.
type Consumer struct {
	Name string
	Seen int64 // last interaction, unix ms
	pel  idSeq[StreamID]
	num  uint32
}

// Pending is the number of entries the consumer owns.
func (c *Consumer) Pending() int { return c.pel.Len() }

// EachPending calls fn for the consumer's pending IDs from start, in order,
// until fn returns false.
func (c *Consumer) EachPending(start StreamID, fn func(id StreamID) bool) {
	for p := c.pel.seek(start); c.pel.at(p) != nil; p = c.pel.next(p) {
		if !fn(*c.pel.at(p)) {
			return
		}
	}
}

// Group is a consumer group.
type Group struct {
	Name        string
	LastID      StreamID
	EntriesRead int64
	pel         idSeq[Pending]
	consumers   []*Consumer // by name
	byNum       []*Consumer // by number (nil: free)
	consBytes   int64       // the consumers' memory, kept up to date (Bytes is O(groups))
}

const (
	pendingBytes  = 40 + 16 // in the group's PEL and the consumer's
	consumerBytes = 96
	groupBytes    = 160
)

func (g *Group) bytes() int64 {
	return int64(groupBytes+len(g.Name)) + int64(g.pel.Len())*pendingBytes + g.consBytes
}

func (g *Group) clone() *Group {
	c := &Group{Name: g.Name, LastID: g.LastID, EntriesRead: g.EntriesRead, pel: g.pel.clone(), consBytes: g.consBytes}
	c.byNum = make([]*Consumer, len(g.byNum))
	c.consumers = make([]*Consumer, len(g.consumers))
	for i, x := range g.consumers {
		y := &Consumer{Name: x.Name, Seen: x.Seen, pel: x.pel.clone(), num: x.num}
		c.consumers[i] = y
		c.byNum[y.num] = y
	}
	return c
}

// Groups is the stream's groups in name order (do not modify).
func (s *Stream) Groups() []*Group { return s.groups }

// Group is the group named name (nil if none).
func (s *Stream) Group(name []byte) *Group {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *Group, n []byte) int { return cmpName(g.Name, n) })
	if !ok {
		return nil
	}
	return s.groups[i]
}

// CreateGroup adds a group; nil if the name is taken.
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) *Group {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *Group, n []byte) int { return cmpName(g.Name, n) })
	if ok {
		return nil
	}
	g := &Group{Name: string(name), LastID: last, EntriesRead: entriesRead}
	s.groups = slices.Insert(s.groups, i, g)
	s.live = true
	return g
}

// DestroyGroup removes a group; false if there is none.
func (s *Stream) DestroyGroup(name []byte) bool {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *Group, n []byte) int { return cmpName(g.Name, n) })
	if !ok {
		return false
	}
	s.groups = slices.Delete(s.groups, i, i+1)
	return true
}

// Consumers is the group's consumers in name order (do not modify).
func (g *Group) Consumers() []*Consumer { return g.consumers }

// Consumer is the consumer named name (nil if none).
func (g *Group) Consumer(name []byte) *Consumer {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *Consumer, n []byte) int { return cmpName(c.Name, n) })
	if !ok {
		return nil
	}
	return g.consumers[i]
}

// CreateConsumer adds a consumer seen at now; false if it exists (it is
// returned either way).
func (g *Group) CreateConsumer(name []byte, now int64) (*Consumer, bool) {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *Consumer, n []byte) int { return cmpName(c.Name, n) })
	if ok {
		return g.consumers[i], false
	}
	c := &Consumer{Name: string(name), Seen: now}
	c.num = uint32(len(g.byNum))
	for j, x := range g.byNum {
		if x == nil {
			c.num = uint32(j)
			break
		}
	}
	if int(c.num) == len(g.byNum) {
		g.byNum = append(g.byNum, c)
	} else {
		g.byNum[c.num] = c
	}
	g.consumers = slices.Insert(g.consumers, i, c)
	g.consBytes += consumerBytes + int64(len(c.Name))
	return c, true
}

// DelConsumer removes a consumer and its pending entries; it returns how
// many it had (-1 if there is no such consumer).
func (g *Group) DelConsumer(name []byte) int {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *Consumer, n []byte) int { return cmpName(c.Name, n) })
	if !ok {
		return -1
	}
	c := g.consumers[i]
	n := c.pel.Len()
	c.pel.each(func(id *StreamID) bool { g.pel.remove(*id); return true })
	g.consumers = slices.Delete(g.consumers, i, i+1)
	g.consBytes -= consumerBytes + int64(len(c.Name))
	g.byNum[c.num] = nil
	for len(g.byNum) > 0 && g.byNum[len(g.byNum)-1] == nil {
		g.byNum = g.byNum[:len(g.byNum)-1]
	}
	return n
}

// PendingLen is the number of entries in the group's PEL.
func (g *Group) PendingLen() int { return g.pel.Len() }

// Owner is the consumer that owns a pending entry.
func (g *Group) Owner(p *Pending) *Consumer {
	if int(p.cons) < len(g.byNum) {
		return g.byNum[p.cons]
	}
	return nil
}

// FindPending is the PEL entry of id (nil if none); it may be changed in
// place (Time, Count) but not moved to another consumer (Assign).
func (g *Group) FindPending(id StreamID) *Pending { return g.pel.find(id) }

// EachPending calls fn for the PEL entries from start, in ID order, until
// fn returns false. fn must not change the PEL.
func (g *Group) EachPending(start StreamID, fn func(p *Pending) bool) {
	for p := g.pel.seek(start); g.pel.at(p) != nil; p = g.pel.next(p) {
		if !fn(g.pel.at(p)) {
			return
		}
	}
}

// FirstPending and LastPending are the PEL's edges (false if empty).
func (g *Group) FirstPending() (StreamID, bool) {
	if g.pel.Len() == 0 {
		return StreamID{}, false
	}
	return g.pel.at(g.pel.first()).ID, true
}

func (g *Group) LastPending() (StreamID, bool) {
	p, ok := g.pel.last()
	if !ok {
		return StreamID{}, false
	}
	return g.pel.at(p).ID, true
}

// Assign makes c the owner of pending entry id with the given delivery
// time and count, adding it to the PEL if missing.
func (g *Group) Assign(c *Consumer, id StreamID, time, count int64) {
	if p := g.pel.find(id); p != nil {
		if p.cons != c.num {
			if old := g.Owner(p); old != nil {
				old.pel.remove(id)
			}
			p.cons = c.num
			c.pel.insert(id)
		}
		p.Time, p.Count = time, count
		return
	}
	g.pel.insert(Pending{ID: id, Time: time, Count: count, cons: c.num})
	c.pel.insert(id)
}

// Ack removes id from the PEL; false if it was not pending.
func (g *Group) Ack(id StreamID) bool {
	p := g.pel.seek(id)
	v := g.pel.at(p)
	if v == nil || v.ID != id {
		return false
	}
	if c := g.Owner(v); c != nil {
		c.pel.remove(id)
	}
	g.pel.removeAt(p)
	return true
}
