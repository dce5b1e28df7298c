package pubsub

import (
	"sync"
	"sync/atomic"
	"time"
)

// Limit is one class of client-output-buffer-limit: a client whose pending
// output exceeds Hard bytes, or stays above Soft bytes for more than
// SoftSeconds, is disconnected (0 = no limit).
type Limit struct {
	Hard, Soft, SoftSeconds int64
}

// Outbox holds the frames pushed to one client (messages, invalidations)
// until its network layer takes them. Publishers append from any goroutine
// without waiting for the client; the first frame after a Take calls Wake,
// which tells the network layer to come and take them. The pending output
// (what is in the outbox plus what the network layer took and has not
// written yet, SetUnsent) is bounded by the client's Limit: past it the
// outbox closes, drops what it holds and calls OverLimit once, and the
// client is disconnected, as Redis does with client-output-buffer-limit.
type Outbox struct {
	mu        sync.Mutex
	buf       []byte
	signaled  bool // Wake was called and the owner has not taken yet
	closed    bool
	softSince int64 // unix millisecond the output went above the soft limit (0: below)

	size   atomic.Int64 // len(buf), read without the lock
	unsent atomic.Int64
	// held: Take leaves buf[holdAt:], what was pushed since Hold
	held   bool
	holdAt int

	// Wake is called (outside the lock, by the pushing goroutine) when the
	// outbox goes from empty to non-empty.
	Wake func()
	// OverLimit is called once, when the limit is exceeded.
	OverLimit func(used int64)
	// Limit returns the limit that applies now (the client's class).
	Limit func() Limit
}

// Push appends frame. It returns false when the outbox is closed (the
// client is gone or was over its limit): frame is dropped.
func (o *Outbox) Push(frame []byte) bool {
	return o.PushN(frame, nil)
}

// PushN appends the frames a and b (b may be nil) as one delivery.
func (o *Outbox) PushN(a, b []byte) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	o.buf = append(o.buf, a...)
	o.buf = append(o.buf, b...)
	o.size.Store(int64(len(o.buf)))
	if o.Limit != nil {
		if used, over := o.overLimit(); over {
			o.closeLocked()
			o.mu.Unlock()
			if o.OverLimit != nil {
				o.OverLimit(used)
			}
			return false
		}
	}
	wake := !o.signaled
	o.signaled = true
	o.mu.Unlock()
	if wake && o.Wake != nil {
		o.Wake()
	}
	return true
}

// overLimit checks the pending output against the limit (o.mu held).
func (o *Outbox) overLimit() (int64, bool) {
	l := o.Limit()
	if l.Hard <= 0 && l.Soft <= 0 {
		return 0, false
	}
	used := int64(len(o.buf)) + o.unsent.Load()
	return used, l.Exceeded(used, &o.softSince)
}

// Exceeded applies l to used bytes of pending output, as Redis's
// checkClientOutputBufferLimits: past Hard, or at or above Soft for more
// than SoftSeconds. *softSince (unix ms, 0: below the soft limit) keeps the
// soft limit's clock between checks: the first check above it only starts
// the clock.
func (l Limit) Exceeded(used int64, softSince *int64) bool {
	if l.Hard > 0 && used >= l.Hard {
		return true
	}
	if l.Soft <= 0 || used < l.Soft {
		*softSince = 0
		return false
	}
	now := time.Now().UnixMilli()
	if *softSince == 0 {
		*softSince = now
		return false
	}
	return now-*softSince > l.SoftSeconds*1000
}

// Check applies the limit without a push: a client over its soft limit is
// disconnected once the limit's seconds have passed even when nothing more
// is published to it (the server's cron calls it, as Redis's clientsCron).
func (o *Outbox) Check() {
	if o.Limit == nil {
		return
	}
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	used, over := o.overLimit()
	if over {
		o.closeLocked()
	}
	o.mu.Unlock()
	if over && o.OverLimit != nil {
		o.OverLimit(used)
	}
}

// Pending reports whether frames wait to be taken (no lock).
func (o *Outbox) Pending() bool { return o.size.Load() != 0 }

// Take appends the waiting frames to dst and empties the outbox; the next
// Push calls Wake again. While held, it takes only what was pushed before
// Hold.
func (o *Outbox) Take(dst []byte) []byte {
	o.mu.Lock()
	o.signaled = false
	if o.held {
		dst = append(dst, o.buf[:o.holdAt]...)
		n := copy(o.buf, o.buf[o.holdAt:])
		o.buf = o.buf[:n]
		o.holdAt = 0
		o.size.Store(int64(n))
		o.mu.Unlock()
		return dst
	}
	dst = append(dst, o.buf...)
	if cap(o.buf) > 64<<10 {
		o.buf = nil // a burst is over: do not keep its room
	} else {
		o.buf = o.buf[:0]
	}
	o.size.Store(0)
	o.mu.Unlock()
	return dst
}

// Hold makes Take leave the frames pushed from now on until Release: the
// frames another executor pushes while it serves the client's blocked
// command (an invalidation of a key the command wrote) follow the
// command's reply, which the owner takes before it releases them. The
// check and the take cannot be apart: a push made while held is never
// taken early, whoever takes.
func (o *Outbox) Hold() {
	o.mu.Lock()
	if !o.held {
		o.held, o.holdAt = true, len(o.buf)
	}
	o.mu.Unlock()
}

// Release ends Hold: every frame can be taken again.
func (o *Outbox) Release() {
	o.mu.Lock()
	o.held = false
	o.mu.Unlock()
}

// SetUnsent tells the outbox how many bytes the network layer holds that
// the socket has not taken yet; they count against the limit.
func (o *Outbox) SetUnsent(n int64) { o.unsent.Store(n) }

// Used is the pending output in bytes (CLIENT LIST omem).
func (o *Outbox) Used() int64 { return o.size.Load() + o.unsent.Load() }

// Queued is the size of the frames waiting to be taken (any goroutine).
func (o *Outbox) Queued() int64 { return o.size.Load() }

// Close drops the waiting frames; later pushes are refused.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closeLocked()
	o.mu.Unlock()
}

func (o *Outbox) closeLocked() {
	o.closed = true
	o.buf = nil
	o.size.Store(0)
}

// Closed reports whether the outbox was closed.
func (o *Outbox) Closed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}
