package persistence

import "sync/atomic"

// STUB: replaced by the real implementation (per-shard bounded queue drained by the writer).

// WAL is the write-ahead log.
type WAL struct {
	lsn    atomic.Uint64
	queues []*Queue
}

// Queue is one shard's bounded WAL queue.
type Queue struct {
	w       *WAL
	lastLSN uint64
}

// Record implements Recorder.
func (q *Queue) Record(op Op, key, value []byte, expireAt int64) {
	q.lastLSN = q.w.lsn.Add(1)
}

// LastLSN is the LSN of the last record queued by this shard.
func (q *Queue) LastLSN() uint64 { return q.lastLSN }

// WaitRoom blocks while the queue is over its bound. Call it without holding the shard lock.
func (q *Queue) WaitRoom() {}

// Queue returns shard i's queue.
func (w *WAL) Queue(i int) *Queue { return w.queues[i] }

// NewDisabled returns a WAL that only numbers records (appendonly no).
func NewDisabled(shards int) *WAL {
	w := &WAL{}
	for i := 0; i < shards; i++ {
		w.queues = append(w.queues, &Queue{w: w})
	}
	return w
}

// Txn collects the records of one multi-key command or MULTI/EXEC that touches several shards.
type Txn struct{ recs int }

// NewTxn starts a transaction group.
func (w *WAL) NewTxn() *Txn { return &Txn{} }

// Record implements Recorder.
func (t *Txn) Record(op Op, key, value []byte, expireAt int64) { t.recs++ }

// Commit queues t on the given shards' queues; called with those shards' locks held.
func (w *WAL) Commit(t *Txn, shards []int) {
	for _, s := range shards {
		w.queues[s].lastLSN = w.lsn.Add(uint64(t.recs))
	}
}

// Err is non-nil while writes must be refused (the WAL cannot be written).
func (w *WAL) Err() error { return nil }
