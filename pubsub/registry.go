// Package pubsub owns publish/subscribe: the registry of channel, pattern
// (Redis glob rules, internal/glob) and shard-channel subscriptions, the
// encoding of the messages a subscriber receives (RESP2 arrays or RESP3
// push frames), and the bounded outbox a message waits in until the
// subscriber's network layer writes it (outbox.go). A publisher never waits
// for a subscriber: delivering is appending to each subscriber's outbox.
//
// Nothing here is logged: delivery is at most once, as in Redis.
package pubsub

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"fastcache/internal/glob"
)

// Kind is the kind of a subscription.
type Kind uint8

const (
	Channel Kind = iota // SUBSCRIBE / PUBLISH
	Pattern             // PSUBSCRIBE
	Shard               // SSUBSCRIBE / SPUBLISH
)

// Subscriber receives messages. Deliver is called by the publisher's
// goroutine, possibly concurrently for different channels; it must not
// block and must copy what it keeps of m (m is reused after the call).
type Subscriber interface {
	Deliver(m *Message)
}

// Message is one delivery: kind Channel ("message"), Pattern ("pmessage",
// with the pattern that matched) or Shard ("smessage").
type Message struct {
	Kind             Kind
	Pattern          []byte
	Channel, Payload []byte
	frames           [2][]byte // encoded once per protocol, on first use
	valid            [2]bool
}

// msgPool recycles messages and their frame buffers: a publish allocates
// nothing in the steady state (subscribers copy the frame).
var msgPool = sync.Pool{New: func() any { return new(Message) }}

func getMessage(k Kind, pattern, channel, payload []byte) *Message {
	m := msgPool.Get().(*Message)
	m.Kind, m.Pattern, m.Channel, m.Payload = k, pattern, channel, payload
	m.valid = [2]bool{}
	return m
}

func putMessage(m *Message) {
	m.Pattern, m.Channel, m.Payload = nil, nil, nil
	for i := range m.frames {
		if cap(m.frames[i]) > 16<<10 {
			m.frames[i] = nil
		}
	}
	msgPool.Put(m)
}

// Frame is the message encoded for a subscriber speaking RESP3 (a push
// frame) or RESP2 (an array). The result is shared: do not modify it.
func (m *Message) Frame(resp3 bool) []byte {
	i := 0
	if resp3 {
		i = 1
	}
	if !m.valid[i] {
		head := byte('*')
		if resp3 {
			head = '>'
		}
		b := m.frames[i][:0]
		switch m.Kind {
		case Pattern:
			b = AppendHeader(b, head, 4)
			b = AppendBulk(b, []byte("pmessage"))
			b = AppendBulk(b, m.Pattern)
		case Shard:
			b = AppendHeader(b, head, 3)
			b = AppendBulk(b, []byte("smessage"))
		default:
			b = AppendHeader(b, head, 3)
			b = AppendBulk(b, []byte("message"))
		}
		b = AppendBulk(b, m.Channel)
		b = AppendBulk(b, m.Payload)
		m.frames[i], m.valid[i] = b, true
	}
	return m.frames[i]
}

// AppendHeader appends an aggregate header ('*' array, '>' push) of n elements.
func AppendHeader(b []byte, head byte, n int) []byte {
	b = append(b, head)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendBulk appends a bulk string.
func AppendBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// AppendCommand appends a command: an array of bulk strings.
func AppendCommand(b []byte, args [][]byte) []byte {
	b = AppendHeader(b, '*', len(args))
	for _, a := range args {
		b = AppendBulk(b, a)
	}
	return b
}

// group is the subscribers of one channel or pattern.
type group struct {
	name []byte
	subs []Subscriber
	idx  map[Subscriber]int // position in subs
}

func newGroup(name []byte) *group {
	return &group{name: append([]byte(nil), name...), idx: map[Subscriber]int{}}
}

func (g *group) add(s Subscriber) bool {
	if _, ok := g.idx[s]; ok {
		return false
	}
	g.idx[s] = len(g.subs)
	g.subs = append(g.subs, s)
	return true
}

func (g *group) remove(s Subscriber) bool {
	i, ok := g.idx[s]
	if !ok {
		return false
	}
	last := len(g.subs) - 1
	if i != last {
		g.subs[i] = g.subs[last]
		g.idx[g.subs[i]] = i
	}
	g.subs[last] = nil
	g.subs = g.subs[:last]
	delete(g.idx, s)
	return true
}

// Registry holds every subscription of the server.
type Registry struct {
	mu       sync.RWMutex
	channels map[string]*group
	shards   map[string]*group
	patterns map[string]*group
	patList  []*group // the patterns, for matching on each PUBLISH

	// counts of channels and patterns with subscribers, readable without
	// the lock (INFO, and keyspace events skip publishing when both are 0)
	nChannels, nPatterns, nShards atomic.Int64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{channels: map[string]*group{}, shards: map[string]*group{}, patterns: map[string]*group{}}
}

func (r *Registry) table(k Kind) (map[string]*group, *atomic.Int64) {
	switch k {
	case Pattern:
		return r.patterns, &r.nPatterns
	case Shard:
		return r.shards, &r.nShards
	}
	return r.channels, &r.nChannels
}

// Subscribe adds s to name; false if s was subscribed already.
func (r *Registry) Subscribe(k Kind, name []byte, s Subscriber) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, n := r.table(k)
	g := m[string(name)]
	if g == nil {
		g = newGroup(name)
		m[string(g.name)] = g
		n.Add(1)
		if k == Pattern {
			r.patList = append(r.patList, g)
		}
	}
	return g.add(s)
}

// Unsubscribe removes s from name; false if it was not subscribed.
func (r *Registry) Unsubscribe(k Kind, name []byte, s Subscriber) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, n := r.table(k)
	g := m[string(name)]
	if g == nil || !g.remove(s) {
		return false
	}
	if len(g.subs) == 0 {
		delete(m, string(name))
		n.Add(-1)
		if k == Pattern {
			for i, p := range r.patList {
				if p == g {
					last := len(r.patList) - 1
					r.patList[i] = r.patList[last]
					r.patList[last] = nil
					r.patList = r.patList[:last]
					break
				}
			}
		}
	}
	return true
}

// Publish delivers payload to the subscribers of channel and of every
// matching pattern, and returns how many deliveries were made (a client
// subscribed to the channel and to a matching pattern counts twice, as in
// Redis).
func (r *Registry) Publish(channel, payload []byte) int {
	if r.nChannels.Load() == 0 && r.nPatterns.Load() == 0 {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	if g := r.channels[string(channel)]; g != nil {
		m := getMessage(Channel, nil, channel, payload)
		for _, s := range g.subs {
			s.Deliver(m)
		}
		putMessage(m)
		n += len(g.subs)
	}
	for _, g := range r.patList {
		if !glob.Match(g.name, channel, false) {
			continue
		}
		m := getMessage(Pattern, g.name, channel, payload)
		for _, s := range g.subs {
			s.Deliver(m)
		}
		putMessage(m)
		n += len(g.subs)
	}
	return n
}

// SPublish delivers payload to the subscribers of shard channel channel.
func (r *Registry) SPublish(channel, payload []byte) int {
	if r.nShards.Load() == 0 {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	g := r.shards[string(channel)]
	if g == nil {
		return 0
	}
	m := getMessage(Shard, nil, channel, payload)
	for _, s := range g.subs {
		s.Deliver(m)
	}
	putMessage(m)
	return len(g.subs)
}

// Active reports whether anything is subscribed to a channel or a pattern
// (a cheap check before building keyspace event channel names).
func (r *Registry) Active() bool { return r.nChannels.Load() != 0 || r.nPatterns.Load() != 0 }

// Names lists the channels (Channel or Shard) with at least one subscriber
// that match pattern (nil: all), sorted.
func (r *Registry) Names(k Kind, pattern []byte) [][]byte {
	r.mu.RLock()
	m, _ := r.table(k)
	var out [][]byte
	for _, g := range m {
		if pattern == nil || glob.Match(pattern, g.name, false) {
			out = append(out, g.name)
		}
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return string(out[i]) < string(out[j]) })
	return out
}

// NumSub is the number of subscribers of a channel (Channel or Shard).
func (r *Registry) NumSub(k Kind, name []byte) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m, _ := r.table(k)
	if g := m[string(name)]; g != nil {
		return len(g.subs)
	}
	return 0
}

// Count is the number of channels (or patterns, or shard channels) with
// at least one subscriber.
func (r *Registry) Count(k Kind) int {
	_, n := r.table(k)
	return int(n.Load())
}
