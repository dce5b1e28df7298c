package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// An RDB file as redis-server writes it (dump.rdb): "REDIS" and a
// four-digit version, then opcodes and key-value pairs up to EOF and,
// from version 5, a CRC64 of everything before it. ReadFile reads one of
// any version up to Version, for importing a Redis dataset.

// Opcodes of an RDB file (Redis's rdb.h).
const (
	opFunction  = 246 // RDB_OPCODE_FUNCTION_PRE_GA
	opModuleAux = 247
	opIdle      = 248
	opFreq      = 249
	opAux       = 250
	opResizeDB  = 251
	opExpireMs  = 252
	opExpireSec = 253
	opSelectDB  = 254
	opEOF       = 255
)

// FileEntry is one key of an RDB file.
type FileEntry struct {
	DB       int
	Key      []byte // a slice of the file's bytes
	Value    *Value
	ExpireAt int64 // unix ms; 0: none
}

// FileInfo is what ReadFile found besides the keys.
type FileInfo struct {
	Version   int
	Aux       map[string]string // redis-ver, ctime, used-mem, ...
	Functions [][]byte          // library codes (FUNCTION LOAD's argument)
	Keys      int64
	// Empty counts the keys skipped because they held an empty collection
	// (as Redis 7.0 skips them when it loads a file); EmptyKeys names the
	// first 100 of them.
	Empty     int64
	EmptyKeys []string
}

// ErrNotRDB: the file does not start with Redis's signature.
var ErrNotRDB = errors.New("rdb: not an RDB file (no REDIS signature)")

// ReadFile reads the RDB file b, calling fn for each key in file order; an
// error from fn stops it. A file of a later version than Version, a
// module's data, a bad checksum or any malformed part is an error that
// names the offset where it was found.
func ReadFile(b []byte, fn func(FileEntry) error) (FileInfo, error) {
	info := FileInfo{Aux: map[string]string{}}
	if len(b) < 9 || string(b[:5]) != "REDIS" {
		return info, ErrNotRDB
	}
	ver, err := strconv.Atoi(string(b[5:9]))
	if err != nil || ver < 1 {
		return info, ErrNotRDB
	}
	info.Version = ver
	if ver > Version {
		return info, fmt.Errorf("rdb: file version %d is newer than this server reads (%d)", ver, Version)
	}
	r := &reader{b: b, p: 9}
	bad := func(what string, err error) (FileInfo, error) {
		return info, fmt.Errorf("rdb: %s at offset %d: %w", what, r.p, err)
	}
	db := 0
	var expireAt int64
	for {
		t, err := r.byte()
		if err != nil {
			return bad("file cut short (no EOF)", err)
		}
		switch t {
		case opEOF:
			if ver >= 5 && r.left() >= 8 {
				want := binary.LittleEndian.Uint64(b[r.p:])
				if want != 0 && CRC64(0, b[:r.p]) != want { // 0: written with rdbchecksum no
					return bad("checksum mismatch", ErrChecksum)
				}
			}
			return info, nil
		case opSelectDB:
			n, _, err := r.length()
			if err != nil {
				return bad("SELECTDB", err)
			}
			db = int(min(n, 1<<31))
			continue
		case opResizeDB:
			if _, _, err := r.length(); err != nil {
				return bad("RESIZEDB", err)
			}
			if _, _, err := r.length(); err != nil {
				return bad("RESIZEDB", err)
			}
			continue
		case opAux:
			k, err := r.str()
			if err != nil {
				return bad("AUX field", err)
			}
			v, err := r.str()
			if err != nil {
				return bad("AUX field", err)
			}
			info.Aux[string(k)] = string(v)
			continue
		case opExpireMs:
			x, err := r.bytes(8)
			if err != nil {
				return bad("EXPIRETIME_MS", err)
			}
			expireAt = int64(binary.LittleEndian.Uint64(x))
			continue
		case opExpireSec:
			x, err := r.bytes(4)
			if err != nil {
				return bad("EXPIRETIME", err)
			}
			expireAt = int64(binary.LittleEndian.Uint32(x)) * 1000
			continue
		case opIdle:
			if _, _, err := r.length(); err != nil {
				return bad("IDLE", err)
			}
			continue
		case opFreq:
			if _, err := r.byte(); err != nil {
				return bad("FREQ", err)
			}
			continue
		case opFunction2:
			code, err := r.str()
			if err != nil {
				return bad("function library", err)
			}
			info.Functions = append(info.Functions, append([]byte(nil), code...))
			continue
		case opFunction:
			code, err := r.preGA()
			if err != nil {
				return bad("function library", err)
			}
			info.Functions = append(info.Functions, code)
			continue
		case opModuleAux:
			return bad("module data (modules are not supported)", ErrBadFormat)
		}
		key, err := r.str()
		if err != nil {
			return bad("key", err)
		}
		v, err := r.value(t)
		if errors.Is(err, ErrEmpty) {
			info.Empty++
			if len(info.EmptyKeys) < 100 {
				info.EmptyKeys = append(info.EmptyKeys, truncKey(key))
			}
			expireAt = 0
			continue
		}
		if err != nil {
			return bad(fmt.Sprintf("value of type %d of key %q", t, truncKey(key)), fmt.Errorf("%s: %w", integrityMsg(t), err))
		}
		if err := fn(FileEntry{DB: db, Key: key, Value: v, ExpireAt: expireAt}); err != nil {
			return info, err
		}
		info.Keys++
		expireAt = 0
	}
}

func truncKey(k []byte) string {
	if len(k) > 64 {
		return string(k[:64]) + "..."
	}
	return string(k)
}
