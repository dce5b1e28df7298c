package server

// Lua 5.1's compile error texts (Redis's Lua): when gopher-lua refuses a
// script, the script is read again by this syntax checker, which follows
// Lua 5.1's lexer and parser (llex.c, lparser.c) only as far as finding its
// first error, and words it as Lua 5.1 does: "user_script:1: 'end' expected
// near '<eof>'", "unfinished string near '\"abc'", "malformed number near
// '1e'", "'=' expected near 'x'"... It never decides whether a script
// compiles (gopher-lua does): it only gives the message of one that does
// not.

import (
	"strconv"
	"strings"
)

// Lua 5.1's tokens beyond single characters.
const (
	tkAnd = 257 + iota
	tkBreak
	tkDo
	tkElse
	tkElseif
	tkEnd
	tkFalse
	tkFor
	tkFunction
	tkIf
	tkIn
	tkLocal
	tkNil
	tkNot
	tkOr
	tkRepeat
	tkReturn
	tkThen
	tkTrue
	tkUntil
	tkWhile
	tkConcat
	tkDots
	tkEq
	tkGe
	tkLe
	tkNe
	tkNumber
	tkName
	tkString
	tkEOS
)

var lua51Tokens = []string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in",
	"local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
	"..", "...", "==", ">=", "<=", "~=", "<number>", "<name>", "<string>", "<eof>"}

var lua51Reserved = func() map[string]int {
	m := map[string]int{}
	for i := tkAnd; i <= tkWhile; i++ {
		m[lua51Tokens[i-tkAnd]] = i
	}
	return m
}()

// lua51SyntaxError is how a syntax check stops: the message, complete.
type lua51SyntaxError struct{ msg string }

type lua51Lexer struct {
	src      string
	pos      int
	line     int // the lexer's line (ls->linenumber)
	lastline int // the line of the last token consumed
	name     string
	tok      int
	text     string // the buffer of a name, number or string token
	ahead    int    // lookahead token (0: none)
	aheadTxt string
	depth    int
	loops    []int // per function: enclosing loops
	vararg   []bool
}

func token2str(t int) string {
	if t < 257 {
		if t < 32 || t == 127 {
			return "char(" + strconv.Itoa(t) + ")"
		}
		return string(rune(t))
	}
	return lua51Tokens[t-tkAnd]
}

func (l *lua51Lexer) fail(msg string, tok int) {
	m := l.name + ":" + strconv.Itoa(l.line) + ": " + msg
	if tok != 0 {
		txt := token2str(tok)
		if tok == tkName || tok == tkString || tok == tkNumber {
			txt = l.text
		}
		m += " near '" + txt + "'"
	}
	panic(lua51SyntaxError{m})
}

func (l *lua51Lexer) syntaxError(msg string) { l.fail(msg, l.tok) }

func (l *lua51Lexer) cur() int {
	if l.pos < len(l.src) {
		return int(l.src[l.pos])
	}
	return -1
}

func isNewline(c int) bool { return c == '\n' || c == '\r' }

func (l *lua51Lexer) incLine() {
	old := l.cur()
	l.pos++
	if c := l.cur(); isNewline(c) && c != old {
		l.pos++ // \n\r or \r\n
	}
	l.line++
}

// skipSep reads [=*[ or ]=*]: the number of '=', or -count-1 when the
// second bracket is missing.
func (l *lua51Lexer) skipSep(buf *strings.Builder) int {
	s := l.cur()
	buf.WriteByte(byte(s))
	l.pos++
	count := 0
	for l.cur() == '=' {
		buf.WriteByte('=')
		l.pos++
		count++
	}
	if l.cur() == s {
		return count
	}
	return -count - 1
}

func (l *lua51Lexer) longString(buf *strings.Builder, sep int, isString bool) {
	buf.WriteByte(byte(l.cur())) // the second [
	l.pos++
	if isNewline(l.cur()) {
		l.incLine()
	}
	for {
		switch c := l.cur(); {
		case c < 0:
			l.text = buf.String()
			if isString {
				l.fail("unfinished long string", tkEOS)
			}
			l.fail("unfinished long comment", tkEOS)
		case c == ']':
			if l.skipSep(buf) == sep {
				buf.WriteByte(']')
				l.pos++
				l.text = buf.String()
				return
			}
		case isNewline(c):
			buf.WriteByte('\n')
			l.incLine()
		default:
			buf.WriteByte(byte(c))
			l.pos++
		}
	}
}

func (l *lua51Lexer) readString(del int) {
	var buf strings.Builder
	buf.WriteByte(byte(del))
	l.pos++
	for l.cur() != del {
		switch c := l.cur(); {
		case c < 0:
			l.text = buf.String()
			l.fail("unfinished string", tkEOS)
		case isNewline(c):
			l.text = buf.String()
			l.fail("unfinished string", tkString)
		case c == '\\':
			l.pos++
			switch e := l.cur(); {
			case e < 0:
				// the next round reports it
			case isNewline(e):
				buf.WriteByte('\n')
				l.incLine()
			case e >= '0' && e <= '9':
				n := 0
				for i := 0; i < 3 && l.cur() >= '0' && l.cur() <= '9'; i++ {
					n = n*10 + l.cur() - '0'
					l.pos++
				}
				if n > 255 {
					l.text = buf.String()
					l.fail("escape sequence too large", tkString)
				}
				buf.WriteByte(byte(n))
			default:
				if r, ok := map[int]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}[e]; ok {
					buf.WriteByte(r)
				} else {
					buf.WriteByte(byte(e))
				}
				l.pos++
			}
		default:
			buf.WriteByte(byte(c))
			l.pos++
		}
	}
	buf.WriteByte(byte(del))
	l.pos++
	l.text = buf.String()
}

func isAlnum(c int) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (l *lua51Lexer) lex() int {
	for {
		c := l.cur()
		switch {
		case c < 0:
			return tkEOS
		case isNewline(c):
			l.incLine()
		case c == '-':
			l.pos++
			if l.cur() != '-' {
				return '-'
			}
			l.pos++
			if l.cur() == '[' {
				var buf strings.Builder
				if sep := l.skipSep(&buf); sep >= 0 {
					l.longString(&buf, sep, false)
					continue
				}
			}
			for l.cur() >= 0 && !isNewline(l.cur()) {
				l.pos++
			}
		case c == '[':
			var buf strings.Builder
			sep := l.skipSep(&buf)
			if sep >= 0 {
				l.longString(&buf, sep, true)
				return tkString
			}
			if sep == -1 {
				return '['
			}
			l.text = buf.String()
			l.fail("invalid long string delimiter", tkString)
		case c == '=' || c == '<' || c == '>' || c == '~':
			l.pos++
			if l.cur() != '=' {
				return c
			}
			l.pos++
			return map[int]int{'=': tkEq, '<': tkLe, '>': tkGe, '~': tkNe}[c]
		case c == '"' || c == '\'':
			l.readString(c)
			return tkString
		case c == '.':
			l.pos++
			if l.cur() == '.' {
				l.pos++
				if l.cur() == '.' {
					l.pos++
					return tkDots
				}
				return tkConcat
			}
			if c := l.cur(); c < '0' || c > '9' {
				return '.'
			}
			l.pos--
			return l.numeral()
		case c >= '0' && c <= '9':
			return l.numeral()
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			l.pos++
		case isAlnum(c) || c == '_':
			start := l.pos
			for isAlnum(l.cur()) || l.cur() == '_' {
				l.pos++
			}
			l.text = l.src[start:l.pos]
			if t, ok := lua51Reserved[l.text]; ok {
				return t
			}
			return tkName
		default:
			l.pos++
			return c
		}
	}
}

func (l *lua51Lexer) numeral() int {
	start := l.pos
	for {
		l.pos++
		if c := l.cur(); !(c >= '0' && c <= '9' || c == '.') {
			break
		}
	}
	if c := l.cur(); c == 'e' || c == 'E' {
		l.pos++
		if c := l.cur(); c == '+' || c == '-' {
			l.pos++
		}
	}
	for isAlnum(l.cur()) || l.cur() == '_' {
		l.pos++
	}
	l.text = l.src[start:l.pos]
	if _, ok := luaStr2Number(l.text); !ok {
		l.fail("malformed number", tkNumber)
	}
	return tkNumber
}

func (l *lua51Lexer) next() {
	l.lastline = l.line
	if l.ahead != 0 {
		l.tok, l.text, l.ahead = l.ahead, l.aheadTxt, 0
		return
	}
	l.tok = l.lex()
}

func (l *lua51Lexer) lookahead() int {
	save := l.text
	l.ahead = l.lex()
	l.aheadTxt, l.text = l.text, save
	return l.ahead
}

func (l *lua51Lexer) testNext(c int) bool {
	if l.tok == c {
		l.next()
		return true
	}
	return false
}

func (l *lua51Lexer) check(c int) {
	if l.tok != c {
		l.syntaxError("'" + token2str(c) + "' expected")
	}
}

func (l *lua51Lexer) checkNext(c int) { l.check(c); l.next() }

func (l *lua51Lexer) checkMatch(what, who, where int) {
	if !l.testNext(what) {
		if where == l.line {
			l.check(what)
		}
		l.syntaxError("'" + token2str(what) + "' expected (to close '" + token2str(who) + "' at line " + strconv.Itoa(where) + ")")
	}
}

func (l *lua51Lexer) checkName() { l.check(tkName); l.next() }

func (l *lua51Lexer) enter() {
	l.depth++
	if l.depth > 200 {
		l.fail("chunk has too many syntax levels", 0)
	}
}

func blockFollow(t int) bool {
	return t == tkElse || t == tkElseif || t == tkEnd || t == tkUntil || t == tkEOS
}

// chunk: { stat [';'] }
func (l *lua51Lexer) chunk() {
	l.enter()
	last := false
	for !last && !blockFollow(l.tok) {
		last = l.statement()
		l.testNext(';')
	}
	l.depth--
}

func (l *lua51Lexer) loop(body func()) {
	n := len(l.loops) - 1
	l.loops[n]++
	body()
	l.loops[n]--
}

func (l *lua51Lexer) statement() bool {
	line := l.line
	switch l.tok {
	case tkIf:
		l.next()
		l.expr()
		l.checkNext(tkThen)
		l.chunk()
		for l.tok == tkElseif {
			l.next()
			l.expr()
			l.checkNext(tkThen)
			l.chunk()
		}
		if l.testNext(tkElse) {
			l.chunk()
		}
		l.checkMatch(tkEnd, tkIf, line)
	case tkWhile:
		l.next()
		l.expr()
		l.checkNext(tkDo)
		l.loop(l.chunk)
		l.checkMatch(tkEnd, tkWhile, line)
	case tkDo:
		l.next()
		l.chunk()
		l.checkMatch(tkEnd, tkDo, line)
	case tkFor:
		l.next()
		l.checkName()
		switch l.tok {
		case '=':
			l.next()
			l.expr()
			l.checkNext(',')
			l.expr()
			if l.testNext(',') {
				l.expr()
			}
		case ',', tkIn:
			for l.testNext(',') {
				l.checkName()
			}
			l.checkNext(tkIn)
			l.exprList()
		default:
			l.syntaxError("'=' or 'in' expected")
		}
		l.checkNext(tkDo)
		l.loop(l.chunk)
		l.checkMatch(tkEnd, tkFor, line)
	case tkRepeat:
		l.next()
		l.loop(l.chunk)
		l.checkMatch(tkUntil, tkRepeat, line)
		l.expr()
	case tkFunction:
		l.next()
		l.checkName()
		for l.tok == '.' {
			l.next()
			l.checkName()
		}
		if l.tok == ':' {
			l.next()
			l.checkName()
		}
		l.body(line)
	case tkLocal:
		l.next()
		if l.testNext(tkFunction) {
			l.checkName()
			l.body(line)
			break
		}
		for {
			l.checkName()
			if !l.testNext(',') {
				break
			}
		}
		if l.testNext('=') {
			l.exprList()
		}
	case tkReturn:
		l.next()
		if !blockFollow(l.tok) && l.tok != ';' {
			l.exprList()
		}
		return true
	case tkBreak:
		l.next()
		if l.loops[len(l.loops)-1] == 0 {
			l.syntaxError("no loop to break")
		}
		return true
	default:
		switch l.primaryExp() {
		case expCall:
		case expVar:
			l.assignment()
		default:
			l.syntaxError("syntax error")
		}
	}
	return false
}

const (
	expOther = iota
	expVar   // a local, global or indexed: assignable
	expCall
)

func (l *lua51Lexer) assignment() {
	for l.testNext(',') {
		if l.primaryExp() != expVar {
			l.syntaxError("syntax error")
		}
	}
	l.checkNext('=')
	l.exprList()
}

// primaryExp is Lua 5.1's primaryexp: a prefix and its suffixes.
func (l *lua51Lexer) primaryExp() int {
	kind := expVar
	switch l.tok {
	case tkName:
		l.next()
	case '(':
		line := l.line
		l.next()
		l.expr()
		l.checkMatch(')', '(', line)
		kind = expOther
	default:
		l.syntaxError("unexpected symbol")
	}
	for {
		switch l.tok {
		case '.':
			l.next()
			l.checkName()
			kind = expVar
		case '[':
			l.next()
			l.expr()
			l.checkNext(']')
			kind = expVar
		case ':':
			l.next()
			l.checkName()
			l.funcArgs()
			kind = expCall
		case '(', tkString, '{':
			l.funcArgs()
			kind = expCall
		default:
			return kind
		}
	}
}

func (l *lua51Lexer) funcArgs() {
	line := l.line
	switch l.tok {
	case '(':
		if line != l.lastline {
			l.syntaxError("ambiguous syntax (function call x new statement)")
		}
		l.next()
		if l.tok != ')' {
			l.exprList()
		}
		l.checkMatch(')', '(', line)
	case '{':
		l.constructor()
	case tkString:
		l.next()
	default:
		l.syntaxError("function arguments expected")
	}
}

func (l *lua51Lexer) constructor() {
	line := l.line
	l.checkNext('{')
	for l.tok != '}' {
		switch l.tok {
		case tkName:
			if l.lookahead() != '=' {
				l.expr()
			} else {
				l.checkName()
				l.checkNext('=')
				l.expr()
			}
		case '[':
			l.next()
			l.expr()
			l.checkNext(']')
			l.checkNext('=')
			l.expr()
		default:
			l.expr()
		}
		if !l.testNext(',') && !l.testNext(';') {
			break
		}
	}
	l.checkMatch('}', '{', line)
}

func (l *lua51Lexer) body(line int) {
	l.checkNext('(')
	vararg := false
	if l.tok != ')' {
		for {
			switch l.tok {
			case tkName:
				l.next()
			case tkDots:
				l.next()
				vararg = true
			default:
				l.syntaxError("<name> or '...' expected")
			}
			if vararg || !l.testNext(',') {
				break
			}
		}
	}
	l.checkNext(')')
	l.loops = append(l.loops, 0)
	l.vararg = append(l.vararg, vararg)
	l.chunk()
	l.loops = l.loops[:len(l.loops)-1]
	l.vararg = l.vararg[:len(l.vararg)-1]
	l.checkMatch(tkEnd, tkFunction, line)
}

func (l *lua51Lexer) exprList() {
	l.expr()
	for l.testNext(',') {
		l.expr()
	}
}

func (l *lua51Lexer) expr() { l.subExpr(0) }

var lua51Binary = map[int][2]int{
	'+': {6, 6}, '-': {6, 6}, '*': {7, 7}, '/': {7, 7}, '%': {7, 7}, '^': {10, 9}, tkConcat: {5, 4},
	tkEq: {3, 3}, tkNe: {3, 3}, '<': {3, 3}, tkLe: {3, 3}, '>': {3, 3}, tkGe: {3, 3}, tkAnd: {2, 2}, tkOr: {1, 1},
}

func (l *lua51Lexer) subExpr(limit int) {
	l.enter()
	if l.tok == tkNot || l.tok == '-' || l.tok == '#' {
		l.next()
		l.subExpr(8)
	} else {
		l.simpleExp()
	}
	for {
		p, ok := lua51Binary[l.tok]
		if !ok || p[0] <= limit {
			break
		}
		l.next()
		l.subExpr(p[1])
	}
	l.depth--
}

func (l *lua51Lexer) simpleExp() {
	switch l.tok {
	case tkNumber, tkString, tkNil, tkTrue, tkFalse:
		l.next()
	case tkDots:
		if !l.vararg[len(l.vararg)-1] {
			l.syntaxError("cannot use '...' outside a vararg function")
		}
		l.next()
	case '{':
		l.constructor()
	case tkFunction:
		line := l.line
		l.next()
		l.body(line)
	default:
		l.primaryExp()
	}
}

// lua51SyntaxCheck reads src as Lua 5.1 does and returns the message of
// its first syntax error, "" when it finds none.
func lua51SyntaxCheck(src, chunk string) (msg string) {
	l := &lua51Lexer{src: src, line: 1, name: chunk, loops: []int{0}, vararg: []bool{true}}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(lua51SyntaxError)
			if !ok {
				panic(r)
			}
			msg = e.msg
		}
	}()
	l.next()
	l.chunk()
	if l.tok != tkEOS {
		l.syntaxError("'<eof>' expected")
	}
	return ""
}

// luaSourceError is a compile error of gopher-lua's with the source it
// refused, for compileError to word as Lua 5.1 does.
type luaSourceError struct {
	err error
	src string
}

func (e *luaSourceError) Error() string { return e.err.Error() }
func (e *luaSourceError) Unwrap() error { return e.err }
