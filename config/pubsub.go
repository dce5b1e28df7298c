package config

import (
	"errors"
	"strconv"
	"strings"

	"fastcache/pubsub"
)

// The pub/sub directives: client-output-buffer-limit, notify-keyspace-events
// and tracking-table-max-keys, with Redis 7.0's syntax, defaults and errors.

// Client classes of client-output-buffer-limit, in Redis's order.
const (
	ClassNormal = iota
	ClassReplica
	ClassPubSub
)

var obufClassNames = [3]string{"normal", "slave", "pubsub"}

type pubsubValues struct {
	obuf           [3]pubsub.Limit
	notify         pubsub.Class
	trackingMaxKey int64
}

func init() {
	add(&directive{name: "client-output-buffer-limit",
		doc:     "per client class (normal, replica, pubsub): hard limit, soft limit, soft seconds; a client over it is disconnected",
		def:     []string{"normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"},
		mutable: true,
		set: func(v *values, a []string) error {
			f := strings.Fields(strings.Join(a, " "))
			if len(f)%4 != 0 {
				return errors.New("Wrong number of arguments in buffer limit configuration.")
			}
			obuf := v.pubsub.obuf
			for i := 0; i < len(f); i += 4 {
				class := -1
				switch strings.ToLower(f[i]) {
				case "normal":
					class = ClassNormal
				case "slave", "replica":
					class = ClassReplica
				case "pubsub":
					class = ClassPubSub
				default:
					return errors.New("Invalid client class specified in buffer limit configuration.")
				}
				hard, err1 := ParseSize(f[i+1])
				soft, err2 := ParseSize(f[i+2])
				secs, err3 := strconv.ParseInt(f[i+3], 10, 64)
				if err1 != nil || err2 != nil || err3 != nil || secs < 0 {
					return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
				}
				obuf[class] = pubsub.Limit{Hard: hard, Soft: soft, SoftSeconds: secs}
			}
			v.pubsub.obuf = obuf
			return nil
		},
		get: func(v *values) string {
			var b strings.Builder
			for i, l := range v.pubsub.obuf {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(obufClassNames[i])
				for _, n := range []int64{l.Hard, l.Soft, l.SoftSeconds} {
					b.WriteByte(' ')
					b.WriteString(strconv.FormatInt(n, 10))
				}
			}
			return b.String()
		}})
	add(&directive{name: "notify-keyspace-events",
		doc:     "keyspace event classes published (Redis's letters: K E g $ l s h z x e t m d n A; empty = none)",
		def:     []string{""},
		mutable: true,
		set: func(v *values, a []string) error {
			c, err := pubsub.ParseClasses(strings.Join(a, ""))
			if err != nil {
				return err
			}
			v.pubsub.notify = c
			return nil
		},
		get: func(v *values) string { return pubsub.FormatClasses(v.pubsub.notify) }})
	intD("tracking-table-max-keys", 1000000, 0, 1<<63-1, true, "keys remembered for client-side caching (CLIENT TRACKING) before the oldest are invalidated (0 = no limit)",
		func(v *values) *int64 { return &v.pubsub.trackingMaxKey })
}

// OutputBufferLimit is client-output-buffer-limit for class (ClassNormal,
// ClassReplica or ClassPubSub).
func (c *Config) OutputBufferLimit(class int) pubsub.Limit { return c.v.Load().pubsub.obuf[class] }

// NotifyKeyspaceEvents is notify-keyspace-events as a class set.
func (c *Config) NotifyKeyspaceEvents() pubsub.Class { return c.v.Load().pubsub.notify }

// TrackingTableMaxKeys is tracking-table-max-keys.
func (c *Config) TrackingTableMaxKeys() int64 { return c.v.Load().pubsub.trackingMaxKey }
