package persistence

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Preallocated segments. An fdatasync after an append must also commit the
// file's new size (a filesystem journal transaction: ext4 measured ~200 us
// per 4 KiB append against ~120-150 us to overwrite blocks already written),
// so under appendfsync always each group commit paid for metadata. The next
// segment is therefore prepared in the background: created under a name the
// log does not list (<segment>.prep), its header written, zero-filled to
// wal-segment-size and fsynced, then renamed into place when the log
// rotates to it; the writer overwrites the zeros, and its fdatasyncs flush
// data alone. (LPUSH -P16 under always: +25% with a zero-filled segment,
// BENCHMARKS.md.)
//
// A preallocated segment is longer than its frames: its tail is zeros. It
// is cut to its frames when it is closed (rotation, Close, recovery), so
// only the segment being written when the process died ends in zeros, and
// replay trims those as the clean end of the log (reader.go). The first
// segment after a start is a plain one (a start does not wait for 64 MiB of
// zeros): the next is prepared at once and the log moves to it as soon as
// it is ready; after that, the next segment is prepared when the current
// one is half full.
//
// When the preparation fails (a full disk), the log goes on appending to
// plain segments as before.

// prepSuffix names a segment being prepared, or prepared and not in use.
const prepSuffix = ".prep"

// prepChunk is how much is zero-filled between two fsyncs of the prepared
// file: little dirty data at a time, so that a WAL fsync that commits the
// filesystem's journal meanwhile has little of it to wait for.
const prepChunk = 1 << 20

// preparer makes the next segment in the background (one at a time).
type preparer struct {
	mu    sync.Mutex
	ready *os.File // prepared, for segment id
	id    uint64
	size  int64
	busy  bool
	wg    sync.WaitGroup
}

// startPrep prepares segment id in the background unless one is prepared
// or being prepared, or the log is closing.
func (w *WAL) startPrep(id uint64) {
	p := &w.prep
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy || w.closed.Load() || w.o.SegmentSize <= segHeaderSize {
		return
	}
	if p.ready != nil {
		if p.id == id {
			return
		}
		discardPrep(p.ready) // for a segment the log went past (recover)
		p.ready = nil
	}
	p.busy = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f, err := w.prepare(id)
		p.mu.Lock()
		p.busy = false
		if err != nil || w.closed.Load() {
			p.mu.Unlock()
			if err != nil {
				w.o.Log.Warn().Err(err).Msg("WAL: preparing the next segment failed; appending to plain segments")
			}
			if f != nil {
				discardPrep(f)
			}
			return
		}
		p.ready, p.id, p.size = f, id, w.o.SegmentSize
		p.mu.Unlock()
	}()
}

// prepare creates <segment id>.prep: the header, then zeros up to the
// segment size, fsynced.
func (w *WAL) prepare(id uint64) (*os.File, error) {
	path := filepath.Join(w.o.Dir, segName(id)+prepSuffix)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	h := segHeader(id, w.o.Shards)
	if _, err := f.Write(h[:]); err != nil {
		return fail(err)
	}
	zeros := make([]byte, prepChunk)
	for off := int64(segHeaderSize); off < w.o.SegmentSize; {
		n := min(int64(len(zeros)), w.o.SegmentSize-off)
		if _, err := f.Write(zeros[:n]); err != nil {
			return fail(err)
		}
		off += n
		if err := datasync(f); err != nil {
			return fail(err)
		}
		if w.closed.Load() {
			return fail(nil)
		}
	}
	return f, nil
}

// takePrep returns the prepared segment id (renamed into the log, its
// directory fsynced, positioned after the header), or nil.
func (w *WAL) takePrep(id uint64) (*os.File, int64) {
	p := &w.prep
	p.mu.Lock()
	f, fid, size := p.ready, p.id, p.size
	if f == nil || fid != id {
		p.mu.Unlock()
		return nil, 0
	}
	p.ready = nil
	p.mu.Unlock()
	path := filepath.Join(w.o.Dir, segName(id))
	if err := os.Rename(f.Name(), path); err != nil {
		discardPrep(f)
		return nil, 0
	}
	if err := syncDir(w.o.Dir); err != nil {
		f.Close()
		os.Remove(path)
		return nil, 0
	}
	if _, err := f.Seek(segHeaderSize, 0); err != nil {
		f.Close()
		os.Remove(path)
		return nil, 0
	}
	return f, size
}

// prepReady reports whether segment id is prepared.
func (w *WAL) prepReady(id uint64) bool {
	p := &w.prep
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ready != nil && p.id == id
}

// stopPrep waits for a preparation under way and removes what is
// prepared (Close).
func (w *WAL) stopPrep() {
	p := &w.prep
	p.wg.Wait()
	p.mu.Lock()
	if p.ready != nil {
		discardPrep(p.ready)
		p.ready = nil
	}
	p.mu.Unlock()
}

func discardPrep(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// removePrepLeftovers deletes prepared segments a crash left.
func removePrepLeftovers(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".wal"+prepSuffix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// segHeader is segment id's header.
func segHeader(id uint64, shards int) [segHeaderSize]byte {
	var h [segHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], segMagic)
	h[4] = segVersion
	binary.LittleEndian.PutUint64(h[8:], id)
	binary.LittleEndian.PutUint64(h[16:], uint64(time.Now().UnixMilli()))
	binary.LittleEndian.PutUint32(h[24:], uint32(shards))
	binary.LittleEndian.PutUint32(h[28:], crc32.Checksum(h[:28], crcTable))
	return h
}

// trimSegment cuts a preallocated current segment to its frames (before it
// is fsynced and closed).
func (w *WAL) trimSegment() {
	if w.f != nil && w.fileSize > w.segSize {
		if w.f.Truncate(w.segSize) == nil {
			w.fileSize = w.segSize
		}
	}
	w.slack.Store(0)
}
