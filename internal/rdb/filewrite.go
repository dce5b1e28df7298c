package rdb

import (
	"bufio"
	"encoding/binary"
	"io"
	"strconv"
)

// FileWriter writes an RDB file of version Version as redis-server writes
// dump.rdb (rdbSaveRio): the signature, AUX fields, the function
// libraries, then for each run of keys of one database SELECTDB and
// RESIZEDB, each key as [EXPIRETIME_MS] type key value, and at the end EOF
// and the CRC64 of every byte before it. A database may be selected more
// than once (the keys of one database need not be adjacent); Redis's
// loader, like ReadFile, takes a SELECTDB wherever it comes.
//
// Errors are sticky: after the first write error every call is a no-op
// and Close returns it.
type FileWriter struct {
	w    *bufio.Writer
	opts FileOptions
	crc  uint64
	err  error
	b    []byte // scratch for one record
}

// FileOptions are Redis's settings for the files it writes.
type FileOptions struct {
	NoCompress bool // strings without LZF (rdbcompression no); values: Writer.NoCompress
	NoChecksum bool // a checksum of 0, which readers skip (rdbchecksum no)
}

// NewFileWriter starts a file on w with the AUX fields aux (name, value
// pairs, in order; an integer value is written as an encoded integer, as
// Redis's rdbSaveAuxFieldStrInt does).
func NewFileWriter(w io.Writer, aux [][2]string, opts FileOptions) *FileWriter {
	f := &FileWriter{w: bufio.NewWriterSize(w, 256<<10), opts: opts}
	f.b = append(f.b[:0], "REDIS"...)
	f.b = append(f.b, []byte(strconv.Itoa(10000 + Version))[1:]...) // four digits
	for _, a := range aux {
		f.b = append(f.b, opAux)
		f.b = f.str(f.b, []byte(a[0]))
		f.b = f.str(f.b, []byte(a[1]))
	}
	f.flush()
	return f
}

func (f *FileWriter) str(b, s []byte) []byte { return appendString(b, s, !f.opts.NoCompress) }

// Function writes a function library (its code, FUNCTION LOAD's argument).
func (f *FileWriter) Function(code []byte) {
	f.b = append(f.b[:0], opFunction2)
	f.b = f.str(f.b, code)
	f.flush()
}

// SelectDB starts keys of database db; keys and expires (how many of them
// there are, and how many have a TTL) are the RESIZEDB hint.
func (f *FileWriter) SelectDB(db, keys, expires int) {
	f.b = append(f.b[:0], opSelectDB)
	f.b = AppendLen(f.b, uint64(db))
	f.b = append(f.b, opResizeDB)
	f.b = AppendLen(f.b, uint64(keys))
	f.b = AppendLen(f.b, uint64(expires))
	f.flush()
}

// Key writes one key of the current database: expireAt is its absolute
// expiry in unix ms (0: none), value its type byte and serialized value
// (a DUMP payload without its footer: Writer.Value).
func (f *FileWriter) Key(key []byte, expireAt int64, value []byte) {
	f.b = f.b[:0]
	if expireAt != 0 {
		f.b = binary.LittleEndian.AppendUint64(append(f.b, opExpireMs), uint64(expireAt))
	}
	f.b = append(f.b, value[0])
	f.b = f.str(f.b, key)
	f.flush()
	f.write(value[1:])
}

// Close writes EOF and the checksum and flushes; it returns the first
// error of any write.
func (f *FileWriter) Close() error {
	f.b = append(f.b[:0], opEOF)
	f.flush()
	var sum [8]byte
	if !f.opts.NoChecksum {
		binary.LittleEndian.PutUint64(sum[:], f.crc)
	}
	if f.err == nil {
		_, f.err = f.w.Write(sum[:])
	}
	if f.err == nil {
		f.err = f.w.Flush()
	}
	return f.err
}

// Err is the first write error (nil: none so far).
func (f *FileWriter) Err() error { return f.err }

func (f *FileWriter) flush() { f.write(f.b) }

func (f *FileWriter) write(p []byte) {
	if f.err != nil {
		return
	}
	if !f.opts.NoChecksum {
		f.crc = CRC64(f.crc, p)
	}
	_, f.err = f.w.Write(p)
}
