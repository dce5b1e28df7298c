package server

import (
	"errors"
	"net"
	"strconv"
)

// redcon parses RESP without limits: a declared bulk length just makes it
// wait and grow its buffer. limitConn sits between the socket and redcon and
// follows the same grammar byte by byte (cheaply: bulk payloads are skipped,
// not scanned) to enforce Redis's limits before redcon buffers anything:
// proto-max-bulk-len, the multibulk count limit, the inline request size,
// client-query-buffer-limit, and the tighter limits for clients that have not
// authenticated yet. On a violation the bytes before the offending command
// are still handed to redcon (their replies are sent), then the client gets
// Redis's protocol error and the connection is closed.

const (
	maxInlineSize        = 64 << 10 // PROTO_INLINE_MAX_SIZE
	maxMultibulkLen      = 1 << 20  // Redis rejects larger counts than INT_MAX; we bound at 1M args
	unauthMultibulkLimit = 10
	unauthBulkLimit      = 16384
)

var errLimitClose = errors.New("connection closed by protocol limits")

type limitListener struct {
	net.Listener
	s *Server
}

func (l limitListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &limitConn{Conn: c, s: l.s}, nil
}

type scanState uint8

const (
	stStart   scanState = iota // at the first byte of a command
	stInline                   // inside an inline command line
	stCount                    // inside "*<count>\r\n"
	stDollar                   // expecting '$' of the next bulk
	stBulkLen                  // inside "$<len>\r\n"
	stBulk                     // skipping bulk payload + CRLF
)

type limitConn struct {
	net.Conn
	s      *Server
	client *Client

	st        scanState
	num       []byte // digits of the count/length being read
	remaining int64  // bulks left in this command, or bytes left in a bulk
	cmdBytes  int64  // bytes of the current incomplete command
	bulk      int64  // bytes left in the bulk being skipped (payload + CRLF)
	pending   string // protocol error to send on the next Read ("" = none)
	closeNow  bool
}

func (lc *limitConn) authed() bool {
	return lc.client == nil || lc.client.authed
}

func (lc *limitConn) Read(p []byte) (int, error) {
	if lc.closeNow {
		if lc.pending != "" {
			lc.Conn.Write([]byte("-ERR Protocol error: " + lc.pending + "\r\n"))
			lc.s.protoErrors.Add(1)
			lc.s.warnf("protocol error from client %s: %s", lc.Conn.RemoteAddr(), lc.pending)
		}
		return 0, errLimitClose
	}
	n, err := lc.Conn.Read(p)
	if n > 0 {
		if ok, cut := lc.scan(p[:n]); !ok {
			lc.closeNow = true
			if cut > 0 {
				return cut, nil
			}
			return lc.Read(p)
		}
	}
	return n, err
}

// scan advances the parser over b. On a violation it returns false and how
// many bytes of b precede the offending command.
func (lc *limitConn) scan(b []byte) (bool, int) {
	start := 0 // offset in b where the current command began (if it began in b)
	fail := func(msg string) (bool, int) {
		lc.pending = msg
		if lc.cmdBytes > 0 && start == 0 {
			return false, 0
		}
		return false, start
	}
	qlimit := lc.s.cfg.ClientQueryBufferLimit()
	for i := 0; i < len(b); {
		switch lc.st {
		case stStart:
			start = i
			lc.cmdBytes = 0
			if b[i] == '*' {
				lc.st = stCount
				lc.num = lc.num[:0]
				i++
				lc.cmdBytes++
			} else {
				lc.st = stInline
			}
		case stInline:
			j := i
			for j < len(b) && b[j] != '\n' {
				j++
			}
			lc.cmdBytes += int64(j - i)
			if lc.cmdBytes > maxInlineSize {
				return fail("too big inline request")
			}
			if j < len(b) {
				lc.st = stStart
				j++
			}
			i = j
		case stCount, stBulkLen:
			c := b[i]
			i++
			lc.cmdBytes++
			if c != '\n' {
				if len(lc.num) >= 64<<10 {
					if lc.st == stCount {
						return fail("too big mbulk count string")
					}
					return fail("too big bulk count string")
				}
				lc.num = append(lc.num, c)
				continue
			}
			digits := lc.num
			if len(digits) > 0 && digits[len(digits)-1] == '\r' {
				digits = digits[:len(digits)-1]
			}
			v, perr := strconv.ParseInt(string(digits), 10, 64)
			if lc.st == stCount {
				if perr != nil || v > maxMultibulkLen {
					return fail("invalid multibulk length")
				}
				if !lc.authed() && v > unauthMultibulkLimit {
					return fail("unauthenticated multibulk length")
				}
				if v <= 0 {
					lc.st = stStart // redcon reports its own error for these
					continue
				}
				lc.remaining = v
				lc.st = stDollar
			} else {
				if perr != nil || v < 0 || v > lc.s.cfg.ProtoMaxBulkLen() {
					return fail("invalid bulk length")
				}
				if !lc.authed() && v > unauthBulkLimit {
					return fail("unauthenticated bulk length")
				}
				lc.remaining--
				lc.st = stBulk
				lc.bulk = v + 2
			}
		case stDollar:
			if b[i] != '$' {
				return fail("expected '$', got '" + string(b[i]) + "'")
			}
			lc.st = stBulkLen
			lc.num = lc.num[:0]
			i++
			lc.cmdBytes++
		case stBulk:
			left := lc.bulk
			avail := int64(len(b) - i)
			if avail < left {
				lc.bulk -= avail
				lc.cmdBytes += avail
				i = len(b)
			} else {
				i += int(left)
				lc.cmdBytes += left
				lc.bulk = 0
				if lc.remaining == 0 {
					lc.st = stStart
				} else {
					lc.st = stDollar
				}
			}
		}
		if lc.cmdBytes > qlimit {
			lc.pending = ""
			lc.s.warnf("closing client %s that reached max query buffer length", lc.Conn.RemoteAddr())
			return false, start
		}
	}
	return true, 0
}
