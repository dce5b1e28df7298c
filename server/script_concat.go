package server

// The `..` operator as Lua 5.1's: a number operand is formatted "%.14g"
// (script_strlib.go), and an operand that is neither a string nor a number
// (without a __concat metamethod) is Lua 5.1's "attempt to concatenate
// local 'x' (a nil value)". gopher-lua's VM does its concatenations with
// Go's number format and its own error text, and nothing outside it can
// change OP_CONCAT; so before a chunk is compiled, each chain of `..` in its
// syntax tree becomes a call of luaConcat with the same operands in the same
// order (a chain a..b..c is one call, as it is one OP_CONCAT), and after it
// is compiled the lookup of that function becomes a constant
// (patchConcatCalls). A chain of constants is folded at compile time.

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/ast"
)

// The names the rewritten chunks call: not Lua names, so no local of a
// script can shadow them, and patchConcatCalls turns their global lookups
// into constants.
const (
	concatFnName      = "fastcache concat"
	concatNamedFnName = "fastcache concat named"
)

// luaConcatFn concatenates its arguments; luaConcatNamedFn takes first the
// names of its operands for error messages ("local 'x'", NUL separated).
var (
	luaConcatFn      = &lua.LFunction{IsG: true, GFunction: func(L *lua.LState) int { return luaConcat(L, 1, "") }}
	luaConcatNamedFn = &lua.LFunction{IsG: true, GFunction: func(L *lua.LState) int {
		names, _ := L.Get(1).(lua.LString)
		return luaConcat(L, 2, string(names))
	}}
)

// maxConcatArgs bounds the operands of one call (a CALL's B field); a
// longer chain is split from the right, which is the order Lua 5.1
// concatenates in.
const maxConcatArgs = 120

// rewriteConcat replaces the concatenations of a chunk (in place).
func rewriteConcat(stmts []ast.Stmt) error {
	r := &concatRewriter{}
	r.enterFunc()
	r.stmts(stmts)
	if r.deepLine != 0 {
		return errTooDeep{r.deepLine}
	}
	return nil
}

// concatRewriter walks a chunk with its scopes, to name the operands the
// way Lua 5.1 names them in errors (local, upvalue, global, field).
type concatRewriter struct {
	funcs [][][]string // per enclosing function, its blocks' locals
	// depth is how deep the walk is in the syntax tree; deepLine, the line
	// where it went past maxSyntaxDepth (the walk stops there)
	depth, deepLine int
}

// maxSyntaxDepth bounds a chunk's nesting (expressions in expressions,
// blocks in blocks, a chain of `..`): gopher-lua's compiler recurses once
// per level, and a script nested a million levels deep (a few megabytes of
// `not not not ...`) overflowed the goroutine's stack, which kills the
// process. Lua 5.1 refuses more than 200 levels ("chunk has too many syntax
// levels"), so no script Redis runs comes near it.
const maxSyntaxDepth = 20000

// errTooDeep is Lua's error for a chunk nested too deep.
type errTooDeep struct{ line int }

func (e errTooDeep) Error() string { return "chunk has too many syntax levels" }

// enter counts one level down into the tree; false: too deep, stop.
func (r *concatRewriter) enter(line int) bool {
	r.depth++
	if r.depth > maxSyntaxDepth || r.deepLine != 0 {
		if r.deepLine == 0 {
			r.deepLine = max(line, 1)
		}
		return false
	}
	return true
}

func (r *concatRewriter) enterFunc()  { r.funcs = append(r.funcs, [][]string{nil}) }
func (r *concatRewriter) leaveFunc()  { r.funcs = r.funcs[:len(r.funcs)-1] }
func (r *concatRewriter) enterBlock() { f := len(r.funcs) - 1; r.funcs[f] = append(r.funcs[f], nil) }
func (r *concatRewriter) leaveBlock() {
	f := len(r.funcs) - 1
	r.funcs[f] = r.funcs[f][:len(r.funcs[f])-1]
}
func (r *concatRewriter) declare(names ...string) {
	f := len(r.funcs) - 1
	b := len(r.funcs[f]) - 1
	r.funcs[f][b] = append(r.funcs[f][b], names...)
}

// kind is "local", "upvalue" or "global" for a name used here.
func (r *concatRewriter) kind(name string) string {
	for f := len(r.funcs) - 1; f >= 0; f-- {
		for b := len(r.funcs[f]) - 1; b >= 0; b-- {
			for _, n := range r.funcs[f][b] {
				if n == name {
					if f == len(r.funcs)-1 {
						return "local"
					}
					return "upvalue"
				}
			}
		}
	}
	return "global"
}

func (r *concatRewriter) block(stmts []ast.Stmt) {
	r.enterBlock()
	r.stmts(stmts)
	r.leaveBlock()
}

func (r *concatRewriter) stmts(stmts []ast.Stmt) {
	defer func() { r.depth-- }()
	line := 0
	if len(stmts) > 0 {
		line = stmts[0].Line()
	}
	if !r.enter(line) {
		return
	}
	for _, st := range stmts {
		switch s := st.(type) {
		case *ast.AssignStmt:
			r.exprs(s.Lhs)
			r.exprs(s.Rhs)
		case *ast.LocalAssignStmt:
			// `local function f` sees itself (gopher-lua's compiler
			// registers the name first, as Lua does)
			if len(s.Names) == 1 && len(s.Exprs) == 1 {
				if _, ok := s.Exprs[0].(*ast.FunctionExpr); ok {
					r.declare(s.Names...)
					r.exprs(s.Exprs)
					continue
				}
			}
			r.exprs(s.Exprs)
			r.declare(s.Names...)
		case *ast.FuncCallStmt:
			s.Expr = r.expr(s.Expr)
		case *ast.DoBlockStmt:
			r.block(s.Stmts)
		case *ast.WhileStmt:
			s.Condition = r.expr(s.Condition)
			r.block(s.Stmts)
		case *ast.RepeatStmt:
			// the condition sees the body's locals
			r.enterBlock()
			r.stmts(s.Stmts)
			s.Condition = r.expr(s.Condition)
			r.leaveBlock()
		case *ast.IfStmt:
			s.Condition = r.expr(s.Condition)
			r.block(s.Then)
			r.block(s.Else)
		case *ast.NumberForStmt:
			s.Init = r.expr(s.Init)
			s.Limit = r.expr(s.Limit)
			if s.Step != nil {
				s.Step = r.expr(s.Step)
			}
			r.enterBlock()
			r.declare(s.Name)
			r.block(s.Stmts)
			r.leaveBlock()
		case *ast.GenericForStmt:
			r.exprs(s.Exprs)
			r.enterBlock()
			r.declare(s.Names...)
			r.block(s.Stmts)
			r.leaveBlock()
		case *ast.FuncDefStmt:
			if s.Name.Func != nil {
				s.Name.Func = r.expr(s.Name.Func)
			} else {
				s.Name.Receiver = r.expr(s.Name.Receiver)
			}
			r.function(s.Func, s.Name.Func == nil)
		case *ast.ReturnStmt:
			r.exprs(s.Exprs)
		}
	}
}

func (r *concatRewriter) exprs(es []ast.Expr) {
	for i, e := range es {
		es[i] = r.expr(e)
	}
}

func (r *concatRewriter) function(f *ast.FunctionExpr, method bool) {
	r.enterFunc()
	if method {
		r.declare("self")
	}
	r.declare(f.ParList.Names...)
	if f.ParList.HasVargs && lua.CompatVarArg {
		r.declare("arg")
	}
	r.stmts(f.Stmts)
	r.leaveFunc()
}

func (r *concatRewriter) expr(e ast.Expr) ast.Expr {
	defer func() { r.depth-- }()
	if !r.enter(e.Line()) {
		return e
	}
	switch x := e.(type) {
	case *ast.AttrGetExpr:
		x.Object = r.expr(x.Object)
		x.Key = r.expr(x.Key)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			if f.Key != nil {
				f.Key = r.expr(f.Key)
			}
			f.Value = r.expr(f.Value)
		}
	case *ast.FuncCallExpr:
		if x.Func != nil {
			x.Func = r.expr(x.Func)
		}
		if x.Receiver != nil {
			x.Receiver = r.expr(x.Receiver)
		}
		r.exprs(x.Args)
	case *ast.LogicalOpExpr:
		x.Lhs = r.expr(x.Lhs)
		x.Rhs = r.expr(x.Rhs)
	case *ast.RelationalOpExpr:
		x.Lhs = r.expr(x.Lhs)
		x.Rhs = r.expr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		x.Lhs = r.expr(x.Lhs)
		x.Rhs = r.expr(x.Rhs)
	case *ast.UnaryMinusOpExpr:
		x.Expr = r.expr(x.Expr)
	case *ast.UnaryNotOpExpr:
		x.Expr = r.expr(x.Expr)
	case *ast.UnaryLenOpExpr:
		x.Expr = r.expr(x.Expr)
	case *ast.FunctionExpr:
		r.function(x, false)
	case *ast.StringConcatOpExpr:
		return r.concat(x)
	}
	return e
}

// concat rewrites one chain a .. b .. c (right-nested in the tree).
func (r *concatRewriter) concat(x *ast.StringConcatOpExpr) ast.Expr {
	var ops []ast.Expr
	var cur ast.Expr = x
	for {
		c, ok := cur.(*ast.StringConcatOpExpr)
		if !ok {
			ops = append(ops, cur)
			break
		}
		ops = append(ops, c.Lhs)
		cur = c.Rhs
	}
	if len(ops) > maxSyntaxDepth { // each `..` is a level of Lua's parser
		if r.deepLine == 0 {
			r.deepLine = max(x.Line(), 1)
		}
		return x
	}
	for i, op := range ops {
		ops[i] = r.expr(op)
	}
	return r.concatCall(x, ops)
}

func (r *concatRewriter) concatCall(x ast.Expr, ops []ast.Expr) ast.Expr {
	line, last := x.Line(), x.LastLine()
	if len(ops) > maxConcatArgs {
		rest := r.concatCall(x, ops[maxConcatArgs-1:])
		ops = append(ops[:maxConcatArgs-1:maxConcatArgs-1], rest)
	}
	// a chain of constants is folded, numbers as Lua 5.1 prints them (not
	// before: a __concat metamethod gets a number operand as a number)
	constant := true
	for _, op := range ops {
		switch op.(type) {
		case *ast.StringExpr, *ast.NumberExpr:
		default:
			constant = false
		}
	}
	if constant {
		var sb strings.Builder
		for _, op := range ops {
			switch o := op.(type) {
			case *ast.StringExpr:
				sb.WriteString(o.Value)
			case *ast.NumberExpr:
				v, _ := luaStr2Number(o.Value)
				sb.WriteString(luaNumberString(v))
			}
		}
		s := &ast.StringExpr{Value: sb.String()}
		s.SetLine(line)
		s.SetLastLine(last)
		return s
	}
	names := make([]string, len(ops))
	named := false
	for i, op := range ops {
		switch o := op.(type) {
		case *ast.IdentExpr:
			names[i] = r.kind(o.Value) + " '" + o.Value + "'"
		case *ast.AttrGetExpr:
			// Lua 5.1 names the key when it is a constant string
			names[i] = "field '?'"
			if k, ok := o.Key.(*ast.StringExpr); ok {
				names[i] = "field '" + k.Value + "'"
			}
		}
		named = named || names[i] != ""
	}
	fname := concatFnName
	args := ops
	if named {
		fname = concatNamedFnName
		hint := &ast.StringExpr{Value: strings.Join(names, "\x00")}
		hint.SetLine(line)
		hint.SetLastLine(line)
		args = append([]ast.Expr{hint}, ops...)
	}
	fn := &ast.IdentExpr{Value: fname}
	fn.SetLine(line)
	fn.SetLastLine(line)
	call := &ast.FuncCallExpr{Func: fn, Args: args, AdjustRet: true}
	call.SetLine(line)
	call.SetLastLine(last)
	return call
}

// patchConcatCalls turns the global lookups of the concatenation functions
// in p (and the functions defined in it) into loads of a constant.
func patchConcatCalls(p *lua.FunctionProto) {
	var fnConst, namedConst = -1, -1
	for pc, inst := range p.Code {
		if int(inst>>26) != lua.OP_GETGLOBAL {
			continue
		}
		bx := int(inst & 0x3ffff)
		if bx >= len(p.Constants) {
			continue
		}
		name, ok := p.Constants[bx].(lua.LString)
		if !ok || (name != concatFnName && name != concatNamedFnName) {
			continue
		}
		k := &fnConst
		fn := luaConcatFn
		if name == concatNamedFnName {
			k, fn = &namedConst, luaConcatNamedFn
		}
		if *k < 0 {
			if len(p.Constants) >= 1<<18 {
				continue // no room for a constant: the global lookup stays
			}
			*k = len(p.Constants)
			p.Constants = append(p.Constants, fn)
		}
		a := int(inst>>18) & 0xff
		p.Code[pc] = uint32(lua.OP_LOADK)<<26 | uint32(a)<<18 | uint32(*k)
	}
	for _, c := range p.FunctionPrototypes {
		patchConcatCalls(c)
	}
}

// luaConcat concatenates the arguments from first on, as Lua 5.1's
// luaV_concat: from the right, each run of strings and numbers at once, a
// __concat metamethod for any other pair.
func luaConcat(L *lua.LState, first int, names string) int {
	top := L.GetTop()
	size, plain := 0, true
	for i := first; i <= top; i++ {
		switch v := L.Get(i).(type) {
		case lua.LString:
			size += len(v)
		case lua.LNumber:
			size += 24
		default:
			plain = false
		}
	}
	if plain {
		var sb strings.Builder
		sb.Grow(size)
		for i := first; i <= top; i++ {
			appendConcatOperand(&sb, L.Get(i))
		}
		L.Push(lua.LString(sb.String()))
		return 1
	}
	vals := make([]lua.LValue, 0, top-first+1)
	for i := first; i <= top; i++ {
		vals = append(vals, L.Get(i))
	}
	// vals[i] stands where operand i was: Lua 5.1 names a value by the
	// register it is in, so a metamethod's result takes its left operand's
	// name, as there
	for len(vals) > 1 {
		n := len(vals)
		a, b := vals[n-2], vals[n-1]
		if !isStrNum(a) || !isStrNum(b) {
			mm := L.GetMetaField(a, "__concat")
			if mm == lua.LNil {
				mm = L.GetMetaField(b, "__concat")
			}
			if mm == lua.LNil {
				bad := n - 2
				if isStrNum(a) {
					bad = n - 1
				}
				L.RaiseError("attempt to concatenate %s", concatOperandName(vals[bad], bad, names))
			}
			L.Push(mm)
			L.Push(a)
			L.Push(b)
			L.Call(2, 1)
			vals[n-2] = L.Get(-1)
			L.Pop(1)
			vals = vals[:n-1]
			continue
		}
		k := n - 2
		for k > 0 && isStrNum(vals[k-1]) {
			k--
		}
		var sb strings.Builder
		for _, v := range vals[k:] {
			appendConcatOperand(&sb, v)
		}
		vals[k] = lua.LString(sb.String())
		vals = vals[:k+1]
	}
	L.Push(vals[0])
	return 1
}

func isStrNum(v lua.LValue) bool {
	switch v.(type) {
	case lua.LString, lua.LNumber:
		return true
	}
	return false
}

func appendConcatOperand(sb *strings.Builder, v lua.LValue) {
	switch x := v.(type) {
	case lua.LString:
		sb.WriteString(string(x))
	case lua.LNumber:
		sb.WriteString(luaNumberString(float64(x)))
	}
}

// concatOperandName is luaG_typeerror's "local 'x' (a nil value)", or
// "a nil value" for an operand without a name.
func concatOperandName(v lua.LValue, op int, names string) string {
	if names != "" {
		parts := strings.Split(names, "\x00")
		if op < len(parts) && parts[op] != "" {
			return parts[op] + " (a " + v.Type().String() + " value)"
		}
	}
	return "a " + v.Type().String() + " value"
}
