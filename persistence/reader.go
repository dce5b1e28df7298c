package persistence

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/rs/zerolog"
)

// ReadOptions configure ReadDir.
type ReadOptions struct {
	// Repair truncates the log at the first damage instead of failing.
	Repair bool
	// StartSegment skips segments with a lower id (covered by a snapshot).
	StartSegment uint64
	// ReadOnly never modifies files (wal check without --repair, dump).
	ReadOnly bool
	Log      zerolog.Logger
	// Progress is called after each frame with the bytes read so far.
	Progress func(bytes int64)
	// frameVersion, if set, is called with each frame's format version (wal check).
	frameVersion func(v byte)
}

// ReadResult summarises a read of the log.
type ReadResult struct {
	Segments        int
	Frames, Records int64
	Bytes           int64 // bytes of the segments read
	MinLSN, MaxLSN  uint64
	TornBytes       int64 // cut off at the end of the last segment
	RepairedBytes   int64 // dropped by repair
	RepairedFrames  int64
	Damage          string // what repair (or check) found
}

// CorruptError is damage in the middle of the log.
type CorruptError struct {
	Segment string
	Offset  int64
	Reason  string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("WAL corrupt: %s offset %d: %s; run `fastcache wal check --repair DIR` or start with `--wal-repair yes` (drops everything from this point)",
		e.Segment, e.Offset, e.Reason)
}

// TotalBytes is the size of the segments ReadDir would read.
func TotalBytes(dir string, start uint64) int64 {
	segs, _ := listSegments(dir)
	var n int64
	for _, s := range segs {
		if s.id >= start {
			if st, err := os.Stat(s.path); err == nil {
				n += st.Size()
			}
		}
	}
	return n
}

// ReadDir reads every segment in order, verifies each frame and calls fn for
// its records, a frame at a time and all or nothing: a frame's records are
// all decoded and checked before the first is delivered. The Record passed
// to fn aliases internal buffers and is valid only during the call.
//
// A torn frame at the end of the last segment (a crash in mid-write: the
// rest of the file is zeros, too short for a frame, claims more bytes than
// the file has, or no valid frame follows) is cut off with a warning. Any
// other damage returns a *CorruptError naming the segment and offset, unless
// opts.Repair is set: then the damaged segment is copied to <name>.broken,
// truncated at the damage, and later segments are moved aside.
func ReadDir(dir string, opts ReadOptions, fn func(r *Record) error) (ReadResult, error) {
	var res ReadResult
	segs, err := listSegments(dir)
	if err != nil {
		return res, err
	}
	var live []segFile
	for _, s := range segs {
		if s.id >= opts.StartSegment {
			live = append(live, s)
		}
	}
	fr := &frameReader{}
	var done int64
	for si, s := range live {
		last := si == len(live)-1
		data, err := os.ReadFile(s.path)
		if err != nil {
			return res, err
		}
		res.Segments++
		res.Bytes += int64(len(data))
		name := filepath.Base(s.path)
		off, reason := 0, ""
		if len(data) < segHeaderSize || binary.LittleEndian.Uint32(data) != segMagic ||
			crc32.Checksum(data[:28], crcTable) != binary.LittleEndian.Uint32(data[28:]) {
			reason = "bad segment header"
		} else if v := data[4]; v != segVersion {
			return res, &UnsupportedError{File: name, Offset: 4, What: fmt.Sprintf("segment format version %d", v)}
		} else {
			off = segHeaderSize
			for off < len(data) {
				n, recs, why := fr.frame(data[off:])
				if why != "" && fr.unsupported {
					return res, &UnsupportedError{File: name, Offset: int64(off), What: why}
				}
				if why != "" {
					reason = why
					break
				}
				if opts.frameVersion != nil {
					opts.frameVersion(data[off+2])
				}
				for i := range recs {
					r := &recs[i]
					if res.MinLSN == 0 || r.LSN < res.MinLSN {
						res.MinLSN = r.LSN
					}
					res.MaxLSN = max(res.MaxLSN, r.LSN)
					if err := fn(r); err != nil {
						return res, err
					}
				}
				res.Frames++
				res.Records += int64(len(recs))
				off += n
				if opts.Progress != nil {
					opts.Progress(done + int64(off))
				}
			}
		}
		done += int64(len(data))
		if reason == "" {
			continue
		}
		if last && off >= segHeaderSize && allZero(data[off:]) {
			// the unused end of a preallocated segment (prealloc.go): the
			// clean end of its frames, cut off when the file may change.
			// Only the last segment may have one (a segment is cut to its
			// frames and fsynced before the next one is renamed in): zeros
			// at the end of an earlier one are damage, as before.
			// (A replay that may not change files leaves them; a later
			// start trims them.)
			res.Bytes -= int64(len(data) - off)
			opts.Log.Info().Str("segment", name).Int("offset", off).Int("preallocated_bytes", len(data)-off).
				Msg("WAL segment ends in preallocated space: trimmed")
			if !opts.ReadOnly {
				if err := truncateSync(s.path, int64(off)); err != nil {
					return res, err
				}
			}
			continue
		}
		if last && (off == 0 && len(data) < segHeaderSize || tornTail(data, off)) {
			res.TornBytes = int64(len(data) - off)
			opts.Log.Warn().Str("segment", name).Int("offset", off).Int64("dropped_bytes", res.TornBytes).
				Str("reason", reason).Msg("torn frame at the end of the WAL (crash in mid-write): cut off")
			if !opts.ReadOnly {
				if off == 0 {
					os.Remove(s.path)
				} else if err := truncateSync(s.path, int64(off)); err != nil {
					return res, err
				}
			}
			continue
		}
		cerr := &CorruptError{Segment: name, Offset: int64(off), Reason: reason}
		res.Damage = cerr.Error()
		if !opts.Repair {
			return res, cerr
		}
		// Repair: keep a copy, cut at the damage, move later segments aside.
		frames, bytesDropped := countFramesAfter(data, off)
		for _, later := range live[si+1:] {
			if st, err := os.Stat(later.path); err == nil {
				bytesDropped += st.Size()
			}
			if err := os.Rename(later.path, later.path+".broken"); err != nil {
				return res, err
			}
		}
		if err := os.WriteFile(s.path+".broken", data, 0o644); err != nil {
			return res, err
		}
		if off == 0 {
			os.Remove(s.path)
		} else if err := truncateSync(s.path, int64(off)); err != nil {
			return res, err
		}
		res.RepairedBytes, res.RepairedFrames = bytesDropped, frames
		opts.Log.Warn().Str("segment", name).Int("offset", off).Str("reason", reason).
			Int64("dropped_bytes", bytesDropped).Int64("dropped_frames_in_segment", frames).
			Int("later_segments_moved_aside", len(live)-si-1).
			Msg("WAL repaired: truncated at the first damage (copy kept as .broken)")
		syncDir(dir)
		return res, nil
	}
	return res, nil
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// tornTail reports whether the damage at off looks like an interrupted
// write rather than corruption: nothing valid follows it.
func tornTail(data []byte, off int) bool {
	rest := data[off:]
	if len(rest) < frameHdrSize || bytes.Count(rest, []byte{0}) == len(rest) {
		return true
	}
	if binary.LittleEndian.Uint16(rest) == frameMagic {
		stored := int(binary.LittleEndian.Uint32(rest[4:]))
		if frameHdrSize+stored > len(rest) {
			return true
		}
	}
	// a valid frame further on means the damage is in the middle
	var fr frameReader
	for p := off + 8; p+frameHdrSize <= len(data); p += 8 {
		if binary.LittleEndian.Uint16(data[p:]) == frameMagic {
			if _, _, why := fr.frame(data[p:]); why == "" {
				return false
			}
		}
	}
	return true
}

func countFramesAfter(data []byte, off int) (frames int64, dropped int64) {
	var fr frameReader
	for p := off; p+frameHdrSize <= len(data); p += 8 {
		if binary.LittleEndian.Uint16(data[p:]) == frameMagic {
			if _, _, why := fr.frame(data[p:]); why == "" {
				frames++
			}
		}
	}
	return frames, int64(len(data) - off)
}

// frameReader decodes frames, reusing its buffers.
type frameReader struct {
	// unsupported: the last failure was a valid frame of a format this
	// binary does not know (see UnsupportedError)
	unsupported bool
	raw         []byte
	recs        []Record
	zdec        *zstd.Decoder
}

// frame verifies and decodes the frame at the start of b. It returns the
// frame's length on disk (with padding) and its records, or a reason.
func (fr *frameReader) frame(b []byte) (int, []Record, string) {
	if len(b) < frameHdrSize {
		return 0, nil, "truncated frame header"
	}
	if binary.LittleEndian.Uint16(b) != frameMagic {
		return 0, nil, "bad frame magic"
	}
	fr.unsupported = false
	stored := int64(binary.LittleEndian.Uint32(b[4:]))
	rawLen := int64(binary.LittleEndian.Uint32(b[8:]))
	count := int(binary.LittleEndian.Uint32(b[12:]))
	if stored > int64(len(b)-frameHdrSize) {
		return 0, nil, fmt.Sprintf("frame length %d runs past the end of the file", stored)
	}
	payload := b[frameHdrSize : frameHdrSize+stored]
	if crc32.Update(crc32.Checksum(b[:32], crcTable), crcTable, payload) != binary.LittleEndian.Uint32(b[32:]) {
		return 0, nil, "frame checksum mismatch"
	}
	// The checksum holds: what follows is not damage. A version or codec
	// this binary does not know is newer data, never a torn tail to cut.
	if b[2] < 1 || b[2] > frameVersion || b[3] > codecZstd {
		fr.unsupported = true
		return 0, nil, fmt.Sprintf("unknown frame version %d or codec %d", b[2], b[3])
	}
	if rawLen > maxFrameRaw || (b[3] == codecNone && rawLen != stored) {
		return 0, nil, "impossible frame length"
	}
	switch b[3] {
	case codecS2:
		n, err := s2.DecodedLen(payload)
		if err != nil || int64(n) != rawLen {
			return 0, nil, "bad s2 payload"
		}
		fr.raw, err = s2.Decode(fr.raw[:cap(fr.raw)], payload)
		if err != nil {
			return 0, nil, "bad s2 payload"
		}
		payload = fr.raw
	case codecZstd:
		if fr.zdec == nil {
			fr.zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxFrameRaw))
		}
		var err error
		fr.raw, err = fr.zdec.DecodeAll(payload, fr.raw[:0])
		if err != nil || int64(len(fr.raw)) != rawLen {
			return 0, nil, "bad zstd payload"
		}
		payload = fr.raw
	}
	if count > len(payload)/3+1 {
		return 0, nil, "impossible record count"
	}
	fr.recs = fr.recs[:0]
	for len(payload) > 0 {
		var r Record
		n, err := decodeRecord(payload, &r)
		if err != nil {
			var u errUnknownOp
			fr.unsupported = errors.As(err, &u)
			return 0, nil, err.Error()
		}
		fr.recs = append(fr.recs, r)
		payload = payload[n:]
	}
	if len(fr.recs) != count {
		return 0, nil, fmt.Sprintf("frame holds %d records, header says %d", len(fr.recs), count)
	}
	l := (frameHdrSize + int(stored) + 7) &^ 7
	if l > len(b) {
		l = len(b) // the padding of the very last frame may be missing
	}
	// The padding is written as zeros; no checksum covers it, so a flipped
	// bit there is found here or never.
	for _, z := range b[frameHdrSize+stored : l] {
		if z != 0 {
			return 0, nil, "non-zero frame padding"
		}
	}
	return l, fr.recs, ""
}

// DecodeFrame verifies one frame (as sent by the export stream) and returns
// its records (aliasing internal buffers) and its length.
func DecodeFrame(b []byte) ([]Record, int, error) {
	var fr frameReader
	n, recs, why := fr.frame(b)
	if why != "" {
		return nil, 0, errors.New(why)
	}
	return recs, n, nil
}

// FrameDecoder decodes a sequence of frames, reusing its buffers and
// decompressors; records it returns are valid until the next call.
type FrameDecoder struct{ fr frameReader }

// Decode verifies the frame at the start of b and returns its records and length.
func (d *FrameDecoder) Decode(b []byte) ([]Record, int, error) {
	n, recs, why := d.fr.frame(b)
	if why != "" {
		return nil, 0, errors.New(why)
	}
	return recs, n, nil
}

// Check verifies every frame of the log in dir and prints a summary; with
// repair it truncates at the first damage like --wal-repair.
func Check(dir string, repair bool, w io.Writer) error {
	ops := map[Op]int64{}
	versions := map[byte]int64{}
	res, err := ReadDir(dir, ReadOptions{Repair: repair, ReadOnly: !repair, Log: zerolog.New(w),
		frameVersion: func(v byte) { versions[v]++ }}, func(r *Record) error {
		ops[r.Op]++
		return nil
	})
	var parts []string
	for _, op := range sortedOps(ops) {
		parts = append(parts, fmt.Sprintf("%s %d", op, ops[op]))
	}
	fmt.Fprintf(w, "segments: %d (format version %d)\nframes: %d", res.Segments, segVersion, res.Frames)
	for v := byte(1); v <= frameVersion; v++ {
		if versions[v] > 0 {
			fmt.Fprintf(w, " (version %d: %d)", v, versions[v])
		}
	}
	fmt.Fprintf(w, "\nrecords: %d (%s)\nbytes: %d\nlsn: %d..%d\n",
		res.Records, strings.Join(parts, ", "), res.Bytes, res.MinLSN, res.MaxLSN)
	if res.TornBytes > 0 {
		fmt.Fprintf(w, "torn tail: %d bytes at the end of the last segment\n", res.TornBytes)
	}
	if res.RepairedBytes > 0 {
		fmt.Fprintf(w, "repaired: dropped %d bytes (%s)\n", res.RepairedBytes, res.Damage)
	}
	if err != nil {
		fmt.Fprintf(w, "damage: %v\n", err)
		return err
	}
	fmt.Fprintln(w, "status: ok")
	return nil
}

func sortedOps(m map[Op]int64) []Op {
	var ops []Op
	for op := range m {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	return ops
}

// JSONRecord is a record as a JSON line (wal dump, wal tail): text stays
// text, anything that is not valid UTF-8 is base64 with an *_encoding field.
type JSONRecord struct {
	LSN      uint64   `json:"lsn"`
	Op       string   `json:"op"`
	Key      string   `json:"key,omitempty"`
	KeyEnc   string   `json:"key_encoding,omitempty"`
	Value    string   `json:"value,omitempty"`
	ValueEnc string   `json:"value_encoding,omitempty"`
	ExpireAt int64    `json:"expire_at,omitempty"`
	Offset   int64    `json:"offset,omitempty"` // setrange: where value is written
	DB       int      `json:"db,omitempty"`
	Group    int      `json:"group,omitempty"` // first record of a group of this many
	Arg      int64    `json:"arg,omitempty"`
	Items    []string `json:"items,omitempty"` // ops >= 16 (base64 when an item is not UTF-8, see items_encoding)
	ItemsEnc string   `json:"items_encoding,omitempty"`
	Source   string   `json:"source,omitempty"`
}

func jsonText(b []byte) (string, string) {
	if utf8.Valid(b) {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// NewJSONRecord converts r.
func NewJSONRecord(r *Record) JSONRecord {
	l := JSONRecord{LSN: r.LSN, Op: r.Op.String(), ExpireAt: r.ExpireAt, Offset: r.Offset, DB: r.DB, Arg: r.Arg, Group: r.Group}
	l.Key, l.KeyEnc = jsonText(r.Key)
	switch {
	case r.Op == OpSet || r.Op == OpSetRange:
		l.Value, l.ValueEnc = jsonText(r.Value)
	case r.Op >= 16:
		var raw [][]byte
		text := true
		Items(r.Value, func(it []byte) {
			raw = append(raw, it)
			text = text && utf8.Valid(it)
		})
		l.Items = []string{}
		for _, it := range raw {
			if text {
				l.Items = append(l.Items, string(it))
			} else {
				l.Items = append(l.Items, base64.StdEncoding.EncodeToString(it))
			}
		}
		if !text {
			l.ItemsEnc = "base64"
		}
	}
	return l
}

// Dump prints every record of the log in dir as a JSON line.
func Dump(dir string, w io.Writer) error {
	enc := json.NewEncoder(w)
	_, err := ReadDir(dir, ReadOptions{ReadOnly: true, Log: zerolog.New(os.Stderr)}, func(r *Record) error {
		return enc.Encode(NewJSONRecord(r))
	})
	return err
}
