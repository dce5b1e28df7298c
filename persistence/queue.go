package persistence

import (
	"sync"
	"sync/atomic"
)

// Queue is one shard's bounded WAL queue. Records are encoded straight into
// its buffer under its own mutex (called with the shard's lock held, so the
// buffer holds the shard's records in apply order); the writer goroutine
// drains it. The LSN is assigned under the same mutex, which is what makes
// the writer's durable watermark sound (see WAL.round).
//
// Every operation is O(1) amortized however many transaction marks wait in
// the queue: marks hold absolute stream positions, so taking one moves no
// other mark (a queue with 100k pending MSETs used to cost the writer a
// shift of all of them per take, and the writer fell behind for good).
type Queue struct {
	w        *WAL
	mu       sync.Mutex
	buf      []byte // buf[head:] is not taken yet
	head     int
	base     int64  // stream position of buf[0]
	added    int64  // records ever appended to buf
	taken    int64  // records ever taken from buf
	min, max uint64 // LSN range of the records in buf after the last mark
	marks    []mark // marks[mhead:] are pending
	mhead    int
	pend     int64 // this queue's share of the bytes of pending transactions
	lastLSN  uint64
	offLSN   atomic.Uint64 // with the log off: the LSN of the last record numbered (Record takes no lock then)
	bytes    atomic.Int64  // size(): for WaitRoom and stats
	recs     atomic.Int64
	room     *sync.Cond
}

// mark is where a multi-shard transaction sits in this queue: records before
// it must be written before the transaction, records after it after.
type mark struct {
	pos      int64 // stream position (base-relative offsets change on compaction)
	at       int64 // value of added when the mark was placed
	min, max uint64
	share    int64 // bytes of t counted against this queue's bound
	t        *Txn
}

func newQueue(w *WAL) *Queue {
	q := &Queue{w: w}
	q.room = sync.NewCond(&q.mu)
	return q
}

// size is what the queue holds against its bound: untaken records plus its
// share of pending transactions. Called with q.mu held.
func (q *Queue) size() int64 { return int64(len(q.buf)-q.head) + q.pend }

// empty reports whether the writer has nothing to take. Called with q.mu held.
func (q *Queue) empty() bool { return q.head == len(q.buf) && q.mhead == len(q.marks) }

// Record implements Recorder: it assigns the record's LSN and queues it.
func (q *Queue) Record(op Op, db int, key, value []byte, num int64) {
	if q.w.disabled {
		// the log is off: the record only takes its number (the shard's
		// snapshot cut, WAIT's offset); the shard lock orders the calls
		q.offLSN.Store(q.w.lsn.Add(1))
		return
	}
	q.mu.Lock()
	lsn := q.w.lsn.Add(1)
	q.lastLSN = lsn
	wasEmpty := q.empty()
	q.buf = appendRecord(q.buf, op, lsn, db, key, value, num)
	if q.min == 0 {
		q.min = lsn
	}
	q.max = lsn
	q.added++
	q.bytes.Store(q.size())
	q.recs.Add(1)
	q.mu.Unlock()
	if wasEmpty {
		q.w.wakeWriter()
	}
}

// LastLSN is the LSN of the last record queued by this shard; read under the
// shard lock it is the shard's snapshot cut.
func (q *Queue) LastLSN() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return max(q.lastLSN, q.offLSN.Load())
}

// WaitRoom blocks while the queue holds more than its bound (backpressure:
// writers wait, nothing is dropped). Call it without the shard lock.
func (q *Queue) WaitRoom() {
	if q.w.disabled || q.bytes.Load() < int64(q.w.o.QueueBytes) {
		return
	}
	q.mu.Lock()
	for q.size() >= int64(q.w.o.QueueBytes) && !q.w.closed.Load() {
		q.w.waits.Add(1)
		q.w.signal()
		q.room.Wait()
	}
	q.mu.Unlock()
}

// take moves the queue's content up to its first mark into dst. It returns
// the transaction whose mark was reached (and removed), if any.
func (q *Queue) take(dst []byte) (out []byte, recs int, min, max uint64, t *Txn) {
	q.mu.Lock()
	defer q.mu.Unlock()
	end, at, mn, mx := len(q.buf), q.added, q.min, q.max
	if q.mhead < len(q.marks) {
		m := &q.marks[q.mhead]
		end, at, mn, mx, t = int(m.pos-q.base), m.at, m.min, m.max, m.t
		q.pend -= m.share
		*m = mark{}
		q.mhead++
	} else {
		q.min, q.max = 0, 0
	}
	out = append(dst, q.buf[q.head:end]...)
	q.head = end
	cnt := int(at - q.taken)
	q.taken = at
	q.compact()
	q.bytes.Store(q.size())
	q.recs.Add(int64(-cnt))
	if q.size() < int64(q.w.o.QueueBytes) {
		q.room.Broadcast()
	}
	return out, cnt, mn, mx, t
}

// compact reclaims the taken parts of buf and marks (amortized O(1): a
// copy happens only once half of the buffer has been taken).
func (q *Queue) compact() {
	if q.mhead == len(q.marks) {
		q.marks, q.mhead = q.marks[:0], 0
	} else if q.mhead >= 64 && 2*q.mhead >= len(q.marks) {
		n := copy(q.marks, q.marks[q.mhead:])
		clear(q.marks[n:])
		q.marks, q.mhead = q.marks[:n], 0
	}
	switch {
	case q.head == len(q.buf):
		q.base += int64(q.head)
		q.head = 0
		if cap(q.buf) > 4<<20 {
			q.buf = nil // don't keep a burst's buffer forever
		} else {
			q.buf = q.buf[:0]
		}
	case q.head >= 64<<10 && 2*q.head >= len(q.buf):
		n := copy(q.buf, q.buf[q.head:])
		q.buf = q.buf[:n]
		q.base += int64(q.head)
		q.head = 0
	}
}

// Txn collects the records of one multi-key command or MULTI/EXEC that
// touches several shards; Commit queues them as one unit, so they are
// written in one frame and replayed all or nothing.
type Txn struct {
	data     []byte
	recs     []txnRec
	encoded  []byte
	shards   []int // the queues it is committed to
	min, max uint64
	parts    int
	arrived  int
}

type txnRec struct {
	op         Op
	db         int
	num        int64
	koff, klen int
	voff, vlen int
}

// NewTxn starts a transaction group. Txns are recycled: the WAL takes a
// committed one back once its records are in a frame, so the caller must
// not use t after Commit.
func (w *WAL) NewTxn() *Txn { return txnPool.Get().(*Txn) }

var txnPool = sync.Pool{New: func() any { return new(Txn) }}

// release returns t to the pool (buffers kept unless a burst grew them).
func (t *Txn) release() {
	if cap(t.data) > 64<<10 || cap(t.encoded) > 64<<10 || cap(t.recs) > 1024 {
		*t = Txn{}
	} else {
		*t = Txn{data: t.data[:0], recs: t.recs[:0], encoded: t.encoded[:0], shards: t.shards[:0]}
	}
	txnPool.Put(t)
}

// Record implements Recorder (key and value are copied).
func (t *Txn) Record(op Op, db int, key, value []byte, num int64) {
	r := txnRec{op: op, db: db, num: num, koff: len(t.data), klen: len(key)}
	t.data = append(t.data, key...)
	r.voff, r.vlen = len(t.data), len(value)
	t.data = append(t.data, value...)
	t.recs = append(t.recs, r)
}

// Commit queues t on the given shards' queues (ascending, deduplicated);
// called with those shards' locks held.
func (w *WAL) Commit(t *Txn, shards []int) {
	if t == nil {
		return
	}
	if len(t.recs) == 0 || len(shards) == 0 {
		t.release()
		return
	}
	var qa [16]*Queue
	qs := qa[:0]
	for _, s := range shards {
		q := w.queues[s]
		q.mu.Lock()
		qs = append(qs, q)
	}
	n := uint64(len(t.recs))
	base := w.lsn.Add(n) - n + 1
	t.min, t.max = base, base+n-1
	signal := false
	if !w.disabled {
		for i, r := range t.recs {
			group := 0
			if i == 0 {
				group = len(t.recs)
			}
			t.encoded = appendRecordG(t.encoded, r.op, base+uint64(i), r.db, group, t.data[r.koff:r.koff+r.klen], t.data[r.voff:r.voff+r.vlen], r.num)
		}
		t.parts = len(qs)
		t.shards = append(t.shards[:0], shards...)
		share := (int64(len(t.encoded)) + int64(len(qs)) - 1) / int64(len(qs))
		for _, q := range qs {
			if q.empty() {
				signal = true
			}
			q.marks = append(q.marks, mark{pos: q.base + int64(len(q.buf)), at: q.added, min: q.min, max: q.max, share: share, t: t})
			q.min, q.max = 0, 0
			q.pend += share
			q.bytes.Store(q.size())
		}
	}
	// After the last unlock the writer may take t and recycle it.
	last := t.max
	for _, q := range qs {
		q.lastLSN = last
		q.mu.Unlock()
	}
	if w.disabled {
		t.release() // no queue holds it
	}
	if signal {
		w.wakeWriter()
	}
}
