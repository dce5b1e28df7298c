package persistence

// Snapshot files: a point-in-time copy of the keyspace that bounds the log.
//
// File name: <dir>/snapshot/snap-<20-digit max cut LSN>.fcs, written as
// "<name>.tmp", fsynced, renamed, and the directory fsynced, so a crash at any
// moment leaves either the complete new snapshot or none (temporary files
// found at start are deleted).
//
// Layout (integers little-endian):
//
//	header (32 bytes)
//	  0  magic        u32  "FCSN" (0x4E534346)
//	  4  version      u8   2 (1 is read too)
//	  5  codec        u8   0 none, 1 s2, 2 zstd (per block, see block flags)
//	  6  reserved     u16
//	  8  created      i64  unix ms
//	  16 shards       u32  shard count of the server that wrote it
//	  20 walSegment   u64  first WAL segment NOT covered by the snapshot:
//	                       replay reads segments >= walSegment only
//	  28 crc          u32  CRC32C of bytes 0..27
//	blocks, each:
//	  0  magic        u16  0xFC5B
//	  2  codec        u8   0 none, 1 s2, 2 zstd
//	  3  reserved     u8
//	  4  shard        u32
//	  8  stored len   u32  payload bytes on disk
//	  12 raw len      u32  payload bytes after decompression (<= 64 MiB)
//	  16 entries      u32
//	  20 crc          u32  CRC32C of bytes 0..19 and the stored payload
//	  24 payload      entries: flags u8 | [expireAt varint] | [db uvarint]
//	                  | key len uvarint | key | [op u8 | num varint]
//	                  | value len uvarint | value
//	                  flags: bit 0 the key's expiry follows, bit 1 its
//	                  database (absent: 0), bit 2 the entry is a record
//	                  (a collection is written as the records that rebuild
//	                  it, e.g. OpHSet of up to 1024 fields each, so a big
//	                  one spans blocks; bit 3 marks the entries after its
//	                  first); without bit 2 the value is a string.
//	                  Version 1 files have only bit 0.
//	footer:
//	  0  magic        u32  "FCSF"
//	  4  shards       u32
//	  8  per shard:   cut LSN u64 (the shard's last applied LSN when it was
//	                  copied) | keys u64
//	  .. blocks       u64  number of blocks
//	  .. crc          u32  CRC32C of the footer bytes before it
//	trailer (8 bytes): footer length u32 | magic "FCSE"
//
// A snapshot is valid only if the header, the footer and every block verify.
// Replay applies a WAL record only if its LSN is greater than the cut of the
// shard that owned its key when the snapshot was written
// (xxhash(key) & (shards-1) with the snapshot's shard count).

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

const (
	snapMagic       = 0x4E534346 // "FCSN"
	snapFooterMagic = 0x46534346 // "FCSF"
	snapEndMagic    = 0x45534346 // "FCSE"
	snapBlockMagic  = 0xFC5B
	snapVersion     = 2
	snapHeaderSize  = 32
	snapBlockHdr    = 24
	snapBlockTarget = 512 << 10 // raw bytes per block before compression
	snapMaxBlock    = 64 << 20
)

var snapCRC = crc32.MakeTable(crc32.Castagnoli)

var (
	snapZstdEnc     *zstd.Encoder
	snapZstdDec     *zstd.Decoder
	snapZstdEncOnce sync.Once
	snapZstdDecOnce sync.Once
)

func snapCodec(name string) (byte, error) {
	switch name {
	case "", "none":
		return 0, nil
	case "s2":
		return 1, nil
	case "zstd":
		return 2, nil
	}
	return 0, fmt.Errorf("unknown snapshot codec %q", name)
}

// SnapshotShard is one shard's contribution to a snapshot.
type SnapshotShard struct {
	Cut  uint64
	Keys uint64
}

// SnapshotWriter writes one snapshot file.
type SnapshotWriter struct {
	dir, tmp string
	f        *os.File
	bw       *bufio.Writer
	codec    byte
	shards   []SnapshotShard
	blocks   uint64
	walSeg   uint64
	maxCut   uint64

	cur      []byte // raw payload of the block being filled
	curShard int
	curN     uint32
	comp     []byte
	size     int64
	unsynced int64 // bytes written since the last incremental fsync
}

// snapSyncEvery is how much of a snapshot is written between fsyncs (as
// Redis's rdb-save-incremental-fsync, 4 MB): the file is flushed to disk
// as it is written instead of all at the commit, so the disk never holds a
// big backlog of dirty snapshot pages that WAL fsyncs would queue behind
// (measured under appendfsync always: WAL fsyncs of 3-13 ms right after a
// snapshot, against ~0.1 ms otherwise).
const snapSyncEvery = 4 << 20

// CreateSnapshot starts a snapshot in dir (created if needed) of a keyspace
// with the given shard count. walSegment is the first WAL segment the
// snapshot does not cover.
func CreateSnapshot(dir string, shards int, codec string, walSegment uint64) (*SnapshotWriter, error) {
	c, err := snapCodec(codec)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, fmt.Sprintf("snap-inprogress-%d.fcs.tmp", time.Now().UnixNano()))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	w := &SnapshotWriter{dir: dir, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 1<<20), codec: c,
		shards: make([]SnapshotShard, shards), walSeg: walSegment, curShard: -1}
	var h [snapHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], snapMagic)
	h[4] = snapVersion
	h[5] = c
	binary.LittleEndian.PutUint64(h[8:], uint64(time.Now().UnixMilli()))
	binary.LittleEndian.PutUint32(h[16:], uint32(shards))
	binary.LittleEndian.PutUint64(h[20:], walSegment)
	binary.LittleEndian.PutUint32(h[28:], crc32.Checksum(h[:28], snapCRC))
	if _, err := w.bw.Write(h[:]); err != nil {
		w.Abort()
		return nil, err
	}
	w.size = snapHeaderSize
	return w, nil
}

// SetCut records shard's cut LSN (its last applied LSN when it was copied).
func (w *SnapshotWriter) SetCut(shard int, cut uint64) {
	w.shards[shard].Cut = cut
	if cut > w.maxCut {
		w.maxCut = cut
	}
}

// Add appends one string entry of shard. Entries of a shard must be added
// together (all of shard i, then all of shard j).
func (w *SnapshotWriter) Add(shard, db int, key, value []byte, expireAt int64) error {
	return w.add(shard, db, key, value, expireAt, 0, 0, false)
}

// AddRecord appends an entry that is a record (op, value, num) rebuilding a
// collection; more is false for the first of the key's entries (which
// carries its expiry) and true for the others.
func (w *SnapshotWriter) AddRecord(shard, db int, key []byte, op Op, value []byte, num, expireAt int64, more bool) error {
	return w.add(shard, db, key, value, expireAt, op, num, more)
}

const (
	snapExp  = 1 << 0
	snapDB   = 1 << 1
	snapRec  = 1 << 2
	snapMore = 1 << 3
)

func (w *SnapshotWriter) add(shard, db int, key, value []byte, expireAt int64, op Op, num int64, more bool) error {
	if shard != w.curShard || len(w.cur) >= snapBlockTarget {
		if err := w.flushBlock(); err != nil {
			return err
		}
		w.curShard = shard
	}
	flags := byte(0)
	if expireAt != 0 {
		flags |= snapExp
	}
	if db != 0 {
		flags |= snapDB
	}
	if op != 0 {
		flags |= snapRec
	}
	if more {
		flags |= snapMore
	}
	w.cur = append(w.cur, flags)
	if expireAt != 0 {
		w.cur = binary.AppendVarint(w.cur, expireAt)
	}
	if db != 0 {
		w.cur = binary.AppendUvarint(w.cur, uint64(db))
	}
	w.cur = binary.AppendUvarint(w.cur, uint64(len(key)))
	w.cur = append(w.cur, key...)
	if op != 0 {
		w.cur = append(w.cur, byte(op))
		w.cur = binary.AppendVarint(w.cur, num)
	}
	w.cur = binary.AppendUvarint(w.cur, uint64(len(value)))
	w.cur = append(w.cur, value...)
	w.curN++
	if !more {
		w.shards[shard].Keys++
	}
	return nil
}

func (w *SnapshotWriter) flushBlock() error {
	if w.curN == 0 {
		w.cur = w.cur[:0]
		return nil
	}
	payload, codec := w.cur, byte(0)
	if w.codec != 0 && len(w.cur) >= 256 {
		var comp []byte
		switch w.codec {
		case 1:
			comp = s2.Encode(w.comp[:cap(w.comp)], w.cur)
		case 2:
			snapZstdEncOnce.Do(func() {
				snapZstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
			})
			comp = snapZstdEnc.EncodeAll(w.cur, w.comp[:0])
		}
		w.comp = comp
		if len(comp) < len(w.cur)*95/100 {
			payload, codec = comp, w.codec
		}
	}
	var h [snapBlockHdr]byte
	binary.LittleEndian.PutUint16(h[0:], snapBlockMagic)
	h[2] = codec
	binary.LittleEndian.PutUint32(h[4:], uint32(w.curShard))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(w.cur)))
	binary.LittleEndian.PutUint32(h[16:], w.curN)
	crc := crc32.Update(crc32.Checksum(h[:20], snapCRC), snapCRC, payload)
	binary.LittleEndian.PutUint32(h[20:], crc)
	if _, err := w.bw.Write(h[:]); err != nil {
		return err
	}
	if _, err := w.bw.Write(payload); err != nil {
		return err
	}
	w.size += int64(snapBlockHdr + len(payload))
	w.unsynced += int64(snapBlockHdr + len(payload))
	w.blocks++
	w.cur = w.cur[:0]
	w.curN = 0
	if w.unsynced >= snapSyncEvery {
		w.unsynced = 0
		if err := w.bw.Flush(); err != nil {
			return err
		}
		return datasync(w.f)
	}
	return nil
}

// Commit writes the footer, fsyncs, renames the file into place and fsyncs
// the directory. It returns the final path and size.
func (w *SnapshotWriter) Commit() (string, int64, error) {
	if err := w.flushBlock(); err != nil {
		w.Abort()
		return "", 0, err
	}
	foot := make([]byte, 0, 16+16*len(w.shards)+12)
	foot = binary.LittleEndian.AppendUint32(foot, snapFooterMagic)
	foot = binary.LittleEndian.AppendUint32(foot, uint32(len(w.shards)))
	for _, s := range w.shards {
		foot = binary.LittleEndian.AppendUint64(foot, s.Cut)
		foot = binary.LittleEndian.AppendUint64(foot, s.Keys)
	}
	foot = binary.LittleEndian.AppendUint64(foot, w.blocks)
	foot = binary.LittleEndian.AppendUint32(foot, crc32.Checksum(foot, snapCRC))
	foot = binary.LittleEndian.AppendUint32(foot, uint32(len(foot)))
	foot = binary.LittleEndian.AppendUint32(foot, snapEndMagic)
	if _, err := w.bw.Write(foot); err != nil {
		w.Abort()
		return "", 0, err
	}
	w.size += int64(len(foot))
	if err := w.bw.Flush(); err != nil {
		w.Abort()
		return "", 0, err
	}
	if err := w.f.Sync(); err != nil {
		w.Abort()
		return "", 0, err
	}
	if err := w.f.Close(); err != nil {
		w.Abort()
		return "", 0, err
	}
	final := filepath.Join(w.dir, fmt.Sprintf("snap-%020d.fcs", w.maxCut))
	if err := os.Rename(w.tmp, final); err != nil {
		os.Remove(w.tmp)
		return "", 0, err
	}
	if err := syncDir(w.dir); err != nil {
		return "", 0, err
	}
	return final, w.size, nil
}

// Abort removes the temporary file.
func (w *SnapshotWriter) Abort() {
	w.f.Close()
	os.Remove(w.tmp)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// SnapshotMeta describes a verified snapshot.
type SnapshotMeta struct {
	Path       string
	Created    time.Time
	Shards     []SnapshotShard // per shard of the writer
	WALSegment uint64          // first segment to replay after it
	Keys       uint64
	Size       int64
}

// MaxCut is the highest shard cut.
func (m *SnapshotMeta) MaxCut() uint64 {
	var c uint64
	for _, s := range m.Shards {
		c = max(c, s.Cut)
	}
	return c
}

// ListSnapshots returns the snapshot files in dir, newest first, and removes
// leftover temporary files of interrupted snapshots.
func ListSnapshots(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		switch {
		case strings.HasSuffix(n, ".fcs.tmp"):
			os.Remove(filepath.Join(dir, n))
		case strings.HasPrefix(n, "snap-") && strings.HasSuffix(n, ".fcs"):
			if _, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(n, "snap-"), ".fcs"), 10, 64); err == nil {
				out = append(out, filepath.Join(dir, n))
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, nil
}

type snapBlock struct {
	shard   int
	codec   byte
	payload []byte
	raw     int
	n       uint32
}

// ReadSnapshot verifies the snapshot at path and calls fn for every entry,
// from `workers` goroutines: all blocks of one writer shard go to the same
// worker, in file order, so fn is never called concurrently for one shard.
// Nothing is delivered unless the header and footer verify; a bad block
// stops the load with an error (the caller then falls back to an older
// snapshot). The Record passed to fn aliases internal buffers.
func ReadSnapshot(path string, workers int, fn func(shard int, r *Record)) (*SnapshotMeta, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	meta, blocks, err := parseSnapshot(path, data)
	if err != nil {
		return nil, err
	}
	if workers < 1 {
		workers = 1
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func(wk int) {
			defer wg.Done()
			var raw []byte
			var dec *zstd.Decoder
			var err error
			for _, b := range blocks {
				if b.shard%workers != wk {
					continue
				}
				p := b.payload
				switch b.codec {
				case 1:
					var n int
					n, err = s2.DecodedLen(p)
					if err != nil || n != b.raw {
						errs[wk] = fmt.Errorf("%s: block of shard %d: bad s2 payload", path, b.shard)
						return
					}
					raw, err = s2.Decode(raw[:cap(raw)], p)
					if err != nil {
						errs[wk] = fmt.Errorf("%s: block of shard %d: %w", path, b.shard, err)
						return
					}
					p = raw
				case 2:
					if dec == nil {
						snapZstdDecOnce.Do(func() { snapZstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0)) })
						dec = snapZstdDec
					}
					raw, err = dec.DecodeAll(p, raw[:0])
					if err != nil || len(raw) != b.raw {
						errs[wk] = fmt.Errorf("%s: block of shard %d: bad zstd payload", path, b.shard)
						return
					}
					p = raw
				}
				if err := decodeSnapEntries(p, b.n, b.shard, fn); err != nil {
					errs[wk] = fmt.Errorf("%s: block of shard %d: %w", path, b.shard, err)
					return
				}
			}
		}(wk)
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return meta, nil
}

// VerifySnapshot checks every checksum of the snapshot at path without
// delivering entries.
func VerifySnapshot(path string) (*SnapshotMeta, error) {
	return ReadSnapshot(path, 1, func(int, *Record) {})
}

// decodeSnapEntries calls fn with each entry as a record: a string entry
// as OpSet, a collection's entries as the records they hold (with the key's
// expiry in ExpireAt of its first one).
func decodeSnapEntries(p []byte, n uint32, shard int, fn func(int, *Record)) error {
	var r Record
	for i := uint32(0); i < n; i++ {
		if len(p) < 1 {
			return errors.New("truncated entry")
		}
		flags := p[0]
		p = p[1:]
		if flags&^(snapExp|snapDB|snapRec|snapMore) != 0 {
			return errors.New("unknown entry flags")
		}
		r = Record{Op: OpSet}
		if flags&snapExp != 0 {
			v, k := binary.Varint(p)
			if k <= 0 {
				return errors.New("bad expiry")
			}
			r.ExpireAt = v
			p = p[k:]
		}
		if flags&snapDB != 0 {
			v, k := binary.Uvarint(p)
			if k <= 0 || v > 1<<20 {
				return errors.New("bad database")
			}
			r.DB = int(v)
			p = p[k:]
		}
		kl, k := binary.Uvarint(p)
		if k <= 0 || kl > uint64(len(p)-k) {
			return errors.New("bad key length")
		}
		r.Key = p[k : k+int(kl)]
		p = p[k+int(kl):]
		if flags&snapRec != 0 {
			if len(p) < 1 {
				return errors.New("truncated entry")
			}
			r.Op = Op(p[0])
			if r.Op < 16 || !r.Op.Known() {
				return &UnsupportedError{What: fmt.Sprintf("snapshot entry of unknown record type %d", p[0])}
			}
			v, k := binary.Varint(p[1:])
			if k <= 0 {
				return errors.New("bad record argument")
			}
			r.Arg = v
			p = p[1+k:]
		}
		vl, k := binary.Uvarint(p)
		if k <= 0 || vl > uint64(len(p)-k) {
			return errors.New("bad value length")
		}
		r.Value = p[k : k+int(vl)]
		p = p[k+int(vl):]
		fn(shard, &r)
	}
	if len(p) != 0 {
		return errors.New("trailing bytes after the last entry")
	}
	return nil
}

func parseSnapshot(path string, data []byte) (*SnapshotMeta, []snapBlock, error) {
	bad := func(off int, why string) error {
		return fmt.Errorf("snapshot %s damaged at offset %d: %s", filepath.Base(path), off, why)
	}
	if len(data) < snapHeaderSize+8 {
		return nil, nil, bad(0, "file too short")
	}
	h := data[:snapHeaderSize]
	if binary.LittleEndian.Uint32(h[0:]) != snapMagic {
		return nil, nil, bad(0, "bad magic")
	}
	if crc32.Checksum(h[:28], snapCRC) != binary.LittleEndian.Uint32(h[28:]) {
		return nil, nil, bad(0, "header checksum mismatch")
	}
	if h[4] < 1 || h[4] > snapVersion {
		return nil, nil, &UnsupportedError{File: filepath.Base(path), Offset: 4, What: fmt.Sprintf("snapshot format version %d", h[4])}
	}
	shards := int(binary.LittleEndian.Uint32(h[16:]))
	meta := &SnapshotMeta{Path: path, Created: time.UnixMilli(int64(binary.LittleEndian.Uint64(h[8:]))),
		WALSegment: binary.LittleEndian.Uint64(h[20:]), Size: int64(len(data))}
	end := len(data)
	if binary.LittleEndian.Uint32(data[end-4:]) != snapEndMagic {
		return nil, nil, bad(end-4, "missing end marker (incomplete snapshot)")
	}
	flen := int(binary.LittleEndian.Uint32(data[end-8:]))
	if flen < 24 || flen > end-8-snapHeaderSize {
		return nil, nil, bad(end-8, "bad footer length")
	}
	fstart := end - 8 - flen
	foot := data[fstart : end-8]
	if crc32.Checksum(foot[:flen-4], snapCRC) != binary.LittleEndian.Uint32(foot[flen-4:]) {
		return nil, nil, bad(fstart, "footer checksum mismatch")
	}
	if binary.LittleEndian.Uint32(foot[0:]) != snapFooterMagic || int(binary.LittleEndian.Uint32(foot[4:])) != shards ||
		flen != 8+16*shards+8+4 {
		return nil, nil, bad(fstart, "footer does not match the header")
	}
	meta.Shards = make([]SnapshotShard, shards)
	for i := range meta.Shards {
		o := 8 + 16*i
		meta.Shards[i] = SnapshotShard{Cut: binary.LittleEndian.Uint64(foot[o:]), Keys: binary.LittleEndian.Uint64(foot[o+8:])}
		meta.Keys += meta.Shards[i].Keys
	}
	nblocks := binary.LittleEndian.Uint64(foot[8+16*shards:])
	var blocks []snapBlock
	off := snapHeaderSize
	for off < fstart {
		if fstart-off < snapBlockHdr {
			return nil, nil, bad(off, "truncated block header")
		}
		b := data[off : off+snapBlockHdr]
		if binary.LittleEndian.Uint16(b[0:]) != snapBlockMagic || b[2] > 2 {
			return nil, nil, bad(off, "bad block magic or codec")
		}
		stored := int(binary.LittleEndian.Uint32(b[8:]))
		raw := int(binary.LittleEndian.Uint32(b[12:]))
		shard := int(binary.LittleEndian.Uint32(b[4:]))
		if stored > fstart-off-snapBlockHdr || raw > snapMaxBlock || shard >= shards || (b[2] == 0 && stored != raw) {
			return nil, nil, bad(off, "impossible block length or shard")
		}
		payload := data[off+snapBlockHdr : off+snapBlockHdr+stored]
		if crc32.Update(crc32.Checksum(b[:20], snapCRC), snapCRC, payload) != binary.LittleEndian.Uint32(b[20:]) {
			return nil, nil, bad(off, "block checksum mismatch")
		}
		blocks = append(blocks, snapBlock{shard: shard, codec: b[2], payload: payload, raw: raw, n: binary.LittleEndian.Uint32(b[16:])})
		off += snapBlockHdr + stored
	}
	if uint64(len(blocks)) != nblocks {
		return nil, nil, bad(off, fmt.Sprintf("footer counts %d blocks, file holds %d", nblocks, len(blocks)))
	}
	return meta, blocks, nil
}

var _ io.Writer = (*bufio.Writer)(nil)
