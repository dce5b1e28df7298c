package server

// redis.call and redis.pcall as constants: `redis.call(...)` compiles to a
// global lookup of `redis` and a field lookup of `call` in it, through the
// read-only proxy in front of the redis table: three or four Go map
// lookups per call, for a value no script can change (the globals, the
// redis table and its proxy are read-only, and no script reaches setfenv).
// patchRedisCalls turns that pair of instructions into loads of the
// function the lookups find.

import (
	"context"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

// engineKey is the context value (killCtx's, loadTimeoutCtx's) that is
// their engine: what a coroutine's context, derived from one of them,
// finds it by.
type engineKey struct{}

// uncheckedEngine is the engine that last ran a bounded script, which
// runs without a context: redisCallK finds it here (or, when engines of
// several servers in one process run at once, in its state's registry).
// It keeps at most one engine that SCRIPT FLUSH dropped from the collector,
// until the next bounded script.
var uncheckedEngine atomic.Pointer[luaEngine]

// engineRegistryKey is the engine's entry in its state's registry.
const engineRegistryKey = "fastcache.engine"

func engineOfState(L *lua.LState) *luaEngine {
	if ud, ok := L.G.Registry.RawGetString(engineRegistryKey).(*lua.LUserData); ok {
		e, _ := ud.Value.(*luaEngine)
		return e
	}
	return nil
}

var (
	luaRedisCallK  = &lua.LFunction{IsG: true, GFunction: func(L *lua.LState) int { return redisCallK(L, true) }}
	luaRedisPcallK = &lua.LFunction{IsG: true, GFunction: func(L *lua.LState) int { return redisCallK(L, false) }}
)

// redisCallK is redis.call (raise) or redis.pcall of the engine L belongs
// to, found through its context: the engine's kill context, or while a
// library loads its timeout's. Both are the redis table's own call and
// pcall too, so the constants are the very values the lookups found.
func redisCallK(L *lua.LState, raiseErr bool) int {
	switch k := L.Context().(type) {
	case *killCtx:
		if k.eng != nil {
			return k.eng.redisCall(L, raiseErr)
		}
	case loadTimeoutCtx:
		if k.eng != nil {
			return k.eng.redisCall(L, raiseErr)
		}
	case nil:
		// A bounded script (script_bounded.go): its engine, and SCRIPT
		// KILL's check.
		e := uncheckedEngine.Load()
		if e == nil || e.L != L {
			e = engineOfState(L)
		}
		if e != nil {
			if r := e.run; r != nil && r.killed.Load() {
				L.RaiseError("%s", errScriptKilled.Error())
			}
			return e.redisCall(L, raiseErr)
		}
	case context.Context:
		// A coroutine's: gopher-lua gives each thread a context derived
		// from its parent's, which knows the engine.
		if e, ok := k.Value(engineKey{}).(*luaEngine); ok && e != nil {
			return e.redisCall(L, raiseErr)
		}
	}
	return raise(L, "redis.call can only be called inside a script invocation") // not reached
}

// patchRedisCalls rewrites, in p and the functions defined in it, each
// GETGLOBAL "redis" into register A directly followed by GETTABLEKS of
// "call" or "pcall" from and into A, as two loads of the constant: the
// register ends with the same function whichever of the two a jump lands
// on, and the instructions keep their places (jumps, line numbers).
func patchRedisCalls(p *lua.FunctionProto) {
	callK, pcallK := -1, -1
	for pc := 0; pc+1 < len(p.Code); pc++ {
		inst := p.Code[pc]
		if int(inst>>26) != lua.OP_GETGLOBAL {
			continue
		}
		bx := int(inst & 0x3ffff)
		if bx >= len(p.Constants) || p.Constants[bx] != lua.LString("redis") {
			continue
		}
		a := int(inst>>18) & 0xff
		next := p.Code[pc+1]
		const rkBit = 0x100 // RK(C) is a constant
		c := int(next>>9) & 0x1ff
		if int(next>>26) != lua.OP_GETTABLEKS || int(next>>18)&0xff != a || int(next&0x1ff) != a || c&rkBit == 0 {
			continue
		}
		k := c &^ rkBit
		if k >= len(p.Constants) {
			continue
		}
		var slot *int
		var fn *lua.LFunction
		switch p.Constants[k] {
		case lua.LString("call"):
			slot, fn = &callK, luaRedisCallK
		case lua.LString("pcall"):
			slot, fn = &pcallK, luaRedisPcallK
		default:
			continue
		}
		if *slot < 0 {
			if len(p.Constants) >= 1<<18 {
				continue // no room for a constant: the lookups stay
			}
			*slot = len(p.Constants)
			p.Constants = append(p.Constants, fn)
		}
		load := uint32(lua.OP_LOADK)<<26 | uint32(a)<<18 | uint32(*slot)
		p.Code[pc], p.Code[pc+1] = load, load
		pc++
	}
	for _, c := range p.FunctionPrototypes {
		patchRedisCalls(c)
	}
}

// KEYS and ARGV as constants: an EVAL script reads them with a lookup in
// the globals table each time (a Go map access). The engine keeps one
// KEYS and one ARGV table from run to run while it can (reuseStrings), and
// no script can assign either global (the globals are read-only), so the
// lookups become loads of a constant slot that holds the run's table: set
// before a run whenever the engine's tables are not the ones the slots
// hold (a new table, another engine).

// argTables are the slots of a script's functions that hold KEYS and ARGV.
type argTables struct {
	sites      []argSite
	keys, argv *lua.LTable // what the slots hold now
}

// argSite is a function's slots for KEYS and ARGV (-1: it reads neither).
type argSite struct {
	p          *lua.FunctionProto
	keys, argv int
}

// set makes the slots hold keys and argv.
func (a *argTables) set(keys, argv *lua.LTable) {
	a.keys, a.argv = keys, argv
	for _, s := range a.sites {
		if s.keys >= 0 {
			s.p.Constants[s.keys] = keys
		}
		if s.argv >= 0 {
			s.p.Constants[s.argv] = argv
		}
	}
}

// patchArgGlobals rewrites, in p and the functions defined in it, each
// GETGLOBAL of "KEYS" or "ARGV" into a load of a constant slot added for
// it (which holds nil until argTables.set fills it), and returns the
// slots.
func patchArgGlobals(p *lua.FunctionProto, sites []argSite) []argSite {
	site := argSite{p: p, keys: -1, argv: -1}
	for pc, inst := range p.Code {
		if int(inst>>26) != lua.OP_GETGLOBAL {
			continue
		}
		bx := int(inst & 0x3ffff)
		if bx >= len(p.Constants) {
			continue
		}
		var slot *int
		switch p.Constants[bx] {
		case lua.LString("KEYS"):
			slot = &site.keys
		case lua.LString("ARGV"):
			slot = &site.argv
		default:
			continue
		}
		if *slot < 0 {
			if len(p.Constants) >= 1<<18 {
				continue // no room for a constant: the lookup stays
			}
			*slot = len(p.Constants)
			p.Constants = append(p.Constants, lua.LNil)
		}
		a := int(inst>>18) & 0xff
		p.Code[pc] = uint32(lua.OP_LOADK)<<26 | uint32(a)<<18 | uint32(*slot)
	}
	if site.keys >= 0 || site.argv >= 0 {
		sites = append(sites, site)
	}
	for _, c := range p.FunctionPrototypes {
		sites = patchArgGlobals(c, sites)
	}
	return sites
}
