package replication

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"fastcache/persistence"
)

// StreamReader reads an export stream (or a replica's stream after its
// snapshot): whole frames, verified, decoded into records. Pub/sub message
// frames between them (pubsub.go; only on a replica stream that asked for
// them) go to Messages, or are skipped when it is nil; they have no offset.
type StreamReader struct {
	r      *bufio.Reader
	buf    []byte
	msgBuf []byte
	dec    persistence.FrameDecoder
	Offset int64 // stream offset after the last frame read
	// Messages receives each message frame (its slices are valid during
	// the call), in stream order with the frames Next returns.
	Messages func(shard bool, channel, message []byte)
	// Ping, when set, is called for each heartbeat (heartbeat.go); a
	// heartbeat has no offset and is skipped either way.
	Ping func()
}

// NewStreamReader reads frames from r, starting at stream offset off.
func NewStreamReader(r *bufio.Reader, off int64) *StreamReader {
	return &StreamReader{r: r, Offset: off}
}

// ReadHello reads the line that opens an export stream and returns the
// stream's run id and the offset its first frame has. A "-ERR ..." line
// (refused: bad token, too many subscribers) becomes the error.
func ReadHello(r *bufio.Reader) (runID string, off int64, err error) {
	line, err := readLine(r, 4096)
	if err != nil {
		return "", 0, fmt.Errorf("reading the stream hello: %w", err)
	}
	if strings.HasPrefix(line, "-") {
		return "", 0, errors.New(strings.TrimPrefix(line, "-"))
	}
	f := strings.Fields(strings.TrimPrefix(line, HelloPrefix))
	if !strings.HasPrefix(line, HelloPrefix) || len(f) != 2 {
		return "", 0, fmt.Errorf("not a fastcache WAL stream: %q", line)
	}
	off, err = strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("bad stream offset in %q", line)
	}
	return f[0], off, nil
}

// maxStreamFrame bounds what a reader accepts for one frame.
const maxStreamFrame = 1<<30 + 1<<27

// Next returns the records of the next frame (valid until the next call)
// and the frame's bytes (also valid until the next call).
func (s *StreamReader) Next() ([]persistence.Record, []byte, error) {
	for {
		hdr, err := s.r.Peek(2)
		if err != nil {
			if errors.Is(err, io.EOF) && len(hdr) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, err
		}
		if !isMessageFrame(hdr) {
			break
		}
		kind, ch, msg, buf, err := readMessageFrame(s.r, s.msgBuf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, nil, fmt.Errorf("stream offset %d: %w", s.Offset, err)
		}
		if cap(buf) <= 1<<20 {
			s.msgBuf = buf // a huge message's buffer is not kept
		}
		switch {
		case kind == msgKindPing:
			if s.Ping != nil {
				s.Ping()
			}
		case s.Messages != nil:
			s.Messages(kind == msgKindShard, ch, msg)
		}
	}
	hdr, err := s.r.Peek(persistence.FrameHeaderSize)
	if err != nil {
		if errors.Is(err, io.EOF) && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, err
	}
	n, err := persistence.FrameLen(hdr)
	if err != nil {
		return nil, nil, fmt.Errorf("stream offset %d: %w", s.Offset, err)
	}
	if n > maxStreamFrame {
		return nil, nil, fmt.Errorf("stream offset %d: frame of %d bytes is too large", s.Offset, n)
	}
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	if _, err := io.ReadFull(s.r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, err
	}
	recs, _, err := s.dec.Decode(b)
	if err != nil {
		return nil, nil, fmt.Errorf("stream offset %d: %w", s.Offset, err)
	}
	s.Offset += int64(n)
	return recs, b, nil
}
