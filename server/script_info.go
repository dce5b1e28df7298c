package server

// The scripting lines of INFO memory, as Redis 7.0 prints them.
//
// gopher-lua allocates from Go's heap, so a Lua state's memory cannot be
// read the way Redis reads lua_gc(LUA_GCCOUNT): used_memory_vm_eval and
// used_memory_vm_functions are each live state's up-front allocation (its
// call stack and registry, the bulk of an idle state), not the Lua objects
// a script creates (those are in go_heap_alloc). used_memory_scripts_eval is
// the cached scripts' SHA1s and bodies, used_memory_functions the
// libraries' names and code.

import (
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// luaStateBytes is what one Lua state allocates up front: luaCallStack
// frames of 10 words (gopher-lua's callFrame) and luaRegistry values.
const luaStateBytes = luaCallStack*10*int64(unsafe.Sizeof(uintptr(0))) + luaRegistry*int64(unsafe.Sizeof(lua.LValue(nil)))

func (s *Server) infoScripts(b *strings.Builder) {
	// Counters and pointers only: a script may be running (INFO from
	// redis.call), holding runMu.
	s.scr.mu.Lock()
	nscripts, evalBytes := len(s.scr.scripts), s.scr.bytes
	var vmEval, vmFunctions int64
	if s.scr.eng != nil {
		vmEval = luaStateBytes
	}
	if s.scr.fn.eng != nil {
		vmFunctions = luaStateBytes
	}
	s.scr.mu.Unlock()
	fnBytes := s.scr.fn.bytes.Load()
	infoKV(b, "used_memory_lua", vmEval)
	infoKV(b, "used_memory_vm_eval", vmEval)
	infoKV(b, "used_memory_lua_human", bytesToHuman(vmEval))
	infoKV(b, "used_memory_scripts_eval", evalBytes)
	infoKV(b, "number_of_cached_scripts", nscripts)
	infoKV(b, "number_of_functions", s.scr.fn.nfuncs.Load())
	infoKV(b, "number_of_libraries", s.scr.fn.nlibs.Load())
	infoKV(b, "used_memory_vm_functions", vmFunctions)
	infoKV(b, "used_memory_vm_total", vmEval+vmFunctions)
	infoKV(b, "used_memory_vm_total_human", bytesToHuman(vmEval+vmFunctions))
	infoKV(b, "used_memory_functions", fnBytes)
	infoKV(b, "used_memory_scripts", evalBytes+fnBytes)
	infoKV(b, "used_memory_scripts_human", bytesToHuman(evalBytes+fnBytes))
}
