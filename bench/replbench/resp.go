package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// conn is a minimal RESP client over one TCP connection (no pipelining
// beyond one request in flight): enough for SET/GET/INFO and cheap enough
// that the load generator does not need a client library.
type conn struct {
	c       net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	timeout time.Duration
	buf     []byte
}

// respError is an error reply from the server (-ERR ..., -LOADING ...).
type respError string

func (e respError) Error() string { return string(e) }

func dial(addr string, timeout time.Duration) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 16<<10), w: bufio.NewWriterSize(c, 16<<10), timeout: timeout}, nil
}

func (c *conn) Close() error { return c.c.Close() }

// do sends one command and reads its reply: a string (simple, bulk or the
// decimal of an integer), isNull for a nil bulk, or a respError.
func (c *conn) do(args ...string) (s string, isNull bool, err error) {
	b := c.buf[:0]
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, '\r', '\n')
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, '\r', '\n')
		b = append(b, a...)
		b = append(b, '\r', '\n')
	}
	c.buf = b
	return c.roundTrip(b)
}

func (c *conn) roundTrip(req []byte) (string, bool, error) {
	if c.timeout > 0 {
		c.c.SetDeadline(time.Now().Add(c.timeout))
	}
	if _, err := c.w.Write(req); err != nil {
		return "", false, err
	}
	if err := c.w.Flush(); err != nil {
		return "", false, err
	}
	return c.readReply(0)
}

func (c *conn) readLine() (string, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("bad reply line %q", line)
	}
	return string(line[:len(line)-2]), nil
}

func (c *conn) readReply(depth int) (string, bool, error) {
	if depth > 8 {
		return "", false, errors.New("reply nested too deeply")
	}
	line, err := c.readLine()
	if err != nil {
		return "", false, err
	}
	switch line[0] {
	case '+', ':':
		return line[1:], false, nil
	case '-':
		return "", false, respError(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", false, fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return "", true, nil
		}
		if n > 64<<20 {
			return "", false, fmt.Errorf("bulk of %d bytes is too large", n)
		}
		p := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, p); err != nil {
			return "", false, err
		}
		return string(p[:n]), false, nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", false, fmt.Errorf("bad array length %q", line)
		}
		if n > 1<<20 {
			return "", false, fmt.Errorf("array of %d elements is too large", n)
		}
		var parts []string
		for i := 0; i < n; i++ {
			s, _, err := c.readReply(depth + 1)
			if err != nil {
				return "", false, err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), n < 0, nil
	}
	return "", false, fmt.Errorf("unexpected reply %q", line)
}

// info runs INFO section and returns its fields.
func (c *conn) info(section string) (map[string]string, error) {
	s, _, err := c.do("INFO", section)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

// infoInt reads one integer field of an INFO section.
func (c *conn) infoInt(section, field string) (int64, error) {
	m, err := c.info(section)
	if err != nil {
		return 0, err
	}
	v, ok := m[field]
	if !ok {
		return 0, fmt.Errorf("INFO %s has no %s", section, field)
	}
	return strconv.ParseInt(v, 10, 64)
}
