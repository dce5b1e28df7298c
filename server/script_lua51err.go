package server

// Lua 5.1's runtime error texts (Redis's Lua) for what gopher-lua's VM
// words its own way: "attempt to call local 'f' (a nil value)" where
// gopher-lua says "attempt to call a non-function object", "attempt to
// index field 'x' (a nil value)" for "attempt to index a non-table
// object(nil) with key 'y'", "attempt to perform arithmetic on ..." for
// "cannot perform add operation between ...", and so on. Scripts see these
// texts in pcall's message and clients in the error reply, and both match
// on them.
//
// Naming the variable as Lua 5.1 does (its getobjname: a local, a global, a
// field, a method or an upvalue) needs the failing instruction and the
// value in its register: both are in gopher-lua's call frame, which its
// API does not export. frameAccess reads them through a mirror of its
// layout, checked against the real types with reflect when the package
// loads; if the layout ever differs, the texts keep the generic form
// ("attempt to call a nil value") and nothing is read.

import (
	"reflect"
	"strings"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// gluaCallFrame mirrors gopher-lua's callFrame.
type gluaCallFrame struct {
	Idx        int
	Fn         *lua.LFunction
	Parent     *gluaCallFrame
	Pc         int
	Base       int
	LocalBase  int
	ReturnBase int
	NArgs      int
	NRet       int
	TailCall   int
}

// gluaRegistry mirrors the head of gopher-lua's registry.
type gluaRegistry struct {
	array []lua.LValue
	top   int
}

var (
	pcallPC       uintptr // luaPcall's and luaXpcall's code (pcallBase)
	xpcallPC      uintptr
	frameAccessOK bool
	regOffset     uintptr // of LState.reg
	uvOffset      uintptr // of LState.uvcache
	uvIndexOffset uintptr // of Upvalue.index
)

func init() {
	frameAccessOK = checkFrameLayout()
	pcallPC = reflect.ValueOf(luaPcall).Pointer()
	xpcallPC = reflect.ValueOf(luaXpcall).Pointer()
}

// checkFrameLayout reports whether the mirrors match gopher-lua's types:
// every field's name, type and offset.
func checkFrameLayout() bool {
	dt := reflect.TypeOf(lua.Debug{})
	if dt.NumField() == 0 || dt.Field(0).Name != "frame" || dt.Field(0).Offset != 0 || dt.Field(0).Type.Kind() != reflect.Pointer {
		return false
	}
	if !sameLayout(dt.Field(0).Type.Elem(), reflect.TypeOf(gluaCallFrame{}), map[string]string{"Parent": "*lua.callFrame"}) {
		return false
	}
	st := reflect.TypeOf(lua.LState{})
	f, ok := st.FieldByName("reg")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return false
	}
	rt := f.Type.Elem()
	if rt.NumField() < 2 || rt.Field(0).Name != "array" || rt.Field(0).Type != reflect.TypeOf([]lua.LValue(nil)) || rt.Field(0).Offset != 0 ||
		rt.Field(1).Name != "top" || rt.Field(1).Type.Kind() != reflect.Int {
		return false
	}
	uv, ok := st.FieldByName("uvcache")
	if !ok || uv.Type != reflect.TypeOf((*lua.Upvalue)(nil)) {
		return false
	}
	ut := reflect.TypeOf(lua.Upvalue{})
	if ut.NumField() < 3 || ut.Field(0).Name != "next" || ut.Field(0).Offset != 0 || ut.Field(0).Type != reflect.TypeOf((*lua.Upvalue)(nil)) ||
		ut.Field(2).Name != "index" || ut.Field(2).Type.Kind() != reflect.Int {
		return false
	}
	regOffset, uvOffset, uvIndexOffset = f.Offset, uv.Offset, ut.Field(2).Offset
	return true
}

// closeUpvalues is gopher-lua's closeUpvalues(idx), which Lua runs when
// an error unwinds a pcall: every open upvalue of a register from idx up
// takes its value along, so a closure made in the failed call does not
// read registers the next calls reuse. (gopher-lua itself, raising with no
// handler, closes every open upvalue, the caller's locals' too: a closure
// over one of them then no longer sees it change.) Open upvalues are kept
// in a list by ascending register.
func closeUpvalues(L *lua.LState, idx int) {
	head := (**lua.Upvalue)(unsafe.Add(unsafe.Pointer(L), uvOffset))
	next := func(uv *lua.Upvalue) **lua.Upvalue { return (**lua.Upvalue)(unsafe.Pointer(uv)) }
	var prev *lua.Upvalue
	for uv := *head; uv != nil; uv = *next(uv) {
		if *(*int)(unsafe.Add(unsafe.Pointer(uv), uvIndexOffset)) >= idx {
			if prev != nil {
				*next(prev) = nil
			} else {
				*head = nil
			}
			for ; uv != nil; uv = *next(uv) {
				uv.Close()
			}
			return
		}
		prev = uv
	}
}

// pcallBase is the first register of the calls the innermost pcall or
// xpcall protects (0 when there is none: all of them).
func pcallBase(L *lua.LState) int {
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			return 0
		}
		if cf := debugFrame(dbg); cf != nil && cf.Fn != nil && cf.Fn.IsG && cf.Fn.GFunction != nil &&
			(reflect.ValueOf(cf.Fn.GFunction).Pointer() == pcallPC || reflect.ValueOf(cf.Fn.GFunction).Pointer() == xpcallPC) {
			return cf.LocalBase
		}
	}
}

// luaPcallErrh is pcall's error handler: the message in Lua 5.1's words,
// while the failed call's frames are still there to name its variables.
var luaPcallErrh = &lua.LFunction{IsG: true, GFunction: luaPcallErrorHandler}

func luaPcallErrorHandler(L *lua.LState) int {
	v := L.Get(1)
	if s, ok := v.(lua.LString); ok {
		v = lua.LString(lua51ErrorText(L, 1, string(s)))
	}
	closeUpvalues(L, pcallBase(L))
	L.Push(v)
	return 1
}

// pcallHandler is the handler luaPcall gives PCall: nil (gopher-lua's
// texts) when the frame layout is unknown.
func pcallHandler() *lua.LFunction {
	if frameAccessOK {
		return luaPcallErrh
	}
	return nil
}

// sameLayout compares the fields of real and mirror; other names the
// types of fields whose mirror type differs on purpose.
func sameLayout(real, mirror reflect.Type, other map[string]string) bool {
	if real.Kind() != reflect.Struct || real.NumField() != mirror.NumField() || real.Size() != mirror.Size() {
		return false
	}
	for i := 0; i < real.NumField(); i++ {
		r, m := real.Field(i), mirror.Field(i)
		if r.Name != m.Name || r.Offset != m.Offset {
			return false
		}
		if want, ok := other[r.Name]; ok {
			if r.Type.String() != want {
				return false
			}
		} else if r.Type != m.Type {
			return false
		}
	}
	return true
}

// debugFrame is dbg's call frame, nil when the layout is unknown.
func debugFrame(dbg *lua.Debug) *gluaCallFrame {
	if !frameAccessOK || dbg == nil {
		return nil
	}
	return *(**gluaCallFrame)(unsafe.Pointer(dbg))
}

// luaRegister is the value in L's register i (absolute), LNil outside.
func luaRegister(L *lua.LState, i int) lua.LValue {
	reg := *(**gluaRegistry)(unsafe.Add(unsafe.Pointer(L), regOffset))
	if reg == nil || i < 0 || i >= len(reg.array) || reg.array[i] == nil {
		return lua.LNil
	}
	return reg.array[i]
}

// lua51ErrorText rewrites msg, a runtime error gopher-lua raised in the
// frame at level (of L's stack, from the error handler), in Lua 5.1's
// words. Anything else is returned as it is.
func lua51ErrorText(L *lua.LState, level int, msg string) string {
	// the position gopher-lua put in front: "user_script:1: "
	pos, body := splitPosition(msg)
	switch {
	case strings.HasPrefix(body, "attempt to compare "):
		// "attempt to compare T with T" is "two T values" in Lua 5.1
		if a, b, ok := strings.Cut(body[len("attempt to compare "):], " with "); ok && a == b {
			return pos + "attempt to compare two " + a + " values"
		}
		return msg
	case body == "for statement init must be a number":
		return pos + "'for' initial value must be a number"
	case body == "for statement limit must be a number":
		return pos + "'for' limit must be a number"
	case body == "for statement step must be a number":
		return pos + "'for' step must be a number"
	}
	var op string
	switch {
	case body == "attempt to call a non-function object":
		op = "call"
	case strings.HasPrefix(body, "attempt to index a non-table object("):
		op = "index"
	case strings.HasPrefix(body, "cannot perform ") && strings.Contains(body, " operation between "),
		body == "__unm undefined":
		op = "perform arithmetic on"
	case body == "__len undefined":
		op = "get length of"
	case strings.HasPrefix(body, "bad argument #"):
		if strings.HasSuffix(body, ", got nil)") {
			body = noValueArg(L, level, body)
		}
		return pos + methodArg(L, level, body)
	default:
		return msg
	}
	dbg, ok := L.GetStack(level)
	cf := debugFrame(dbg)
	if !ok || cf == nil || cf.Fn == nil || cf.Fn.IsG || cf.Fn.Proto == nil || cf.Pc < 1 || cf.Pc > len(cf.Fn.Proto.Code) {
		if op == "call" {
			// a Go function calling a value that is not one
			return pos + "attempt to call a nil value"
		}
		return msg
	}
	p := cf.Fn.Proto
	pc := cf.Pc - 1
	inst := p.Code[pc]
	a, b, c := int(inst>>18)&0xff, int(inst&0x1ff), int(inst>>9)&0x1ff
	reg := -1 // the register of the culprit, -1: a constant
	var v lua.LValue = lua.LNil
	switch opc := int(inst >> 26); {
	case op == "call" && (opc == lua.OP_CALL || opc == lua.OP_TAILCALL):
		reg = a
	case op == "call" && opc == lua.OP_TFORLOOP:
		v = luaRegister(L, cf.LocalBase+a)
		return pos + "attempt to call a " + v.Type().String() + " value"
	case op == "index" && (opc == lua.OP_GETTABLE || opc == lua.OP_GETTABLEKS || opc == lua.OP_SELF):
		reg = b
	case op == "index" && (opc == lua.OP_SETTABLE || opc == lua.OP_SETTABLEKS):
		reg = a
	case op == "perform arithmetic on" && (opc == lua.OP_UNM):
		reg = b
	case op == "get length of" && opc == lua.OP_LEN:
		reg = b
	case op == "perform arithmetic on" && opc >= lua.OP_ADD && opc <= lua.OP_POW:
		// Lua 5.1 blames the first operand unless it is a number (or a
		// string that reads as one), then the second
		rk := func(x int) (int, lua.LValue) {
			if x&0x100 != 0 {
				if k := x &^ 0x100; k < len(p.Constants) {
					return -1, p.Constants[k]
				}
				return -1, lua.LNil
			}
			return x, luaRegister(L, cf.LocalBase+x)
		}
		r1, v1 := rk(b)
		r2, v2 := rk(c)
		if !arithNumber(v1) {
			r2, v2 = r1, v1
		}
		reg, v = r2, v2
		return pos + typeErrorText(cf, pc, reg, v, op)
	default:
		if op == "call" {
			return pos + "attempt to call a nil value"
		}
		return msg
	}
	v = luaRegister(L, cf.LocalBase+reg)
	if op == "index" {
		// an __index chain that met a value neither table nor function
		// fails on that value, not on the register's
		if t := strings.TrimPrefix(body, "attempt to index a non-table object("); !strings.HasPrefix(t, v.Type().String()+")") {
			typ, _, _ := strings.Cut(t, ")")
			return pos + "attempt to index a " + typ + " value"
		}
	}
	return pos + typeErrorText(cf, pc, reg, v, op)
}

// arithNumber is luaV_tonumber's test: a number, or a string that reads
// as one.
func arithNumber(v lua.LValue) bool {
	switch x := v.(type) {
	case lua.LNumber:
		return true
	case lua.LString:
		_, ok := luaStr2Number(string(x))
		return ok
	}
	return false
}

// typeErrorText is luaG_typeerror's text: "attempt to <op> <kind> '<name>'
// (a <type> value)", or "attempt to <op> a <type> value" when Lua 5.1
// finds no name (a constant, a temporary).
func typeErrorText(cf *gluaCallFrame, pc, reg int, v lua.LValue, op string) string {
	t := v.Type().String()
	if reg >= 0 {
		if kind, name := objName(cf.Fn.Proto, pc, reg); kind != "" {
			return "attempt to " + op + " " + kind + " '" + name + "' (a " + t + " value)"
		}
	}
	return "attempt to " + op + " a " + t + " value"
}

// objName is Lua 5.1's getobjname: what register reg holds at pc.
func objName(p *lua.FunctionProto, pc, reg int) (kind, name string) {
	for depth := 0; depth < 16; depth++ {
		if n, ok := localName(p, reg+1, pc); ok {
			return "local", n
		}
		i, ok := symbexec(p, pc, reg)
		if !ok {
			return "", ""
		}
		a, b, c := int(i>>18)&0xff, int(i&0x1ff), int(i>>9)&0x1ff
		switch int(i >> 26) {
		case lua.OP_GETGLOBAL:
			if k := int(i & 0x3ffff); k < len(p.Constants) {
				if s, ok := p.Constants[k].(lua.LString); ok {
					return "global", string(s)
				}
			}
			return "", ""
		case lua.OP_MOVE, lua.OP_MOVEN:
			if b < a {
				reg = b // the name of what was moved
				continue
			}
			return "", ""
		case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
			return "field", kName(p, c)
		case lua.OP_GETUPVAL:
			if b < len(p.DbgUpvalues) {
				return "upvalue", p.DbgUpvalues[b]
			}
			return "upvalue", "?"
		case lua.OP_SELF:
			return "method", kName(p, c)
		}
		return "", ""
	}
	return "", ""
}

// localName is luaF_getlocalname: the name of the n-th local active at pc.
func localName(p *lua.FunctionProto, n, pc int) (string, bool) {
	for _, l := range p.DbgLocals {
		if l.StartPc > pc {
			break
		}
		if pc < l.EndPc {
			n--
			if n == 0 {
				return l.Name, true
			}
		}
	}
	return "", false
}

func kName(p *lua.FunctionProto, c int) string {
	if c&0x100 != 0 {
		if k := c &^ 0x100; k < len(p.Constants) {
			if s, ok := p.Constants[k].(lua.LString); ok {
				return string(s)
			}
		}
	}
	return "?"
}

// symbexec is the part of Lua 5.1's symbolic execution getobjname uses: the
// last instruction before lastpc that set register reg, following forward
// jumps that do not pass lastpc.
func symbexec(p *lua.FunctionProto, lastpc, reg int) (uint32, bool) {
	code := p.Code
	last := -1
	for pc := 0; pc < lastpc && pc < len(code); pc++ {
		i := code[pc]
		op := int(i >> 26)
		a, b, c := int(i>>18)&0xff, int(i&0x1ff), int(i>>9)&0x1ff
		if setsA(op) && a == reg {
			last = pc
		}
		switch op {
		case lua.OP_LOADNIL:
			if a <= reg && reg <= b {
				last = pc
			}
		case lua.OP_SELF:
			if reg == a+1 {
				last = pc
			}
		case lua.OP_TFORLOOP:
			if reg >= a+2 {
				last = pc
			}
		case lua.OP_CALL, lua.OP_TAILCALL:
			if reg >= a {
				last = pc
			}
		case lua.OP_JMP, lua.OP_FORLOOP, lua.OP_FORPREP:
			sbx := int(i&0x3ffff) - (1<<18-1)>>1
			if dest := pc + 1 + sbx; pc < dest && dest <= lastpc {
				pc += sbx
			}
		case lua.OP_SETLIST:
			if c == 0 {
				pc++
			}
		case lua.OP_CLOSURE:
			if bx := int(i & 0x3ffff); bx < len(p.FunctionPrototypes) {
				pc += int(p.FunctionPrototypes[bx].NumUpvalues)
			}
		case lua.OP_MOVEN:
			// followed by c MOVEs of its own, each setting its A
			for j := 0; j < c && pc+1 < lastpc; j++ {
				pc++
				if int(code[pc]>>18)&0xff == reg {
					last = pc
				}
			}
		}
	}
	if last < 0 {
		return 0, false
	}
	return code[last], true
}

// setsA: the instructions Lua 5.1 marks as changing register A.
func setsA(op int) bool {
	switch op {
	case lua.OP_SETGLOBAL, lua.OP_SETUPVAL, lua.OP_SETTABLE, lua.OP_SETTABLEKS, lua.OP_JMP,
		lua.OP_EQ, lua.OP_LT, lua.OP_LE, lua.OP_RETURN, lua.OP_TFORLOOP, lua.OP_SETLIST, lua.OP_CLOSE, lua.OP_NOP:
		return false
	}
	return true
}

// noValueArg: gopher-lua's "bad argument #n to 'f' (T expected, got nil)"
// for an argument the call did not pass is "got no value" in Lua 5.1.
func noValueArg(L *lua.LState, level int, body string) string {
	n := 0
	rest := body[len("bad argument #"):]
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		n = n*10 + int(rest[0]-'0')
		rest = rest[1:]
	}
	dbg, ok := L.GetStack(level)
	cf := debugFrame(dbg)
	if !ok || cf == nil || cf.Fn == nil || !cf.Fn.IsG || n <= cf.NArgs {
		return body
	}
	// struct.pack pushes a nil after its arguments, as Redis's does: the
	// first one missing is nil there
	if cf.Fn.GFunction != nil && reflect.ValueOf(cf.Fn.GFunction).Pointer() == reflect.ValueOf(structPack).Pointer() {
		return body
	}
	return strings.TrimSuffix(body, "nil)") + "no value)"
}

// splitPosition cuts the "<chunk>:<line>: " gopher-lua put in front of msg.
func splitPosition(msg string) (pos, body string) {
	for i := 0; i+2 < len(msg); i++ {
		if msg[i] != ':' || msg[i+1] < '0' || msg[i+1] > '9' {
			continue
		}
		j := i + 1
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		if strings.HasPrefix(msg[j:], ": ") {
			return msg[:j+2], msg[j+2:]
		}
	}
	return "", msg
}

// luaErrorFn is Lua 5.1's error(message [, level]): any value may be
// raised (nil too: error() raises nil), and a string or a number gets the
// position of the function at level in front (none for a Go function).
func luaErrorFn(L *lua.LState) int {
	level := 1
	if L.Get(2) != lua.LNil {
		level = luaCheckInt(L, 2, "error")
	}
	v := L.Get(1)
	if n, ok := v.(lua.LNumber); ok {
		v = lua.LString(luaNumberString(float64(n)))
	}
	if s, ok := v.(lua.LString); ok && level > 0 {
		pos := ""
		if dbg, ok := L.GetStack(level); ok {
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 {
				pos = dbg.Source + ":" + itoa(dbg.CurrentLine) + ": "
			}
		}
		v = lua.LString(pos + string(s))
	}
	L.Error(v, 0)
	return 0
}

// methodArg is luaL_argerror's count for a function called as a method
// (s:rep()): self is not counted, and a bad self is "calling 'f' on bad
// self (...)".
func methodArg(L *lua.LState, level int, body string) string {
	dbg, ok := L.GetStack(level + 1)
	cf := debugFrame(dbg)
	if !ok || cf == nil || cf.Fn == nil || cf.Fn.IsG || cf.Fn.Proto == nil || cf.Pc < 1 || cf.Pc > len(cf.Fn.Proto.Code) {
		return body
	}
	inst := cf.Fn.Proto.Code[cf.Pc-1]
	if op := int(inst >> 26); op != lua.OP_CALL && op != lua.OP_TAILCALL {
		return body
	}
	if kind, _ := objName(cf.Fn.Proto, cf.Pc-1, int(inst>>18)&0xff); kind != "method" {
		return body
	}
	rest := body[len("bad argument #"):]
	n, i := 0, 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		n = n*10 + int(rest[i]-'0')
		i++
	}
	rest = rest[i:]
	if n > 1 {
		return "bad argument #" + itoa(n-1) + rest
	}
	// " to 'f' (...)" or gopher-lua's " to f (...)"
	name, extra, ok := strings.Cut(strings.TrimPrefix(rest, " to "), " (")
	if !ok {
		return body
	}
	return "calling '" + strings.Trim(name, "'") + "' on bad self (" + extra
}

// luaXpcall is Lua 5.1's xpcall(f, handler): f is called with no
// arguments, and the handler gets the error in Lua 5.1's words, where it
// happened (the failed call's frames still there); any value may be f
// (calling one that is not a function is the error the handler gets).
func luaXpcall(L *lua.LState) int {
	if L.GetTop() < 2 {
		luaArgError(L, 2, "xpcall", "value expected")
	}
	L.SetTop(2)
	fn, h := L.Get(1), L.Get(2)
	handler := L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if s, ok := v.(lua.LString); ok {
			v = lua.LString(lua51ErrorText(L, 1, string(s)))
		}
		L.Push(h)
		L.Push(v)
		L.Call(1, 1)
		if frameAccessOK {
			closeUpvalues(L, pcallBase(L))
		}
		return 1
	})
	if fn.Type() != lua.LTFunction && L.GetMetaField(fn, "__call").Type() != lua.LTFunction {
		L.Push(lua.LFalse)
		L.Push(h)
		L.Push(lua.LString("attempt to call a " + fn.Type().String() + " value"))
		L.Call(1, 1)
		return 2
	}
	L.Push(fn)
	if err := L.PCall(0, lua.MultRet, handler); err != nil {
		L.Push(lua.LFalse)
		if ae, ok := err.(*lua.ApiError); ok {
			L.Push(ae.Object)
		} else {
			L.Push(lua.LString(err.Error()))
		}
		return 2
	}
	L.Insert(lua.LTrue, 3)
	return L.GetTop() - 2
}
