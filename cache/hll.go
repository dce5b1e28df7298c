package cache

import (
	"errors"
	"strings"
	"sync"

	"fastcache/object"
	"fastcache/persistence"
	"fastcache/pubsub"
	"fastcache/shard"
)

// HyperLogLogs (PFADD, PFCOUNT, PFMERGE, PFDEBUG) are strings holding
// Redis's representation (object/hll.go), changed as Redis changes them.
// What is logged is the effect: a dense value is changed in place and only
// the bytes changed are logged (OpSetRanges: a few registers and the cached
// cardinality); a sparse value that keeps its length likewise; one that
// grows, shrinks or becomes dense is logged whole (OpSet, at most
// hll-sparse-max-bytes or 12304 bytes). PFCOUNT storing the cardinality it
// computed logs those 8 bytes (Redis propagates that PFCOUNT too), so a
// replay or a replica holds the same bytes as the server did.

// The errors of HyperLogLog commands, with Redis's texts.
var (
	ErrNotHLL       = errors.New("WRONGTYPE Key is not a valid HyperLogLog string value.")
	ErrHLLCorrupt   = errors.New("INVALIDOBJ Corrupted HLL object detected")
	ErrHLLNoKey     = errors.New("ERR The specified key does not exist")
	ErrHLLNotSparse = errors.New("ERR HLL encoding is not sparse")
)

const (
	hllPatchGap  = 8 // changed bytes closer than this are logged as one range
	hllCardBytes = 8
)

var (
	patchPool = sync.Pool{New: func() any { return new(object.Patches) }}
	regsPool  = sync.Pool{New: func() any { b := make([]byte, object.HLLRegisters); return &b }}
)

// hllValue looks key up for a HyperLogLog command: its entry, whether it
// exists, or the error for a value that is not a HyperLogLog.
func hllValue(d *shard.DB, key []byte, now int64, rec persistence.Recorder) (shard.Entry, bool, error) {
	e, ok := d.Get(key, now, rec, true)
	if !ok {
		return e, false, nil
	}
	if e.Kind != shard.KindString {
		return e, true, ErrWrongTypeOps
	}
	if !object.IsHLL(e.Value) {
		return e, true, ErrNotHLL
	}
	return e, true, nil
}

// logPatches logs the bytes of e's value that p says were changed in place.
func logPatches(d *shard.DB, key []byte, e shard.Entry, p *object.Patches, rec persistence.Recorder) {
	var buf [16]shard.Range
	ranges := buf[:0]
	p.Ranges(hllPatchGap, func(s, end int) { ranges = append(ranges, shard.Range{Start: s, End: end}) })
	d.PatchRanges(key, e.Value, e.ExpireAt, ranges, rec)
}

// storeHLL replaces the HyperLogLog of the existing key (entry e) with v:
// a value of the same length is changed in place and only its changed
// bytes logged (with the cached cardinality when card is set: a replica
// whose own PFCOUNT filled it in gets the primary's bytes back), any other
// is stored and logged whole, keeping the key's expiry.
func storeHLL(d *shard.DB, key []byte, e shard.Entry, v []byte, card bool, rec persistence.Recorder) {
	old := e.Value
	if len(v) != len(old) {
		d.SetEncoded(key, v, e.ExpireAt, shard.EncRaw, rec)
		return
	}
	p := patchPool.Get().(*object.Patches)
	defer func() { p.Reset(); patchPool.Put(p) }()
	for i := range v {
		if v[i] != old[i] {
			p.Add(i, 1)
			old[i] = v[i]
		}
	}
	if card {
		p.Add(object.HLLCardOff, hllCardBytes)
	}
	if p.Len() == 0 {
		d.MarkEnc(key, shard.EncRaw) // Redis unshares the value it looked at
		return
	}
	logPatches(d, key, e, p, rec)
}

// PFAdd adds elems to the HyperLogLog at key (created if missing) and
// reports whether it changed (PFADD's 1). A corrupted sparse value gives
// ErrHLLCorrupt, after the elements before the failing one were added, as
// in Redis.
func (k Keyspace) PFAdd(key []byte, elems [][]byte) (bool, error) {
	s, rec := k.write(key)
	defer k.done(s)
	e, ok, err := hllValue(s, key, k.now(), rec)
	if err != nil {
		return false, err
	}
	maxBytes := object.HLLSparseMaxBytes.Load()
	if !ok {
		v := object.NewHLL()
		for _, el := range elems {
			v, _ = object.HLLAdd(v, el, maxBytes, nil)
		}
		object.HLLInvalidate(v)
		k.notify(pubsub.New, "new", key)
		s.SetEncoded(key, v, 0, shard.EncRaw, rec)
		k.notify(pubsub.String, "pfadd", key)
		return true, nil
	}
	updated := false
	if object.HLLIsDense(e.Value) {
		// In place: a dense value keeps its size; log the registers changed.
		p := patchPool.Get().(*object.Patches)
		for _, el := range elems {
			if object.HLLDenseAdd(e.Value, el, p) {
				updated = true
			}
		}
		if updated {
			object.HLLInvalidate(e.Value)
			p.Add(object.HLLCardOff, hllCardBytes)
			logPatches(s, key, e, p, rec)
			k.notify(pubsub.String, "pfadd", key)
		} else {
			s.MarkEnc(key, shard.EncRaw)
		}
		p.Reset()
		patchPool.Put(p)
		return updated, nil
	}
	v := make([]byte, len(e.Value), len(e.Value)+16)
	copy(v, e.Value)
	for _, el := range elems {
		var r int
		v, r = object.HLLAdd(v, el, maxBytes, nil)
		if r < 0 {
			err = ErrHLLCorrupt
			break
		}
		if r > 0 {
			updated = true
		}
	}
	if err != nil {
		// Redis keeps what the elements before the failing one changed,
		// without marking the cache stale.
		storeHLL(s, key, e, v, false, rec)
		return false, err
	}
	if updated {
		object.HLLInvalidate(v)
	}
	storeHLL(s, key, e, v, updated, rec)
	if updated {
		k.notify(pubsub.String, "pfadd", key)
	}
	return updated, nil
}

// PFCount is PFCOUNT: with one key its cardinality, from the cache in the
// value or computed and stored there (stored reports that write, to be
// made durable like any other); with several, the cardinality of their
// union. Missing keys count as empty.
func (k Keyspace) PFCount(keys [][]byte) (card int64, stored bool, err error) {
	now := k.now()
	if len(keys) == 1 {
		key := keys[0]
		s, rec := k.write(key)
		defer k.done(s)
		e, ok, err := hllValue(s, key, now, rec)
		if err != nil {
			return 0, false, err
		}
		if !ok {
			s.Misses.Add(1)
			k.notify(pubsub.KeyMiss, "keymiss", key)
			return 0, false, nil
		}
		s.Hits.Add(1)
		if c, valid := object.HLLCachedCard(e.Value); valid {
			s.MarkEnc(key, shard.EncRaw)
			return int64(c), false, nil
		}
		c, valid := object.HLLCount(e.Value)
		if !valid {
			s.MarkEnc(key, shard.EncRaw)
			return 0, false, ErrHLLCorrupt
		}
		var cb [object.HLLHdrSize]byte
		object.HLLPutCard(cb[:], c)
		s.Patch(key, e.Value, object.HLLCardOff, cb[object.HLLCardOff:], rec)
		k.notify(pubsub.Modified, "pfcount", key) // CLIENT TRACKING, as Redis's signalModifiedKey
		return int64(c), true, nil
	}
	m := k.lockMany(keys, 1, false)
	defer m.unlock()
	bp := regsPool.Get().(*[]byte)
	max := *bp
	clear(max)
	defer regsPool.Put(bp)
	for _, key := range keys {
		d := k.shardOf(key)
		e, ok, err := hllValue(d, key, now, m.rec(key))
		if err != nil {
			return 0, false, err
		}
		if !ok {
			d.Misses.Add(1)
			k.notify(pubsub.KeyMiss, "keymiss", key)
			continue
		}
		d.Hits.Add(1)
		if !object.HLLMax(max, e.Value) {
			return 0, false, ErrHLLCorrupt
		}
	}
	return int64(object.HLLCountMax(max)), false, nil
}

// PFMerge is PFMERGE: dst (created if missing) gets the union of itself
// and srcs. As in Redis, dst becomes dense when any input is dense.
func (k Keyspace) PFMerge(dst []byte, srcs [][]byte) error {
	keys := make([][]byte, 0, 1+len(srcs))
	keys = append(append(keys, dst), srcs...)
	m := k.lockMany(keys, 1, true)
	defer m.unlock()
	now := k.now()
	bp := regsPool.Get().(*[]byte)
	max := *bp
	clear(max)
	defer regsPool.Put(bp)
	dense := false
	for _, key := range keys {
		d := k.shardOf(key)
		e, ok, err := hllValue(d, key, now, m.rec(key))
		if err != nil {
			return err
		}
		if !ok {
			d.Misses.Add(1)
			k.notify(pubsub.KeyMiss, "keymiss", key)
			continue
		}
		d.Hits.Add(1)
		dense = dense || object.HLLIsDense(e.Value)
		if !object.HLLMax(max, e.Value) {
			return ErrHLLCorrupt
		}
	}
	ds, rec := k.shardOf(dst), m.rec(dst)
	maxBytes := object.HLLSparseMaxBytes.Load()
	e, ok := ds.Get(dst, now, rec, false)
	if ok && object.HLLIsDense(e.Value) {
		p := patchPool.Get().(*object.Patches)
		object.HLLDenseRaise(e.Value, max, p)
		object.HLLInvalidate(e.Value)
		p.Add(object.HLLCardOff, hllCardBytes)
		logPatches(ds, dst, e, p, rec)
		p.Reset()
		patchPool.Put(p)
		k.notify(pubsub.String, "pfadd", dst)
		return nil
	}
	var v []byte
	if ok {
		v = make([]byte, len(e.Value), len(e.Value)+16)
		copy(v, e.Value)
	} else {
		v = object.NewHLL()
	}
	if dense {
		dv, valid := object.HLLToDense(v)
		if !valid {
			return ErrHLLCorrupt // not reached: dst's runs were checked above
		}
		v = dv
	}
	for j, r := range max {
		if r != 0 {
			v, _ = object.HLLSet(v, j, r, maxBytes, nil)
		}
	}
	object.HLLInvalidate(v)
	if ok {
		storeHLL(ds, dst, e, v, true, rec)
	} else {
		k.notify(pubsub.New, "new", dst)
		ds.SetEncoded(dst, v, 0, shard.EncRaw, rec)
	}
	k.notify(pubsub.String, "pfadd", dst)
	return nil
}

// HLLDebug is the result of a PFDEBUG subcommand.
type HLLDebug struct {
	Registers []uint8 // GETREG
	Decoded   []byte  // DECODE
	Encoding  string  // ENCODING
	Converted bool    // TODENSE
}

// PFDebug runs PFDEBUG sub on key: GETREG (the registers; a sparse value
// is made dense first, as in Redis), DECODE (a sparse value's opcodes),
// ENCODING, TODENSE.
func (k Keyspace) PFDebug(sub string, key []byte) (HLLDebug, error) {
	var out HLLDebug
	s, rec := k.write(key)
	defer k.done(s)
	e, ok, err := hllValue(s, key, k.now(), rec)
	if err != nil {
		return out, err
	}
	if !ok {
		return out, ErrHLLNoKey
	}
	s.MarkEnc(key, shard.EncRaw)
	v := e.Value
	toDense := func() error {
		if object.HLLIsDense(v) {
			return nil
		}
		d, valid := object.HLLToDense(v)
		if !valid {
			return ErrHLLCorrupt
		}
		s.SetEncoded(key, d, e.ExpireAt, shard.EncRaw, rec)
		v = d
		out.Converted = true
		return nil
	}
	switch strings.ToLower(sub) {
	case "getreg":
		if err := toDense(); err != nil {
			return out, err
		}
		out.Registers = object.HLLDenseRegisters(v, make([]uint8, 0, object.HLLRegisters))
	case "decode":
		if object.HLLIsDense(v) {
			return out, ErrHLLNotSparse
		}
		out.Decoded = object.HLLDecode(v)
	case "encoding":
		out.Encoding = "sparse"
		if object.HLLIsDense(v) {
			out.Encoding = "dense"
		}
	case "todense":
		if err := toDense(); err != nil {
			return out, err
		}
	default:
		return out, errors.New("ERR Unknown PFDEBUG subcommand '" + sub + "'")
	}
	return out, nil
}
