package server

import (
	"math"
	"strconv"
)

// Reply encodes replies into a byte buffer in the client's protocol (RESP2 or
// RESP3). The event loop writes the buffer once per pipeline, so replies of a
// batch go out in one write.
type Reply struct {
	b     []byte
	proto int         // 2 or 3
	errs  *errorStats // counts the error replies (INFO errorstats); nil: not counted
	// Error replies written, nested ones too (Client.call: failed_calls):
	// nerr those counted in INFO errorstats as written, nflag those
	// counted before (a script passing on its command's error).
	nerr, nflag int64
}

func (r *Reply) Bytes() []byte { return r.b }
func (r *Reply) Reset()        { r.b = r.b[:0] }
func (r *Reply) Len() int      { return len(r.b) }

// Truncate drops everything written after n (see Len).
func (r *Reply) Truncate(n int) { r.b = r.b[:n] }

func (r *Reply) prefix(c byte, n int64) {
	if uint64(n) < 1000 { // most lengths and counts: no AppendInt (LRANGE's bulk headers)
		switch {
		case n < 10:
			r.b = append(r.b, c, byte('0'+n), '\r', '\n')
		case n < 100:
			r.b = append(r.b, c, byte('0'+n/10), byte('0'+n%10), '\r', '\n')
		default:
			r.b = append(r.b, c, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10), '\r', '\n')
		}
		return
	}
	r.b = append(r.b, c)
	r.b = strconv.AppendInt(r.b, n, 10)
	r.b = append(r.b, '\r', '\n')
}

// OK writes +OK.
func (r *Reply) OK() { r.b = append(r.b, "+OK\r\n"...) }

// Simple writes a simple string (+s).
func (r *Reply) Simple(s string) {
	r.b = append(r.b, '+')
	r.b = append(r.b, s...)
	r.b = append(r.b, '\r', '\n')
}

// Error writes an error; msg is the text after '-' ("ERR ...", "WRONGTYPE ...").
func (r *Reply) Error(msg string) {
	if r.errs != nil {
		r.errs.note(msg)
	}
	r.nerr++
	r.b = append(r.b, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		r.b = append(r.b, c)
	}
	r.b = append(r.b, '\r', '\n')
}

// errorCounted writes an error reply already counted in INFO errorstats
// (a script passing on its command's error).
func (r *Reply) errorCounted(msg string) {
	errs := r.errs
	r.errs = nil
	r.Error(msg)
	r.errs = errs
	r.nerr--
	r.nflag++
}

// Err writes err.Error() as an error reply.
func (r *Reply) Err(err error) { r.Error(err.Error()) }

// Int writes an integer.
func (r *Reply) Int(n int64) { r.prefix(':', n) }

// Bulk writes a bulk string.
func (r *Reply) Bulk(b []byte) {
	r.prefix('$', int64(len(b)))
	r.b = append(r.b, b...)
	r.b = append(r.b, '\r', '\n')
}

// BulkString writes a bulk string.
func (r *Reply) BulkString(s string) {
	r.prefix('$', int64(len(s)))
	r.b = append(r.b, s...)
	r.b = append(r.b, '\r', '\n')
}

// Null writes a null bulk string ($-1 in RESP2, _ in RESP3).
func (r *Reply) Null() {
	if r.proto >= 3 {
		r.b = append(r.b, "_\r\n"...)
		return
	}
	r.b = append(r.b, "$-1\r\n"...)
}

// NullArray writes a null array (*-1 in RESP2, _ in RESP3), as EXEC after a
// failed WATCH does.
func (r *Reply) NullArray() {
	if r.proto >= 3 {
		r.b = append(r.b, "_\r\n"...)
		return
	}
	r.b = append(r.b, "*-1\r\n"...)
}

// Array writes an array header of n elements.
func (r *Reply) Array(n int) { r.prefix('*', int64(n)) }

// Map writes a map header of n key/value pairs (an array of 2n in RESP2).
func (r *Reply) Map(n int) {
	if r.proto >= 3 {
		r.prefix('%', int64(n))
		return
	}
	r.prefix('*', int64(2*n))
}

// Set writes a set header (an array in RESP2).
func (r *Reply) Set(n int) {
	if r.proto >= 3 {
		r.prefix('~', int64(n))
		return
	}
	r.prefix('*', int64(n))
}

// Double writes a double (a bulk string in RESP2), formatted as Redis does.
func (r *Reply) Double(f float64) {
	var tmp [32]byte
	var s []byte
	switch {
	case math.IsInf(f, 1):
		s = append(tmp[:0], "inf"...)
	case math.IsInf(f, -1):
		s = append(tmp[:0], "-inf"...)
	case f == math.Trunc(f) && math.Abs(f) < 1<<53 && (f != 0 || !math.Signbit(f)):
		s = strconv.AppendInt(tmp[:0], int64(f), 10) // what %.17g prints for these, faster
	default:
		s = strconv.AppendFloat(tmp[:0], f, 'g', 17, 64)
	}
	if r.proto >= 3 {
		r.b = append(r.b, ',')
		r.b = append(r.b, s...)
		r.b = append(r.b, '\r', '\n')
		return
	}
	r.Bulk(s)
}

// Bool writes a boolean (an integer 0/1 in RESP2).
func (r *Reply) Bool(v bool) {
	if r.proto >= 3 {
		if v {
			r.b = append(r.b, "#t\r\n"...)
		} else {
			r.b = append(r.b, "#f\r\n"...)
		}
		return
	}
	if v {
		r.Int(1)
	} else {
		r.Int(0)
	}
}

// Verbatim writes a verbatim string of format fmt ("txt") in RESP3, a bulk
// string in RESP2 (INFO, CLIENT INFO/LIST).
func (r *Reply) Verbatim(format, s string) {
	if r.proto >= 3 {
		r.prefix('=', int64(len(s)+4))
		r.b = append(r.b, format...)
		r.b = append(r.b, ':')
		r.b = append(r.b, s...)
		r.b = append(r.b, '\r', '\n')
		return
	}
	r.BulkString(s)
}

// Raw appends pre-encoded RESP.
func (r *Reply) Raw(b []byte) { r.b = append(r.b, b...) }
