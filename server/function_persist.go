package server

// Persistence glue for FUNCTION: a library change is logged as a record in
// the transaction of the command that made it (FUNCTION LOAD/DELETE/FLUSH/
// RESTORE run under Cache.Atomic), replayed on restart, applied by replicas
// and written into snapshots through the cache's function hooks
// (cache/functions.go). The records (persistence/function_ops.go):
// function-load (items: name, code), function-delete (items: name),
// function-flush (no items). Replaying a load compiles the library again
// (a REPLACE).

import (
	"errors"
	"fmt"

	"fastcache/cache"
	"fastcache/persistence"
)

func logFunctionLoad(ks cache.Keyspace, name, code string) {
	ks.LogFunction(persistence.OpFunctionLoad, cache.FunctionLoadBody(name, code))
}

func logFunctionDelete(ks cache.Keyspace, name string) {
	ks.LogFunction(persistence.OpFunctionDelete, persistence.AppendItem(nil, []byte(name)))
}

func logFunctionFlush(ks cache.Keyspace) {
	ks.LogFunction(persistence.OpFunctionFlush, nil)
}

// applyFunctionRecord applies a logged library change (replay, replicas,
// snapshot load). Scripts run under every shard lock and this is called
// with the functions' shard locked: no script is in progress that could
// see half of it.
func (s *Server) applyFunctionRecord(r *persistence.Record) {
	var items []string
	if !persistence.Items(r.Value, func(it []byte) { items = append(items, string(it)) }) {
		s.log.Error().Str("op", r.Op.String()).Msg("a malformed function record; skipped")
		return
	}
	s.scr.runMu.Lock()
	defer s.scr.runMu.Unlock()
	switch {
	case r.Op == persistence.OpFunctionLoad && len(items) == 2:
		name, code := items[0], items[1]
		lib, msg := s.compileLibrary(code, 0)
		if lib == nil {
			s.log.Error().Str("library", name).Str("error", msg).Msg("a logged function library does not load; skipped")
			return
		}
		if msg := s.scr.fn.install(lib, true); msg != "" {
			s.log.Error().Str("library", name).Str("error", msg).Msg("a logged function library does not install; skipped")
		}
	case r.Op == persistence.OpFunctionDelete && len(items) == 1:
		s.scr.fn.remove(items[0])
	case r.Op == persistence.OpFunctionFlush && len(items) == 0:
		s.flushFunctions()
	default:
		s.log.Error().Str("op", r.Op.String()).Int("items", len(items)).Msg("a malformed function record; skipped")
	}
}

// functionLibraries lists the libraries for a snapshot.
func (s *Server) functionLibraries() (names, codes []string) {
	s.scr.runMu.Lock()
	defer s.scr.runMu.Unlock()
	for _, l := range s.scr.fn.libs {
		names = append(names, l.name)
		codes = append(codes, l.code)
	}
	return names, codes
}

// ImportLibraries loads function libraries at start-up, before the server
// serves (those of an imported Redis RDB file), as FUNCTION LOAD REPLACE
// would: compiled, installed and logged. The first library that does not
// load is an error naming it; the ones before it stay.
func (s *Server) ImportLibraries(codes [][]byte) error {
	for _, code := range codes {
		lib, msg := s.compileLibrary(string(code), 0)
		if lib == nil {
			return errors.New(msg)
		}
		s.scr.runMu.Lock()
		msg = s.scr.fn.install(lib, true)
		s.scr.runMu.Unlock()
		if msg != "" {
			return fmt.Errorf("library %s: %s", lib.name, msg)
		}
		logFunctionLoad(s.cache.Keyspace(), lib.name, lib.code)
	}
	return nil
}
