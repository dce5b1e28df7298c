package server

// Whether a function's keys and args tables may be refilled for its next
// call (FCALL), from its bytecode.

import lua "github.com/yuin/gopher-lua"

// paramsStayLocal reports whether a function of proto p can never let one
// of its parameters out of its own frame: it may index them (keys[1]),
// take their length (#args), write their elements (keys[1] = x) and return
// them (the reply is made at once), and nothing else (no copy into another
// register, no call, upvalue, global, table or operator gets them; a
// closure captures through such a copy). Then no reference to the tables
// FCALL passes outlives the call, and the next call may refill them
// (reuseStrings), as EVAL refills KEYS and ARGV. A function that does more
// with them gets new tables each call, as before. The check is by register:
// a parameter's register reused for another value only makes it stricter.
func paramsStayLocal(p *lua.FunctionProto) bool {
	if p == nil || p.IsVarArg != 0 {
		return false
	}
	np := int(p.NumParameters)
	param := func(r int) bool { return r < np }
	rk := func(x int) bool { return x&(1<<8) == 0 && param(x) } // a register (not a constant) holding a parameter
	span := func(from, n int) bool {                            // registers from..from+n-1 (n <= 0: to the top of the stack)
		if n <= 0 {
			return from < np
		}
		return from < np && from+n > 0
	}
	for pc := 0; pc < len(p.Code); pc++ {
		inst := p.Code[pc]
		op := int(inst >> 26)
		a, b, c := int(inst>>18)&0xff, int(inst&0x1ff), int(inst>>9)&0x1ff
		switch op {
		case lua.OP_MOVE:
			// #keys compiles to a copy that the next instruction consumes
			// and overwrites at once: R(t) := keys; R(t) := #R(t) (or an
			// index of it). Nothing can run in between.
			if param(b) {
				if pc+1 >= len(p.Code) {
					return false
				}
				next := p.Code[pc+1]
				nop, na, nb, nc := int(next>>26), int(next>>18)&0xff, int(next&0x1ff), int(next>>9)&0x1ff
				if na != a || nb != a || (nop != lua.OP_LEN && ((nop != lua.OP_GETTABLE && nop != lua.OP_GETTABLEKS) || rk(nc))) {
					return false
				}
				pc++
			}
		case lua.OP_MOVEN, lua.OP_UNM, lua.OP_TESTSET:
			if param(b) {
				return false
			}
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS: // R(B) indexed: fine; a parameter as the key is not
			if rk(c) {
				return false
			}
		case lua.OP_SETTABLE, lua.OP_SETTABLEKS: // into R(A): fine; a parameter as the key or value is not
			if rk(b) || rk(c) {
				return false
			}
		case lua.OP_SELF:
			if param(b) || rk(c) {
				return false
			}
		case lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW,
			lua.OP_EQ, lua.OP_LT, lua.OP_LE:
			if rk(b) || rk(c) {
				return false
			}
		case lua.OP_SETGLOBAL, lua.OP_SETUPVAL:
			if param(a) {
				return false
			}
		case lua.OP_CONCAT:
			if b < np {
				return false
			}
		case lua.OP_CALL, lua.OP_TAILCALL:
			if span(a, b) {
				return false
			}
		case lua.OP_SETLIST: // R(A+1) ... R(A+B), or to the top with B = 0
			if b == 0 && span(a, 0) || b > 0 && span(a, b+1) {
				return false
			}
		case lua.OP_FORLOOP, lua.OP_FORPREP:
			if span(a, 4) {
				return false
			}
		case lua.OP_TFORLOOP:
			if span(a, 3) {
				return false
			}
		case lua.OP_CLOSURE:
			// followed by one MOVE (a local) or GETUPVAL per upvalue it captures
			bx := int(inst & 0x3ffff)
			if bx >= len(p.FunctionPrototypes) {
				return false
			}
			for n := int(p.FunctionPrototypes[bx].NumUpvalues); n > 0; n-- {
				pc++
				if pc >= len(p.Code) {
					return false
				}
				if up := p.Code[pc]; int(up>>26) == lua.OP_MOVE && param(int(up&0x1ff)) {
					return false // captures a parameter
				}
			}
		case lua.OP_NOT, lua.OP_LEN, lua.OP_TEST, lua.OP_RETURN,
			lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_LOADNIL, lua.OP_GETUPVAL, lua.OP_GETGLOBAL,
			lua.OP_NEWTABLE, lua.OP_JMP, lua.OP_CLOSE, lua.OP_VARARG, lua.OP_NOP:
		default:
			return false // an opcode this does not know
		}
	}
	return true
}
