package server

// The libraries Redis gives scripts besides Lua's own: bit (LuaBitOp),
// cjson (lua-cjson), struct (Roberto Ierusalimschy's) and cmsgpack
// (lua-cmsgpack), written again for gopher-lua with the same results and
// error texts for what scripts use.

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// ---- bit ----

func toBit(L *lua.LState, n int) int32 {
	f := float64(L.CheckNumber(n))
	f = math.RoundToEven(f)
	if math.Abs(f) < 9.2e18 {
		return int32(uint32(int64(f)))
	}
	m := math.Mod(f, 4294967296)
	if m < 0 {
		m += 4294967296
	}
	return int32(uint32(m))
}

func openLuaBit(L *lua.LState, g *lua.LTable) {
	t := L.NewTable()
	ret := func(L *lua.LState, v int32) int { L.Push(lua.LNumber(v)); return 1 }
	fold := func(op func(a, b int32) int32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := toBit(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, toBit(L, i))
			}
			return ret(L, v)
		}
	}
	L.SetFuncs(t, map[string]lua.LGFunction{
		"tobit": func(L *lua.LState) int { return ret(L, toBit(L, 1)) },
		"bnot":  func(L *lua.LState) int { return ret(L, ^toBit(L, 1)) },
		"band":  fold(func(a, b int32) int32 { return a & b }),
		"bor":   fold(func(a, b int32) int32 { return a | b }),
		"bxor":  fold(func(a, b int32) int32 { return a ^ b }),
		"lshift": func(L *lua.LState) int {
			return ret(L, int32(uint32(toBit(L, 1))<<(uint32(toBit(L, 2))&31)))
		},
		"rshift": func(L *lua.LState) int {
			return ret(L, int32(uint32(toBit(L, 1))>>(uint32(toBit(L, 2))&31)))
		},
		"arshift": func(L *lua.LState) int { return ret(L, toBit(L, 1)>>(uint32(toBit(L, 2))&31)) },
		"rol": func(L *lua.LState) int {
			x, n := uint32(toBit(L, 1)), uint32(toBit(L, 2))&31
			return ret(L, int32(x<<n|x>>((32-n)&31)))
		},
		"ror": func(L *lua.LState) int {
			x, n := uint32(toBit(L, 1)), uint32(toBit(L, 2))&31
			return ret(L, int32(x>>n|x<<((32-n)&31)))
		},
		"bswap": func(L *lua.LState) int {
			x := uint32(toBit(L, 1))
			return ret(L, int32(x>>24|(x>>8)&0xff00|(x&0xff00)<<8|x<<24))
		},
		"tohex": func(L *lua.LState) int {
			x := uint32(toBit(L, 1))
			n := int32(8)
			if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
				n = toBit(L, 2)
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := int(n) - 1; i >= 0; i-- {
				buf[i] = digits[x&15]
				x >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	})
	g.RawSetString("bit", t)
}

// ---- cjson ----

// cjsonNull is cjson.null (a light userdata in Redis).
var cjsonNull = &lua.LUserData{}

// cjsonConfig is lua-cjson's configuration: one per Lua state, kept from
// one script to the next (as in Redis, until the state is reset).
type cjsonConfig struct {
	sparseConvert             bool
	sparseRatio, sparseSafe   int
	encodeDepth, decodeDepth  int
	encodeInvalid             int // 0 off, 1 on, 2 null
	decodeInvalid, keepBuffer bool
	precision                 int
}

// cjsonStackDepth is as deep as lua-cjson gets in Redis before its
// lua_checkstack fails, whatever encode/decode_max_depth say: the decoder
// refuses level 7999, the encoder level 7998.
const cjsonStackDepth = 7998

func newCjsonConfig() *cjsonConfig {
	return &cjsonConfig{sparseRatio: 2, sparseSafe: 10, encodeDepth: 1000, decodeDepth: 1000,
		decodeInvalid: true, keepBuffer: true, precision: 14}
}

func openLuaCjson(L *lua.LState, g *lua.LTable) {
	t := L.NewTable()
	cfg := newCjsonConfig()
	// json_arg_init: at most n arguments
	args := func(L *lua.LState, n int, fn string) {
		if L.GetTop() > n {
			luaArgError(L, n+1, fn, "found too many arguments")
		}
		for L.GetTop() < n {
			L.Push(lua.LNil)
		}
	}
	// json_integer_option; lua-cjson names argument 1 whichever is out of
	// range
	intOpt := func(L *lua.LState, i int, fn string, setting *int, lo, hi int) {
		if L.Get(i) != lua.LNil {
			v := int(int32(luaNumberToInt(luaCheckNumber(L, i, fn))))
			if v < lo || v > hi {
				luaArgError(L, 1, fn, fmt.Sprintf("expected integer between %d and %d", lo, hi))
			}
			*setting = v
		}
		L.Push(lua.LNumber(*setting))
	}
	// json_enum_option: a boolean, or one of the options by name
	enumOpt := func(L *lua.LState, i int, fn string, setting *int, options ...string) {
		if len(options) == 0 {
			options = []string{"off", "on"}
		}
		switch v := L.Get(i).(type) {
		case *lua.LNilType:
		case lua.LBool:
			*setting = 0
			if v {
				*setting = 1
			}
		default:
			name := luaCheckString(L, i, fn)
			k := slices.Index(options, name)
			if k < 0 {
				luaArgError(L, i, fn, "invalid option '"+name+"'")
			}
			*setting = k
		}
		if *setting <= 1 {
			L.Push(lua.LBool(*setting == 1))
		} else {
			L.Push(lua.LString(options[*setting]))
		}
	}
	boolOpt := func(L *lua.LState, fn string, b *bool) int {
		args(L, 1, fn)
		v := 0
		if *b {
			v = 1
		}
		enumOpt(L, 1, fn, &v)
		*b = v == 1
		return 1
	}
	L.SetFuncs(t, map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaArgError(L, 1, "encode", "expected 1 argument")
			}
			var sb strings.Builder
			if msg := cfg.encode(&sb, L.Get(1), 0); msg != "" {
				luaRaise(L, "%s", msg)
			}
			L.Push(lua.LString(sb.String()))
			return 1
		},
		"decode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				luaArgError(L, 1, "decode", "expected 1 argument")
			}
			s := luaCheckString(L, 1, "decode")
			if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
				luaRaise(L, "JSON parser does not support UTF-16 or UTF-32")
			}
			d := &cjsonDecoder{L: L, s: s, cfg: cfg}
			v := d.value(0)
			d.skip()
			if d.err == "" && d.i < len(d.s) {
				d.fail("the end", d.token())
			}
			if d.err != "" {
				luaRaise(L, "%s", d.err)
			}
			L.Push(v)
			return 1
		},
		"encode_sparse_array": func(L *lua.LState) int {
			args(L, 3, "encode_sparse_array")
			v := 0
			if cfg.sparseConvert {
				v = 1
			}
			enumOpt(L, 1, "encode_sparse_array", &v)
			cfg.sparseConvert = v == 1
			intOpt(L, 2, "encode_sparse_array", &cfg.sparseRatio, 0, math.MaxInt32)
			intOpt(L, 3, "encode_sparse_array", &cfg.sparseSafe, 0, math.MaxInt32)
			return 3
		},
		"encode_max_depth": func(L *lua.LState) int {
			args(L, 1, "encode_max_depth")
			intOpt(L, 1, "encode_max_depth", &cfg.encodeDepth, 1, math.MaxInt32)
			return 1
		},
		"decode_max_depth": func(L *lua.LState) int {
			args(L, 1, "decode_max_depth")
			intOpt(L, 1, "decode_max_depth", &cfg.decodeDepth, 1, math.MaxInt32)
			return 1
		},
		"encode_number_precision": func(L *lua.LState) int {
			args(L, 1, "encode_number_precision")
			intOpt(L, 1, "encode_number_precision", &cfg.precision, 1, 14)
			return 1
		},
		"encode_keep_buffer": func(L *lua.LState) int { return boolOpt(L, "encode_keep_buffer", &cfg.keepBuffer) },
		"encode_invalid_numbers": func(L *lua.LState) int {
			args(L, 1, "encode_invalid_numbers")
			enumOpt(L, 1, "encode_invalid_numbers", &cfg.encodeInvalid, "off", "on", "null")
			return 1
		},
		"decode_invalid_numbers": func(L *lua.LState) int { return boolOpt(L, "decode_invalid_numbers", &cfg.decodeInvalid) },
	})
	cjsonNull.Value = nil
	t.RawSetString("null", cjsonNull)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	g.RawSetString("cjson", t)
}

// number is json_append_number: "%.<precision>g", and NaN and the
// infinities by the encode_invalid_numbers setting.
func (cfg *cjsonConfig) number(sb *strings.Builder, f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		switch cfg.encodeInvalid {
		case 0:
			return "Cannot serialise number: must not be NaN or Inf"
		case 2:
			sb.WriteString("null")
			return ""
		}
		if math.IsNaN(f) {
			sb.WriteString("nan")
			return ""
		}
	}
	if cfg.precision == 14 {
		sb.WriteString(luaNumberString(f))
	} else if math.IsInf(f, 0) {
		sb.WriteString(luaNumberString(f))
	} else {
		sb.WriteString(formatG(f, cfg.precision))
	}
	return ""
}

func (cfg *cjsonConfig) encode(sb *strings.Builder, v lua.LValue, depth int) string {
	switch x := v.(type) {
	case *lua.LNilType:
		sb.WriteString("null")
	case lua.LBool:
		if x {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case lua.LNumber:
		return cfg.number(sb, float64(x))
	case lua.LString:
		cjsonString(sb, string(x))
	case *lua.LUserData:
		if x == cjsonNull {
			sb.WriteString("null")
			return ""
		}
		return "Cannot serialise userdata: type not supported"
	case *lua.LTable:
		depth++
		// past 7997 levels Redis's Lua stack runs out whatever the setting
		if depth > cfg.encodeDepth || depth >= cjsonStackDepth {
			return "Cannot serialise, excessive nesting (" + strconv.Itoa(depth) + ")"
		}
		n, isArray := cjsonArrayLen(x)
		if isArray && n > cfg.sparseSafe && cfg.sparseRatio > 0 && n > cfg.sparseRatio*cjsonItems(x) {
			if !cfg.sparseConvert {
				return "Cannot serialise table: excessively sparse array"
			}
			isArray = false
		}
		if isArray && n > 0 {
			sb.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					sb.WriteByte(',')
				}
				if msg := cfg.encode(sb, x.RawGetInt(i), depth); msg != "" {
					return msg
				}
			}
			sb.WriteByte(']')
			return ""
		}
		sb.WriteByte('{')
		first := true
		var msg string
		forEachInOrder(x, func(k, val lua.LValue) {
			if msg != "" {
				return
			}
			if !first {
				sb.WriteByte(',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LString:
				cjsonString(sb, string(kk))
			case lua.LNumber:
				sb.WriteByte('"')
				if msg = cfg.number(sb, float64(kk)); msg != "" {
					return
				}
				sb.WriteByte('"')
			default:
				msg = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
				return
			}
			sb.WriteByte(':')
			msg = cfg.encode(sb, val, depth)
		})
		if msg != "" {
			return msg
		}
		sb.WriteByte('}')
	default:
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

// cjsonItems counts a table's entries.
func cjsonItems(t *lua.LTable) int {
	n := 0
	t.ForEach(func(_, _ lua.LValue) { n++ })
	return n
}

// cjsonArrayLen is lua-cjson's lua_array_length: the largest key when
// every key is a positive integer, else not an array.
func cjsonArrayLen(t *lua.LTable) (int, bool) {
	maxK := 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		if !isArray {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			isArray = false
			return
		}
		if int(n) > maxK {
			maxK = int(n)
		}
	})
	if !isArray {
		return 0, false
	}
	return maxK, true
}

func cjsonString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '/':
			sb.WriteString(`\/`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				sb.WriteString(`\u00`)
				sb.WriteByte("0123456789abcdef"[c>>4])
				sb.WriteByte("0123456789abcdef"[c&15])
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
}

type cjsonDecoder struct {
	L   *lua.LState
	cfg *cjsonConfig
	s   string
	i   int
	err string
}

func (d *cjsonDecoder) skip() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\t' || d.s[d.i] == '\n' || d.s[d.i] == '\r') {
		d.i++
	}
}

// token names what is at the current position the way lua-cjson's errors do.
func (d *cjsonDecoder) token() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch d.s[d.i] {
	case '{':
		return "T_OBJ_BEGIN"
	case '}':
		return "T_OBJ_END"
	case '[':
		return "T_ARR_BEGIN"
	case ']':
		return "T_ARR_END"
	case ',':
		return "T_COMMA"
	case ':':
		return "T_COLON"
	case '"':
		return "T_STRING"
	}
	return "invalid token"
}

func (d *cjsonDecoder) fail(what, found string) {
	if d.err == "" {
		d.err = "Expected " + what + " but found " + found + " at character " + strconv.Itoa(d.i+1)
	}
}

func (d *cjsonDecoder) value(depth int) lua.LValue {
	if d.err != "" {
		return lua.LNil
	}
	d.skip()
	if d.i >= len(d.s) {
		d.fail("value", "T_END")
		return lua.LNil
	}
	// json_decode_descend: an object or array one level deeper than
	// decode_max_depth is refused where it opens
	if c := d.s[d.i]; (c == '{' || c == '[') && (depth+1 > d.cfg.decodeDepth || depth+1 > cjsonStackDepth) {
		d.err = "Found too many nested data structures (" + strconv.Itoa(depth+1) + ") at character " + strconv.Itoa(d.i+1)
		return lua.LNil
	}
	switch c := d.s[d.i]; {
	case c == '{':
		d.i++
		t := d.L.NewTable()
		d.skip()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return t
		}
		for {
			d.skip()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				d.fail("object key string", d.token())
				return lua.LNil
			}
			k := d.str()
			d.skip()
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				d.fail("colon", d.token())
				return lua.LNil
			}
			d.i++
			v := d.value(depth + 1)
			if d.err != "" {
				return lua.LNil
			}
			t.RawSet(k, v)
			d.skip()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				return t
			}
			d.fail("comma or object end", d.token())
			return lua.LNil
		}
	case c == '[':
		d.i++
		t := d.L.NewTable()
		d.skip()
		if d.i < len(d.s) && d.s[d.i] == ']' {
			d.i++
			return t
		}
		for n := 1; ; n++ {
			v := d.value(depth + 1)
			if d.err != "" {
				return lua.LNil
			}
			t.RawSetInt(n, v)
			d.skip()
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				return t
			}
			d.fail("comma or array end", d.token())
			return lua.LNil
		}
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		if !d.cfg.decodeInvalid && d.invalidNumber() {
			d.fail("value", "invalid number")
			return lua.LNil
		}
		return d.number()
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return cjsonNull
	case (c == '+' || c == 'i' || c == 'I' || c == 'n' || c == 'N') && d.cfg.decodeInvalid && d.invalidNumber():
		return d.number()
	}
	d.fail("value", d.token())
	return lua.LNil
}

// invalidNumber is json_is_invalid_number: what JSON does not allow but
// strtod reads (a leading +, hexadecimal, leading zeros, inf, nan).
func (d *cjsonDecoder) invalidNumber() bool {
	p := d.s[d.i:]
	if strings.HasPrefix(p, "+") {
		return true
	}
	p = strings.TrimPrefix(p, "-")
	if strings.HasPrefix(p, "0") {
		return len(p) > 1 && (p[1]|0x20 == 'x' || (p[1] >= '0' && p[1] <= '9'))
	}
	if p == "" || p[0] <= '9' {
		return false
	}
	return hasPrefixFold([]byte(p), "inf") || hasPrefixFold([]byte(p), "nan")
}

// number is json_next_number_token: what C's strtod reads from here.
func (d *cjsonDecoder) number() lua.LValue {
	// strtod never reads past what a number can hold (no copy of the rest)
	j := d.i
	for j < len(d.s) {
		c := d.s[j]
		if !(c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '+' || c == '-' || c == '.' || c == '(' || c == ')' || c == '_') {
			break
		}
		j++
	}
	f, n, _ := strtod([]byte(d.s[d.i:j]))
	if n == 0 {
		d.fail("value", "invalid number")
		return lua.LNil
	}
	d.i += n
	return lua.LNumber(f)
}

func (d *cjsonDecoder) str() lua.LValue {
	start := d.i
	d.i++
	var b []byte
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '"' {
			d.i++
			return lua.LString(b)
		}
		if c == '\\' && d.i+1 < len(d.s) {
			d.i++
			switch e := d.s[d.i]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				if d.i+4 >= len(d.s) {
					d.i = start
					d.fail("value", "invalid unicode escape code")
					return lua.LNil
				}
				n, err := strconv.ParseUint(d.s[d.i+1:d.i+5], 16, 32)
				if err != nil {
					d.i = start
					d.fail("value", "invalid unicode escape code")
					return lua.LNil
				}
				d.i += 4
				r := rune(n)
				if r >= 0xd800 && r < 0xdc00 && d.i+6 < len(d.s) && d.s[d.i+1] == '\\' && d.s[d.i+2] == 'u' {
					if lo, err := strconv.ParseUint(d.s[d.i+3:d.i+7], 16, 32); err == nil && lo >= 0xdc00 && lo < 0xe000 {
						r = (r-0xd800)<<10 + (rune(lo) - 0xdc00) + 0x10000
						d.i += 6
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				b = append(b, e)
			}
			d.i++
			continue
		}
		b = append(b, c)
		d.i++
	}
	d.i = start
	d.fail("value", "unexpected end of string")
	return lua.LNil
}

// ---- struct ----

func openLuaStruct(L *lua.LState, g *lua.LTable) {
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"pack":   structPack,
		"unpack": structUnpack,
		"size":   structSize,
	})
	g.RawSetString("struct", t)
}

type structFmt struct {
	f      string
	i      int
	little bool
	align  int
}

// next returns the next option and its size (0 for the ones without).
func (sf *structFmt) next(L *lua.LState) (byte, int, bool) {
	for sf.i < len(sf.f) {
		c := sf.f[sf.i]
		sf.i++
		num := func(def int) int {
			if sf.i >= len(sf.f) || sf.f[sf.i] < '0' || sf.f[sf.i] > '9' {
				return def
			}
			n := 0
			for sf.i < len(sf.f) && sf.f[sf.i] >= '0' && sf.f[sf.i] <= '9' {
				n = n*10 + int(sf.f[sf.i]-'0')
				sf.i++
			}
			return n
		}
		switch c {
		case ' ':
			continue
		case '>':
			sf.little = false
			continue
		case '<', '=':
			sf.little = true
			continue
		case '!':
			sf.align = num(8)
			continue
		case 'x', 'b', 'B':
			return c, 1, true
		case 'h', 'H':
			return c, 2, true
		case 'l', 'L', 'T':
			return c, 8, true
		case 'f':
			return c, 4, true
		case 'd':
			return c, 8, true
		case 'i', 'I':
			n := num(4)
			if n > 8 || n < 1 {
				L.RaiseError("integral size %d is larger than limit of 8", n)
			}
			return c, n, true
		case 'c':
			return c, num(1), true
		case 's':
			return c, 0, true
		default:
			L.RaiseError("invalid format option '%c'", c)
		}
	}
	return 0, 0, false
}

func (sf *structFmt) pad(pos, size int) int {
	a := min(size, sf.align)
	if a <= 1 || (a&(a-1)) != 0 {
		return 0
	}
	return (a - pos&(a-1)) & (a - 1)
}

func putInt(b []byte, v uint64, size int, little bool) []byte {
	for i := 0; i < size; i++ {
		var sh int
		if little {
			sh = 8 * i
		} else {
			sh = 8 * (size - 1 - i)
		}
		if sh < 64 {
			b = append(b, byte(v>>sh))
		} else {
			b = append(b, 0)
		}
	}
	return b
}

func structPack(L *lua.LState) int {
	sf := &structFmt{f: luaCheckString(L, 1, "pack"), little: true, align: 1}
	var out []byte
	arg := 2
	for {
		c, size, ok := sf.next(L)
		if !ok {
			break
		}
		if c != 's' && c != 'c' {
			for p := sf.pad(len(out), size); p > 0; p-- {
				out = append(out, 0)
			}
		}
		switch c {
		case 'x':
			out = append(out, 0)
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			f := float64(L.CheckNumber(arg))
			arg++
			out = putInt(out, uint64(int64(f)), size, sf.little)
		case 'f':
			v := math.Float32bits(float32(L.CheckNumber(arg)))
			arg++
			out = putInt(out, uint64(v), 4, sf.little)
		case 'd':
			v := math.Float64bits(float64(L.CheckNumber(arg)))
			arg++
			out = putInt(out, v, 8, sf.little)
		case 'c', 's':
			s := luaCheckString(L, arg, "pack")
			arg++
			if c == 'c' && size == 0 {
				size = len(s)
			}
			if c == 'c' {
				if len(s) < size {
					L.ArgError(arg-1, "string too short")
				}
				out = append(out, s[:size]...)
			} else {
				if strings.IndexByte(s, 0) >= 0 {
					L.ArgError(arg-1, "string contains zeros")
				}
				out = append(out, s...)
				out = append(out, 0)
			}
		}
	}
	L.Push(lua.LString(out))
	return 1
}

func getInt(b []byte, size int, little, signed bool) float64 {
	var v uint64
	for i := 0; i < size; i++ {
		var x byte
		if little {
			x = b[size-1-i]
		} else {
			x = b[i]
		}
		v = v<<8 | uint64(x)
	}
	if signed && size < 8 && v&(1<<(8*size-1)) != 0 {
		v |= ^uint64(0) << (8 * size)
	}
	if signed {
		return float64(int64(v))
	}
	return float64(v)
}

func structUnpack(L *lua.LState) int {
	sf := &structFmt{f: luaCheckString(L, 1, "unpack"), little: true, align: 1}
	data := luaCheckString(L, 2, "unpack")
	pos := L.OptInt(3, 1) - 1
	if pos < 0 || pos > len(data) {
		L.ArgError(3, "offset out of range")
	}
	n := 0
	var prev float64
	for {
		c, size, ok := sf.next(L)
		if !ok {
			break
		}
		if c != 's' && c != 'c' {
			pos += sf.pad(pos, size)
		}
		if c != 's' && pos+size > len(data) {
			L.ArgError(2, "data string too short")
		}
		switch c {
		case 'x':
			pos++
			continue
		case 'b', 'h', 'l', 'i':
			prev = getInt([]byte(data[pos:pos+size]), size, sf.little, true)
			L.Push(lua.LNumber(prev))
		case 'B', 'H', 'L', 'T', 'I':
			prev = getInt([]byte(data[pos:pos+size]), size, sf.little, false)
			L.Push(lua.LNumber(prev))
		case 'f':
			v := uint32(getInt([]byte(data[pos:pos+4]), 4, sf.little, false))
			L.Push(lua.LNumber(math.Float32frombits(v)))
		case 'd':
			var b [8]byte
			copy(b[:], data[pos:pos+8])
			var v uint64
			if sf.little {
				v = binary.LittleEndian.Uint64(b[:])
			} else {
				v = binary.BigEndian.Uint64(b[:])
			}
			L.Push(lua.LNumber(math.Float64frombits(v)))
		case 'c':
			if size == 0 {
				if n == 0 {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev)
				L.Pop(1)
				n--
				if pos+size > len(data) {
					L.ArgError(2, "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+e]))
			size = e + 1
		}
		pos += size
		n++
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	sf := &structFmt{f: luaCheckString(L, 1, "size"), little: true, align: 1}
	pos := 0
	for {
		c, size, ok := sf.next(L)
		if !ok {
			break
		}
		if c == 's' || (c == 'c' && size == 0) {
			L.ArgError(1, "options 'c0' - 's' have undefined sizes")
		}
		pos += sf.pad(pos, size) + size
	}
	L.Push(lua.LNumber(pos))
	return 1
}

// ---- cmsgpack ----

func openLuaCmsgpack(L *lua.LState, g *lua.LTable) {
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"pack": func(L *lua.LState) int {
			if L.GetTop() == 0 {
				L.ArgError(0, "MessagePack pack needs input.")
			}
			var b []byte
			for i := 1; i <= L.GetTop(); i++ {
				b = msgpackEncode(b, L.Get(i), 0)
			}
			L.Push(lua.LString(b))
			return 1
		},
		"unpack": func(L *lua.LState) int {
			s := luaCheckString(L, 1, "unpack")
			return msgpackUnpack(L, s, 0, 0, false)
		},
		"unpack_one": func(L *lua.LState) int {
			s := luaCheckString(L, 1, "unpack_one")
			return msgpackUnpack(L, s, 1, L.OptInt(2, 0), true)
		},
		"unpack_limit": func(L *lua.LState) int {
			s := luaCheckString(L, 1, "unpack_limit")
			return msgpackUnpack(L, s, L.OptInt(2, 0), L.OptInt(3, 0), true)
		},
	})
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	g.RawSetString("cmsgpack", t)
}

func msgpackEncode(b []byte, v lua.LValue, depth int) []byte {
	switch x := v.(type) {
	case lua.LBool:
		if x {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) < 1.8e19 {
			if f >= 0 {
				u := uint64(f)
				switch {
				case u < 128:
					return append(b, byte(u))
				case u < 256:
					return append(b, 0xcc, byte(u))
				case u < 65536:
					return append(b, 0xcd, byte(u>>8), byte(u))
				case u < 1<<32:
					return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(u))
				default:
					return binary.BigEndian.AppendUint64(append(b, 0xcf), u)
				}
			}
			if f >= -9.2e18 {
				n := int64(f)
				switch {
				case n >= -32:
					return append(b, byte(n))
				case n >= -128:
					return append(b, 0xd0, byte(n))
				case n >= -32768:
					return append(b, 0xd1, byte(n>>8), byte(n))
				case n >= -1<<31:
					return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
				default:
					return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
				}
			}
		}
		if float64(float32(f)) == f || math.IsNaN(f) {
			return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(float32(f)))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
	case lua.LString:
		n := len(x)
		switch {
		case n < 32:
			b = append(b, 0xa0|byte(n))
		case n < 256:
			b = append(b, 0xd9, byte(n))
		case n < 65536:
			b = append(b, 0xda, byte(n>>8), byte(n))
		default:
			b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
		}
		return append(b, x...)
	case *lua.LTable:
		if depth >= 16 {
			return append(b, 0xc0)
		}
		n, isArray := msgpackArrayLen(x)
		if isArray {
			b = msgpackHeader(b, n, 0x90, 0xdc, 0xdd)
			for i := 1; i <= n; i++ {
				b = msgpackEncode(b, x.RawGetInt(i), depth+1)
			}
			return b
		}
		// in lua_next's order (gopher-lua's: the order keys were
		// added), as Redis's cmsgpack walks a table; Go's map order
		// would make the same table encode differently each time
		n = 0
		for k, _ := x.Next(lua.LNil); k != lua.LNil; k, _ = x.Next(k) {
			n++
		}
		b = msgpackHeader(b, n, 0x80, 0xde, 0xdf)
		for k, v := x.Next(lua.LNil); k != lua.LNil && n > 0; k, v = x.Next(k) {
			b = msgpackEncode(b, k, depth+1)
			b = msgpackEncode(b, v, depth+1)
			n--
		}
		return b
	}
	return append(b, 0xc0)
}

func msgpackHeader(b []byte, n int, fix, b16, b32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n < 65536:
		return append(b, b16, byte(n>>8), byte(n))
	}
	return binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
}

// msgpackArrayLen: a table whose keys are exactly 1..n is an array.
func msgpackArrayLen(t *lua.LTable) (int, bool) {
	var keys []float64
	ok := true
	t.ForEach(func(k, _ lua.LValue) {
		n, isNum := k.(lua.LNumber)
		if !isNum || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			ok = false
			return
		}
		keys = append(keys, float64(n))
	})
	if !ok {
		return 0, false
	}
	sort.Float64s(keys)
	for i, k := range keys {
		if k != float64(i+1) {
			return 0, false
		}
	}
	return len(keys), true
}

type msgpackDecoder struct {
	L   *lua.LState
	s   string
	i   int
	bad bool
	// overflow: nested deeper than Redis's Lua stack lets lua-cmsgpack go
	// (the function that ran out, for the error)
	overflow string
}

// msgpackMaxDepth is where lua-cmsgpack's lua_checkstack fails in Redis:
// a container 3999 levels down.
const msgpackMaxDepth = 3999

func (d *msgpackDecoder) need(n int) bool {
	if d.i+n > len(d.s) {
		d.bad = true
		return false
	}
	return true
}

func (d *msgpackDecoder) uint(n int) uint64 {
	if !d.need(n) {
		return 0
	}
	var v uint64
	for k := 0; k < n; k++ {
		v = v<<8 | uint64(d.s[d.i+k])
	}
	d.i += n
	return v
}

func (d *msgpackDecoder) value(depth int) lua.LValue {
	if !d.need(1) {
		d.bad = true
		return lua.LNil
	}
	c := d.s[d.i]
	d.i++
	str := func(n int) lua.LValue {
		if !d.need(n) {
			return lua.LNil
		}
		s := d.s[d.i : d.i+n]
		d.i += n
		return lua.LString(s)
	}
	arr := func(n int) lua.LValue {
		if depth >= msgpackMaxDepth {
			d.bad, d.overflow = true, "mp_decode_to_lua_array"
			return lua.LNil
		}
		t := d.L.CreateTable(min(n, 1024), 0)
		for k := 1; k <= n && !d.bad; k++ {
			t.RawSetInt(k, d.value(depth+1))
		}
		return t
	}
	mp := func(n int) lua.LValue {
		if depth >= msgpackMaxDepth {
			d.bad, d.overflow = true, "mp_decode_to_lua_hash"
			return lua.LNil
		}
		t := d.L.CreateTable(0, min(n, 1024))
		for k := 0; k < n && !d.bad; k++ {
			key := d.value(depth + 1)
			val := d.value(depth + 1)
			if key != lua.LNil {
				t.RawSet(key, val)
			}
		}
		return t
	}
	switch {
	case c < 0x80:
		return lua.LNumber(c)
	case c >= 0xe0:
		return lua.LNumber(int8(c))
	case c&0xe0 == 0xa0:
		return str(int(c & 0x1f))
	case c&0xf0 == 0x90:
		return arr(int(c & 0x0f))
	case c&0xf0 == 0x80:
		return mp(int(c & 0x0f))
	}
	switch c {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.uint(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.uint(8)))
	case 0xcc:
		return lua.LNumber(d.uint(1))
	case 0xcd:
		return lua.LNumber(d.uint(2))
	case 0xce:
		return lua.LNumber(d.uint(4))
	case 0xcf:
		return lua.LNumber(d.uint(8))
	case 0xd0:
		return lua.LNumber(int8(d.uint(1)))
	case 0xd1:
		return lua.LNumber(int16(d.uint(2)))
	case 0xd2:
		return lua.LNumber(int32(d.uint(4)))
	case 0xd3:
		return lua.LNumber(int64(d.uint(8)))
	case 0xd9, 0xc4:
		return str(int(d.uint(1)))
	case 0xda, 0xc5:
		return str(int(d.uint(2)))
	case 0xdb, 0xc6:
		return str(int(d.uint(4)))
	case 0xdc:
		return arr(int(d.uint(2)))
	case 0xdd:
		return arr(int(d.uint(4)))
	case 0xde:
		return mp(int(d.uint(2)))
	case 0xdf:
		return mp(int(d.uint(4)))
	}
	d.bad = true
	return lua.LNil
}

// msgpackUnpack decodes up to limit objects (0 = all) from offset; with
// withOffset the next offset comes first (-1 at the end), as
// unpack_one/unpack_limit return it.
func msgpackUnpack(L *lua.LState, s string, limit, offset int, withOffset bool) int {
	if offset < 0 || offset > len(s) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	d := &msgpackDecoder{L: L, s: s, i: offset}
	var vals []lua.LValue
	for d.i < len(d.s) && (limit == 0 || len(vals) < limit) {
		v := d.value(0)
		if d.overflow != "" {
			luaRaise(L, "stack overflow (in function %s)", d.overflow)
		}
		if d.bad {
			L.RaiseError("Missing bytes in input.")
		}
		vals = append(vals, v)
	}
	n := 0
	if withOffset {
		next := d.i
		if next >= len(d.s) {
			next = -1
		}
		L.Push(lua.LNumber(next))
		n++
	}
	for _, v := range vals {
		L.Push(v)
	}
	return n + len(vals)
}

// forEachInOrder is t.ForEach in lua_next's order (gopher-lua's: the
// array part, then the keys in the order they were added), not Go's
// random map order: a table encodes the same way every time.
func forEachInOrder(t *lua.LTable, cb func(k, v lua.LValue)) {
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		cb(k, v)
	}
}
