package server

// Keyspace notifications (notify-keyspace-events): the cache reports what
// each command did to each key (cache.Notifier, after its shard locks are
// released), and the server publishes it as Redis does, on
// __keyspace@<db>__:<key> (the event as the message) and
// __keyevent@<db>__:<event> (the key as the message). The same events
// invalidate the keys clients track (tracking.go).

import (
	"strconv"
	"sync"

	"fastcache/cache"
	"fastcache/config"
	"fastcache/pubsub"
)

// trackingClasses are the events that change a key (all but keymiss and
// new, and the unpublished Modified).
const trackingClasses = pubsub.All | pubsub.Modified

// initNotify installs the server as the cache's notifier and follows
// notify-keyspace-events.
func (s *Server) initNotify() {
	if s.cache == nil || s.cfg == nil {
		return
	}
	s.psrv.notify.Store(uint32(s.cfg.NotifyKeyspaceEvents()))
	s.cache.SetNotifier(s, s.wantedEvents())
	s.cfg.OnChange("notify-keyspace-events", func(cfg *config.Config) error {
		s.psrv.notify.Store(uint32(cfg.NotifyKeyspaceEvents()))
		s.cache.SetNotifyClasses(s.wantedEvents())
		return nil
	})
}

// wantedEvents is what the cache must report: the configured classes when
// K or E is set, and every change while some client tracks keys.
func (s *Server) wantedEvents() pubsub.Class {
	var want pubsub.Class
	if n := pubsub.Class(s.psrv.notify.Load()); n&(pubsub.Keyspace|pubsub.Keyevent) != 0 {
		want = n &^ (pubsub.Keyspace | pubsub.Keyevent)
	}
	if s.psrv.trackingActive() {
		want |= trackingClasses | pubsub.Tracked
	}
	return want
}

var chanBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}

// KeyEvents implements cache.Notifier.
func (s *Server) KeyEvents(origin any, evs []cache.Event) {
	n := pubsub.Class(s.psrv.notify.Load())
	if n&(pubsub.Keyspace|pubsub.Keyevent) != 0 && s.psrv.reg.Active() {
		for i := range evs {
			if e := &evs[i]; n&e.Class != 0 {
				s.publishEvent(n, e.Name, e.DB, e.Key)
			}
		}
	}
	if s.psrv.trackingActive() {
		cl, _ := origin.(*Client)
		s.trackingEvents(cl, evs)
	}
}

// publishEvent publishes one keyspace event as notify-keyspace-events n says.
func (s *Server) publishEvent(n pubsub.Class, event string, db int, key []byte) {
	{
		bp := chanBufs.Get().(*[]byte)
		b := *bp
		if n&pubsub.Keyspace != 0 {
			b = append(b[:0], "__keyspace@"...)
			b = strconv.AppendInt(b, int64(db), 10)
			b = append(b, "__:"...)
			b = append(b, key...)
			s.psrv.reg.Publish(b, []byte(event))
		}
		if n&pubsub.Keyevent != 0 {
			b = append(b[:0], "__keyevent@"...)
			b = strconv.AppendInt(b, int64(db), 10)
			b = append(b, "__:"...)
			b = append(b, event...)
			s.psrv.reg.Publish(b, key)
		}
		if cap(b) <= 4096 {
			*bp = b[:0]
			chanBufs.Put(bp)
		}
	}
}
