package server

// The request parser: RESP multibulk and inline commands, parsed in place
// from a connection's input buffer with Redis's limits and error texts
// (processMultibulkBuffer and processInlineBuffer in Redis's networking.c).
//
// It is resumable: a command that arrives in pieces is not rescanned from its
// start on every read (a bulk's payload is skipped by its length, never
// scanned), and a declared length allocates nothing: the buffer grows only
// with bytes that actually arrive. Arguments are slices of the input buffer
// (inline arguments, which may contain escapes, live in the parser's own
// scratch), valid until the next call; handlers copy what they keep.

import (
	"bytes"
)

const (
	maxInlineSize        = 64 << 10 // PROTO_INLINE_MAX_SIZE
	maxMultibulkLen      = 1 << 20  // Redis allows up to INT_MAX; we bound at 1M arguments
	unauthMultibulkLimit = 10
	unauthBulkLimit      = 16384
)

// reqParser is one connection's parse state. Offsets are absolute positions
// in the connection's input buffer; shift moves them when it is compacted.
type reqParser struct {
	start   int   // where the command being parsed begins
	pos     int   // next unparsed byte
	left    int   // bulks still to read of the current multibulk (0: at a command start)
	bulkLen int   // length of the bulk being read, -1 while its "$<len>" line is pending
	marks   []int // begin,end pairs of the current command's parsed bulks
	args    [][]byte
	inline  []byte // unescaped inline arguments
}

// limits are the protocol limits in force for one parse.
type limits struct {
	authed     bool
	maxBulkLen int64
}

// next parses the next complete command in b. It returns the command's
// arguments (ok), or nothing with perr == "" when more input is needed, or a
// protocol error (the text after "Protocol error: ").
func (p *reqParser) next(b []byte, lim limits) (args [][]byte, perr string, ok bool) {
	for {
		if p.left == 0 {
			p.start = p.pos
			p.marks = p.marks[:0]
			if p.pos >= len(b) {
				return nil, "", false
			}
			if b[p.pos] != '*' {
				args, perr, ok, empty := p.inlineCommand(b)
				if empty {
					continue
				}
				return args, perr, ok
			}
			n, next, st := parseLine(b, p.pos+1)
			switch st {
			case lineMore:
				if len(b)-p.pos > maxInlineSize {
					return nil, "too big mbulk count string", false
				}
				return nil, "", false
			case lineBad:
				return nil, "invalid multibulk length", false
			}
			if n > maxMultibulkLen {
				return nil, "invalid multibulk length", false
			}
			if !lim.authed && n > unauthMultibulkLimit {
				return nil, "unauthenticated multibulk length", false
			}
			p.pos = next
			if n <= 0 {
				continue // an empty multibulk is skipped, as Redis does
			}
			p.left = int(n)
			p.bulkLen = -1
		}
		for p.left > 0 {
			if p.bulkLen < 0 {
				if p.pos >= len(b) {
					return nil, "", false
				}
				if b[p.pos] != '$' {
					return nil, "expected '$', got '" + string(b[p.pos]) + "'", false
				}
				n, next, st := parseLine(b, p.pos+1)
				switch st {
				case lineMore:
					if len(b)-p.pos > maxInlineSize {
						return nil, "too big bulk count string", false
					}
					return nil, "", false
				case lineBad:
					return nil, "invalid bulk length", false
				}
				if n < 0 || n > lim.maxBulkLen {
					return nil, "invalid bulk length", false
				}
				if !lim.authed && n > unauthBulkLimit {
					return nil, "unauthenticated bulk length", false
				}
				p.pos = next
				p.bulkLen = int(n)
			}
			if len(b)-p.pos < p.bulkLen+2 {
				return nil, "", false
			}
			p.marks = append(p.marks, p.pos, p.pos+p.bulkLen)
			p.pos += p.bulkLen + 2 // the CRLF after the payload is skipped unchecked, as Redis does
			p.bulkLen = -1
			p.left--
		}
		p.args = p.args[:0]
		for i := 0; i < len(p.marks); i += 2 {
			p.args = append(p.args, b[p.marks[i]:p.marks[i+1]:p.marks[i+1]])
		}
		return p.args, "", true
	}
}

// pending is the number of bytes of the command being parsed (for the query
// buffer limit).
func (p *reqParser) pending(end int) int { return end - p.start }

// shift moves the parser's offsets after the buffer dropped its first n bytes.
func (p *reqParser) shift(n int) {
	p.start -= n
	p.pos -= n
	for i := range p.marks {
		p.marks[i] -= n
	}
}

// inlineCommand parses one inline command line. empty reports a blank line
// (skipped).
func (p *reqParser) inlineCommand(b []byte) (args [][]byte, perr string, ok, empty bool) {
	nl := bytes.IndexByte(b[p.pos:], '\n')
	if nl < 0 {
		if len(b)-p.pos > maxInlineSize {
			return nil, "too big inline request", false, false
		}
		return nil, "", false, false
	}
	line := b[p.pos : p.pos+nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	p.pos += nl + 1
	if !p.splitArgs(line) {
		return nil, "unbalanced quotes in request", false, false
	}
	if len(p.args) == 0 {
		return nil, "", false, true
	}
	return p.args, "", true, false
}

// splitArgs splits an inline line like Redis's sdssplitargs: arguments are
// separated by spaces; "double quotes" take \n \r \t \b \a \\ \" and \xHH
// escapes; 'single quotes' take \'; a closing quote must be followed by a
// space or the end of the line.
func (p *reqParser) splitArgs(line []byte) bool {
	p.inline = p.inline[:0]
	p.marks = p.marks[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		begin := len(p.inline)
		inDQ, inSQ, done := false, false, false
		for !done {
			if inDQ {
				if i >= len(line) {
					return false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					p.inline = append(p.inline, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					default:
						c = line[i]
					}
					p.inline = append(p.inline, c)
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return false
					}
					done = true
				default:
					p.inline = append(p.inline, c)
				}
			} else if inSQ {
				if i >= len(line) {
					return false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					p.inline = append(p.inline, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return false
					}
					done = true
				default:
					p.inline = append(p.inline, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; {
				case isSpace(c):
					done = true
				case c == '"':
					inDQ = true
				case c == '\'':
					inSQ = true
				default:
					p.inline = append(p.inline, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		p.marks = append(p.marks, begin, len(p.inline))
	}
	p.args = p.args[:0]
	for j := 0; j < len(p.marks); j += 2 {
		p.args = append(p.args, p.inline[p.marks[j]:p.marks[j+1]:p.marks[j+1]])
	}
	p.marks = p.marks[:0]
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

const (
	lineOK = iota
	lineMore
	lineBad
)

// parseLine parses the decimal number of a "*<n>\r\n" or "$<n>\r\n" line
// starting at b[i] (after the type byte) in one pass, like Redis's
// string2ll: an optional '-', digits, no '+', no spaces, no leading zeros,
// at most 18 digits. next is the index after the line's CRLF. A character
// that cannot be part of the number fails at once; lineMore means the line
// is not complete yet.
func parseLine(b []byte, i int) (n int64, next int, st int) {
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			n = n*10 + int64(c-'0')
			continue
		}
		if c != '\r' {
			return 0, 0, lineBad
		}
		break
	}
	if i+1 >= len(b) {
		return 0, 0, lineMore
	}
	if d := i - start; d == 0 || d > 18 || (d > 1 && b[start] == '0') || (neg && b[start] == '0') {
		return 0, 0, lineBad // as Redis's string2ll: no leading zero, no "-0"
	}
	if neg {
		n = -n
	}
	return n, i + 2, lineOK
}

// peekKeys looks at up to maxCmds complete multibulk commands in b from
// pos without consuming anything (the pipeline's look-ahead for
// prefetching, Client.lookAhead): it appends the keys of each, by the
// command table's key positions, to keys (at most maxKeys in all), and says
// how many commands it saw. It stops at the first command that is
// incomplete, inline or malformed (the parser proper judges those), and once
// maxKeys keys are named.
//
// With members not nil, it also appends to members, in step with keys, the
// member or field argument (Command.Member) of the command that named each
// key, or nil; nmember counts the non-nil ones.
func (cl *Client) peekKeys(b []byte, pos, maxCmds, maxKeys int, keys, members [][]byte) (_, _ [][]byte, nmember, cmds int) {
	for ; cmds < maxCmds && len(keys) < maxKeys && pos < len(b) && b[pos] == '*'; cmds++ {
		argc, next, st := parseLine(b, pos+1)
		if st != lineOK || argc < 1 || argc > maxMultibulkLen {
			break
		}
		pos = next
		had := len(keys)
		var cmd *Command
		hadm, hadn := len(members), nmember
		for a := 0; a < int(argc); a++ {
			if pos >= len(b) || b[pos] != '$' {
				return keys[:had], members[:min(hadm, len(members))], hadn, cmds
			}
			l, next, st := parseLine(b, pos+1)
			if st != lineOK || l < 0 || int64(len(b)-next) < l+2 {
				return keys[:had], members[:min(hadm, len(members))], hadn, cmds
			}
			arg := b[next : next+int(l)]
			if a == 0 {
				cmd = cl.command(arg)
			} else if cmd != nil && len(keys) < maxKeys && cmd.isKey(a, int(argc)) {
				keys = append(keys, arg)
				if members != nil {
					members = append(members, nil)
				}
			} else if cmd != nil && a == cmd.Member && members != nil && len(members) == had+1 {
				members[had] = arg
				nmember++
			}
			pos = next + int(l) + 2
		}
	}
	return keys, members, nmember, cmds
}
