package rdb

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Fetch takes a server's RDB file over conn as `redis-cli --rdb` does and
// copies it to w: it asks for the file alone (REPLCONF rdb-only 1, not
// the replication stream after it), with eof first announcing the EOF
// capability (REPLCONF capa eof), each answer read before the next, as
// Redis refuses SYNC with replies pending; then SYNC. The reply is read in either framing, "$EOF:<40-byte mark>" ...
// mark, or "$<length>" (newlines before it keep the link alive), to the
// end of the file. It returns the file's size and whether it came
// EOF-marked.
func Fetch(conn io.ReadWriter, w io.Writer, eof bool) (n int64, marked bool, err error) {
	r := bufio.NewReaderSize(conn, 1<<20)
	cmds := []string{"REPLCONF rdb-only 1\r\n"} // the file alone, not the replication stream after it
	if eof {
		cmds = []string{"REPLCONF capa eof\r\n", "REPLCONF rdb-only 1\r\n"}
	}
	for _, cmd := range cmds {
		if _, err := io.WriteString(conn, cmd); err != nil {
			return 0, false, err
		}
		if l, err := r.ReadString('\n'); err != nil || l != "+OK\r\n" {
			return 0, false, fmt.Errorf("%s: %q %v", strings.TrimSpace(cmd), l, err)
		}
	}
	if _, err := io.WriteString(conn, "SYNC\r\n"); err != nil {
		return 0, false, err
	}
	line := "\n"
	for line == "\n" {
		if line, err = r.ReadString('\n'); err != nil {
			return 0, false, fmt.Errorf("SYNC: %q %v", line, err)
		}
	}
	line = strings.TrimSuffix(line, "\r\n")
	if mark, ok := strings.CutPrefix(line, "$EOF:"); ok {
		if len(mark) != 40 {
			return 0, false, fmt.Errorf("SYNC: EOF mark %q", mark)
		}
		n, err := copyToMark(w, r, []byte(mark))
		return n, true, err
	}
	size, err := strconv.ParseInt(strings.TrimPrefix(line, "$"), 10, 64)
	if !strings.HasPrefix(line, "$") || err != nil || size < 0 {
		return 0, false, fmt.Errorf("SYNC: %q", line)
	}
	n, err = io.CopyN(w, r, size)
	return n, false, err
}

// copyToMark copies r to w up to the end of the stream, which must end
// with mark; the mark is not copied.
func copyToMark(w io.Writer, r io.Reader, mark []byte) (int64, error) {
	buf := make([]byte, 256<<10)
	held := 0 // buf[:held]: the last bytes read, possibly the mark
	var n int64
	for {
		m, err := r.Read(buf[held:])
		held += m
		if keep := len(mark); held > keep { // all but the last len(mark) bytes are file
			k, werr := w.Write(buf[:held-keep])
			n += int64(k)
			if werr != nil {
				return n, werr
			}
			held = copy(buf, buf[held-keep:held])
		}
		if err == io.EOF {
			if string(buf[:held]) != string(mark) {
				return n, errors.New("SYNC: the stream ended without its EOF mark")
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
