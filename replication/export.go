package replication

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// The export wire protocol (also documented in persistence/doc.go):
//
//	peer -> fastcache: "<token>\n"  (only when wal-export-token is set; in
//	                   connect mode fastcache sends it to the collector)
//	fastcache -> peer: "FCWAL 1 <run id> <offset>\n" then frames, byte for
//	                   byte as in the WAL segments, forever.
//	on refusal:        "-ERR <reason>\n" and the connection is closed.

// HelloPrefix starts the line that opens an export stream.
const HelloPrefix = "FCWAL 1 "

// tokenOK compares in constant time (hashes first, so the length of the
// configured token does not leak either).
func tokenOK(got, want string) bool {
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// readLine reads one '\n'-terminated line of at most max bytes.
func readLine(r *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return strings.TrimSuffix(string(b), "\r"), nil
		}
		if len(b) >= max {
			return "", errors.New("line too long")
		}
		b = append(b, c)
	}
}

// Exporter runs the listen and connect modes of the WAL export.
type Exporter struct {
	hub   *Hub
	token func() string
	log   zerolog.Logger

	mu   sync.Mutex
	ln   net.Listener
	stop chan struct{}
	wg   sync.WaitGroup
}

// NewExporter serves hub's stream; token returns wal-export-token.
func NewExporter(hub *Hub, token func() string, log zerolog.Logger) *Exporter {
	return &Exporter{hub: hub, token: token, log: log, stop: make(chan struct{})}
}

// Listen accepts subscribers on addr (wal-export-listen). A bare ":port"
// binds loopback only.
func (e *Exporter) Listen(addr string) (net.Addr, error) {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wal-export-listen %s: %w", addr, err)
	}
	e.mu.Lock()
	e.ln = ln
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				select {
				case <-e.stop:
					return
				default:
				}
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					continue
				}
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(50 * time.Millisecond)
				continue
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				e.serveSubscriber(conn)
			}()
		}
	}()
	e.log.Info().Str("addr", ln.Addr().String()).Msg("WAL export listening for subscribers")
	return ln.Addr(), nil
}

func (e *Exporter) refuse(conn net.Conn, reason string) {
	e.hub.stats.Rejected.Add(1)
	e.log.Warn().Str("peer", conn.RemoteAddr().String()).Str("reason", reason).Msg("WAL subscriber refused")
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	io.WriteString(conn, "-ERR "+reason+"\n")
	conn.Close()
}

func (e *Exporter) serveSubscriber(conn net.Conn) {
	if tok := e.token(); tok != "" {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := readLine(bufio.NewReaderSize(conn, 1024), 1024)
		if err != nil || !tokenOK(line, tok) {
			e.refuse(conn, "invalid token")
			return
		}
		conn.SetReadDeadline(time.Time{})
	}
	sub, off, err := e.hub.Attach(conn)
	if err != nil {
		e.refuse(conn, err.Error())
		return
	}
	e.log.Info().Str("peer", sub.Addr).Int64("offset", off).Msg("WAL subscriber attached")
	if err := writeHello(conn, e.hub.RunID(), off, e.hub.writeTimeout()); err != nil {
		sub.Close(err)
		return
	}
	// A subscriber only reads; its end of file means it went away.
	go func() {
		io.Copy(io.Discard, conn)
		sub.Close(nil)
	}()
	go func() {
		<-e.stop
		sub.Close(nil)
	}()
	if err := sub.Run(); err == nil {
		e.log.Info().Str("peer", sub.Addr).Msg("WAL subscriber left")
	}
}

func writeHello(conn net.Conn, runID string, off int64, timeout time.Duration) error {
	conn.SetWriteDeadline(time.Now().Add(timeout))
	_, err := fmt.Fprintf(conn, "%s%s %d\n", HelloPrefix, runID, off)
	return err
}

// Connect pushes the stream to a collector at addr (wal-export-connect),
// reconnecting with an exponential back-off (100 ms to 5 s) when it goes away.
// Each connection starts at the stream's current offset, which the hello line
// carries, so a collector can tell a gap.
func (e *Exporter) Connect(addr string) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		backoff := 100 * time.Millisecond
		for {
			select {
			case <-e.stop:
				return
			default:
			}
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err == nil {
				err = e.push(conn)
				if err == nil || errors.Is(err, errStopped) {
					backoff = 100 * time.Millisecond
				}
			} else {
				e.hub.stats.ConnectFailures.Add(1)
				e.log.Warn().Str("collector", addr).Err(err).Dur("retry_in", backoff).Msg("WAL export: cannot connect to the collector")
			}
			select {
			case <-e.stop:
				return
			case <-time.After(backoff):
			}
			if err != nil {
				backoff = min(backoff*2, 5*time.Second)
			}
		}
	}()
}

var errStopped = errors.New("stopped")

func (e *Exporter) push(conn net.Conn) error {
	if tok := e.token(); tok != "" {
		conn.SetWriteDeadline(time.Now().Add(e.hub.writeTimeout()))
		if _, err := io.WriteString(conn, tok+"\n"); err != nil {
			conn.Close()
			return err
		}
	}
	sub, off, err := e.hub.Attach(conn)
	if err != nil {
		conn.Close()
		return err
	}
	e.log.Info().Str("collector", sub.Addr).Int64("offset", off).Msg("WAL export connected to the collector")
	if err := writeHello(conn, e.hub.RunID(), off, e.hub.writeTimeout()); err != nil {
		sub.Close(err)
		return err
	}
	go func() {
		io.Copy(io.Discard, conn)
		sub.Close(errors.New("collector closed the connection"))
	}()
	go func() {
		select {
		case <-e.stop:
			sub.Close(nil)
		case <-sub.Done():
		}
	}()
	err = sub.Run()
	select {
	case <-e.stop:
		return errStopped
	default:
	}
	if err == nil {
		err = errors.New("disconnected")
	}
	return err
}

// Close stops listening and disconnects every export peer.
func (e *Exporter) Close() {
	select {
	case <-e.stop:
		return
	default:
	}
	close(e.stop)
	e.mu.Lock()
	if e.ln != nil {
		e.ln.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}
