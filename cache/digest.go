package cache

// DEBUG DIGEST and DEBUG DIGEST-VALUE: a SHA1 signature of content, as
// Redis's, though not byte-equal to Redis's. It depends on the keys, their
// types, values and expiries only: not on the encodings, on the order
// members were added in, or on the layout of the tables, so a reload, a
// restart or a replica shows the same digest for the same data. Elements
// of unordered types (set members, hash fields, sorted-set members with
// their scores) are combined by XOR, list elements in order. A stream is
// combined from the records that rebuild it (its entries as their nodes
// hold them, and its groups).

import (
	"crypto/sha1"
	"encoding/binary"
	"hash"
	"math"
	"strconv"

	"fastcache/object"
	"fastcache/persistence"
	"fastcache/shard"
)

// Digest is the signature of every database (DEBUG DIGEST): 20 zero
// bytes when every database is empty. held: the caller holds every shard.
func (c *Cache) Digest(held bool) [20]byte {
	if !held {
		c.LockAll()
		defer c.UnlockAll()
	}
	var out [20]byte
	now := shard.Now()
	h := sha1.New()
	for _, s := range c.shards {
		for db := 0; db < s.Databases(); db++ {
			d := s.DB(db)
			d.Range(now, func(k []byte, e shard.Entry) bool {
				v := valueDigest(d, e, now)
				h.Reset()
				writeInt(h, int64(db))
				writeItem(h, k)
				h.Write(v[:])
				xorSum(&out, h)
				return true
			})
		}
	}
	return out
}

// DigestValues is DEBUG DIGEST-VALUE: the signature of each key's value
// and expiry in database db (20 zero bytes for a missing key).
func (c *Cache) DigestValues(db int, keys [][]byte, held bool) [][20]byte {
	out := make([][20]byte, len(keys))
	now := shard.Now()
	for i, k := range keys {
		s := c.shardOf(k)
		if !held {
			s.Lock()
		}
		d := s.DB(db)
		if e, ok := d.Peek(k, now); ok {
			out[i] = valueDigest(d, e, now)
		}
		if !held {
			s.Unlock()
		}
	}
	return out
}

// valueDigest is the signature of one key's type, value and expiry.
func valueDigest(d *shard.DB, e shard.Entry, now int64) [20]byte {
	var content [20]byte // XOR of the unordered elements' digests
	h := sha1.New()      // the ordered part
	writeInt(h, int64(e.Kind))
	if e.Kind == shard.KindString {
		writeItem(h, e.Value)
	} else {
		eh := sha1.New()
		elem := func(parts ...[]byte) {
			eh.Reset()
			for _, p := range parts {
				writeItem(eh, p)
			}
			xorSum(&content, eh)
		}
		d.Obj(e).Records(now, func(op persistence.Op, body []byte, num int64) error {
			var items [][]byte
			persistence.Items(body, func(it []byte) { items = append(items, it) })
			switch op {
			case object.OpSAdd:
				for _, m := range items {
					elem(m)
				}
			case persistence.OpHSet:
				for i := 0; i+1 < len(items); i += 2 {
					elem(items[i], items[i+1])
				}
			case persistence.OpHExpire:
				for _, f := range items {
					elem([]byte("!!field-expire!!"), f, []byte(strconv.FormatInt(num, 10)))
				}
			case object.OpZAdd:
				for i := 0; i+1 < len(items); i += 2 {
					var score float64
					if len(items[i]) == 8 {
						score = math.Float64frombits(binary.LittleEndian.Uint64(items[i]))
					}
					elem(items[i+1], []byte(strconv.FormatFloat(score, 'g', 17, 64)))
				}
			case object.OpRPush:
				for _, v := range items {
					writeItem(h, v)
				}
			default: // a stream's records: each on its own (its groups' order is no content)
				elem(append([]byte{byte(op)}, body...), []byte(strconv.FormatInt(num, 10)))
			}
			return nil
		})
	}
	h.Write(content[:])
	if e.ExpireAt != 0 {
		writeItem(h, []byte("!!expire!!"))
		writeInt(h, e.ExpireAt)
	}
	var out [20]byte
	h.Sum(out[:0])
	return out
}

func writeInt(h hash.Hash, v int64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	h.Write(b[:])
}

// writeItem writes b with its length, so that no two sequences of items
// write the same bytes.
func writeItem(h hash.Hash, b []byte) {
	writeInt(h, int64(len(b)))
	h.Write(b)
}

func xorSum(dst *[20]byte, h hash.Hash) {
	var s [20]byte
	h.Sum(s[:0])
	for i := range dst {
		dst[i] ^= s[i]
	}
}
