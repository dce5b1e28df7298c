package server

// Scripts that cannot run long. gopher-lua checks the kill context before
// every instruction when the state has one (that is how SCRIPT KILL stops
// `while true do end`), about 5% of a short script's CPU. A script whose
// bytecode ends within a few thousand instructions whatever its data runs
// without the context instead; SCRIPT KILL then stops it at its next
// redis.call, or it ends first (as a Redis script can end before its hook
// next looks, every 100000 instructions).
//
// boundedScript accepts only what it can prove: one function (no closures,
// so no recursion), jumps forward only but for numeric for loops whose
// start, limit and step are constants loaded just before the loop (and no
// instruction of the body writes the loop's registers), and calls only of
// redis.call and redis.pcall (the constants patchRedisCalls loads), which
// never run Lua (`return redis.call(...)` is a tail call of it), and of the
// function `..` became (boundedCallee). Metamethods cannot run Lua code either: the script cannot
// call setmetatable, its tables (KEYS, ARGV, replies, its own) have none,
// and the read-only proxies' and the globals' handlers are Go functions
// that raise.

import lua "github.com/yuin/gopher-lua"

// boundedMaxSteps bounds the instructions a bounded script may run.
const boundedMaxSteps = 10000

// instWrites is the range of registers inst writes (lo > hi: none; hi
// 255: to the top), and whether boundedScript knows the opcode at all.
func instWrites(inst uint32) (lo, hi int, known bool) {
	a, b := int(inst>>18)&0xff, int(inst&0x1ff)
	switch int(inst >> 26) {
	case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_GETGLOBAL, lua.OP_GETTABLE,
		lua.OP_GETTABLEKS, lua.OP_NEWTABLE, lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD,
		lua.OP_POW, lua.OP_UNM, lua.OP_NOT, lua.OP_LEN, lua.OP_TESTSET:
		return a, a, true
	case lua.OP_LOADNIL:
		return a, b, true
	case lua.OP_SELF:
		return a, a + 1, true
	case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_VARARG:
		return a, 255, true
	case lua.OP_FORPREP, lua.OP_FORLOOP:
		return a, a + 3, true
	case lua.OP_SETGLOBAL, lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_EQ, lua.OP_LT, lua.OP_LE,
		lua.OP_TEST, lua.OP_JMP, lua.OP_RETURN, lua.OP_SETLIST, lua.OP_CLOSE, lua.OP_NOP:
		return 1, 0, true
	}
	return 1, 0, false // closures, upvalues, generic for, CONCAT
}

// boundedCallee: the functions a bounded script may call, which run no
// Lua code there: redis.call and redis.pcall, and `..` (script_concat.go:
// only a __concat metamethod would run Lua, and no value such a script
// can reach has one).
func boundedCallee(v lua.LValue) bool {
	return v == lua.LValue(luaRedisCallK) || v == lua.LValue(luaRedisPcallK) ||
		v == lua.LValue(luaConcatFn) || v == lua.LValue(luaConcatNamedFn)
}

// boundedScript reports whether the main chunk p surely ends within
// boundedMaxSteps instructions (see above). Call it after patchRedisCalls.
func boundedScript(p *lua.FunctionProto) bool {
	if p == nil || len(p.FunctionPrototypes) > 0 || len(p.Code) > boundedMaxSteps {
		return false
	}
	code := p.Code
	n := len(code)
	sbx := func(inst uint32) int { return int(inst&0x3ffff) - (1<<18-1)>>1 }
	type jump struct{ from, to int }
	var jumps []jump
	type loop struct {
		prep, end int // the FORPREP and its FORLOOP
		times     int
	}
	var loops []loop
	for pc, inst := range code {
		if _, _, ok := instWrites(inst); !ok {
			return false
		}
		switch int(inst >> 26) {
		case lua.OP_JMP:
			if sbx(inst) < 0 {
				return false // a while or repeat loop
			}
			jumps = append(jumps, jump{pc, pc + 1 + sbx(inst)})
		case lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_TEST, lua.OP_TESTSET:
			jumps = append(jumps, jump{pc, pc + 2})
		case lua.OP_LOADBOOL:
			if int(inst>>9)&0x1ff != 0 {
				jumps = append(jumps, jump{pc, pc + 2})
			}
		case lua.OP_FORPREP:
			a := int(inst>>18) & 0xff
			end := pc + 1 + sbx(inst)
			if end <= pc || end >= n || int(code[end]>>26) != lua.OP_FORLOOP ||
				int(code[end]>>18)&0xff != a || end+1+sbx(code[end]) != pc+1 || pc < 3 {
				return false
			}
			var k [3]float64
			for i := 0; i < 3; i++ {
				ld := code[pc-3+i]
				bx := int(ld & 0x3ffff)
				if int(ld>>26) != lua.OP_LOADK || int(ld>>18)&0xff != a+i || bx >= len(p.Constants) {
					return false
				}
				v, ok := p.Constants[bx].(lua.LNumber)
				if !ok {
					return false
				}
				k[i] = float64(v)
			}
			start, limit, step := k[0], k[1], k[2]
			if step == 0 {
				return false // loops forever
			}
			times := 0.0
			if step > 0 && limit >= start {
				times = (limit-start)/step + 1
			} else if step < 0 && limit <= start {
				times = (start-limit)/-step + 1
			}
			if !(times <= boundedMaxSteps) { // (NaN too)
				return false
			}
			loops = append(loops, loop{pc, end, int(times) + 1})
			jumps = append(jumps, jump{pc, end})
		case lua.OP_FORLOOP:
			// its back jump is its loop's (checked with the FORPREP)
		}
	}
	for _, j := range jumps {
		if j.to < 0 || j.to > n {
			return false
		}
	}
	// Each loop: nothing but its own FORPREP and body jumps into its body
	// or onto its constants, and nothing in the body writes its registers.
	for _, l := range loops {
		a := int(code[l.prep]>>18) & 0xff
		for _, j := range jumps {
			inBody := j.to > l.prep && j.to <= l.end
			from := j.from > l.prep && j.from <= l.end
			if (inBody && !from && j.from != l.prep) || (j.to >= l.prep-2 && j.to <= l.prep) {
				return false
			}
		}
		for pc := l.prep + 1; pc < l.end; pc++ {
			if lo, hi, _ := instWrites(code[pc]); lo <= a+2 && hi >= a {
				return false
			}
		}
	}
	// The instructions it may run: each counted once per pass of every
	// loop around it (loops nest or are apart, as the parser makes them).
	steps := 0
	for pc := range code {
		m := 1
		for _, l := range loops {
			if pc > l.prep && pc <= l.end {
				m *= l.times
				if m > boundedMaxSteps {
					return false
				}
			}
		}
		if steps += m; steps > boundedMaxSteps {
			return false
		}
	}
	// Calls: of the register a load of redis.call or redis.pcall wrote
	// last, with no jump into the instructions between from outside them.
	for pc, inst := range code {
		if op := int(inst >> 26); op != lua.OP_CALL && op != lua.OP_TAILCALL {
			continue
		}
		a := int(inst>>18) & 0xff
		w := pc - 1
		for ; w >= 0; w-- {
			if lo, hi, _ := instWrites(code[w]); lo <= a && hi >= a {
				break
			}
		}
		if w < 0 || int(code[w]>>26) != lua.OP_LOADK {
			return false
		}
		if bx := int(code[w] & 0x3ffff); bx >= len(p.Constants) || !boundedCallee(p.Constants[bx]) {
			return false
		}
		for _, j := range jumps {
			if j.to > w && j.to <= pc && (j.from <= w || j.from >= pc) {
				return false
			}
		}
		for _, l := range loops { // a loop's back jump to its body's start
			if l.prep+1 > w && l.prep+1 <= pc && (l.end <= w || l.end >= pc) {
				return false
			}
		}
	}
	return true
}
