package server

import "fastcache/cache"

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest
// common subsequence of two strings, by the classic dynamic programming
// table, as Redis 7.0 computes it (so ties resolve the same way and IDX
// lists the same ranges, last match first). The table takes 4 bytes per
// cell, (len1+1) x (len2+1) cells; a table larger than proto-max-bulk-len
// is refused with Redis's error before anything is allocated, which bounds
// the command's time and memory.

func init() {
	register(&Command{Name: "lcs", Arity: -3, Flags: flagReadOnly, FirstKey: 1, LastKey: 2, Step: 1,
		Group: "string", Since: "7.0.0", Summary: "Finds the longest common substring.", Handler: cmdLCS})
}

func cmdLCS(c *Client, args [][]byte) {
	for _, k := range args[1:3] {
		if t := c.ks.Type(k); t != "none" && t != "string" {
			c.reply.Error("ERR The specified keys must contain string values")
			return
		}
	}
	var getLen, getIdx, withLen bool
	var minLen int64
	for j := 3; j < len(args); j++ {
		switch {
		case eqFold(args[j], "idx"):
			getIdx = true
		case eqFold(args[j], "len"):
			getLen = true
		case eqFold(args[j], "withmatchlen"):
			withLen = true
		case eqFold(args[j], "minmatchlen") && j+1 < len(args):
			n, ok := cache.ParseInt(args[j+1])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			minLen = max(n, 0)
			j++
		default:
			c.reply.Error(errSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.reply.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	alen, blen := int64(c.ks.StrLen(args[1])), int64(c.ks.StrLen(args[2]))
	if alen >= 1<<32-2 || blen >= 1<<32-2 {
		c.reply.Error("ERR String too long for LCS")
		return
	}
	cells := uint64(alen+1) * uint64(blen+1)
	if cells > uint64(c.srv.cfg.ProtoMaxBulkLen())/4 {
		c.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	a, _ := c.ks.Get(args[1], nil)
	b, _ := c.ks.Get(args[2], nil)
	if int64(len(a)) != alen || int64(len(b)) != blen {
		// The values changed between the reads (another client): the
		// table must fit the strings compared.
		if uint64(len(a)+1)*uint64(len(b)+1) > uint64(c.srv.cfg.ProtoMaxBulkLen())/4 {
			c.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
			return
		}
	}
	lcsReply(c, a, b, getLen, getIdx, withLen, minLen)
}

// lcsReply computes the table of a and b and writes LCS's reply.
func lcsReply(c *Client, a, b []byte, getLen, getIdx, withLen bool, minLen int64) {
	w := len(b) + 1
	t := make([]uint32, (len(a)+1)*w) // t[i*w+j]: LCS length of a[:i] and b[:j]
	for i := 1; i <= len(a); i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		for j := 1; j <= len(b); j++ {
			switch {
			case a[i-1] == b[j-1]:
				row[j] = prev[j-1] + 1
			case prev[j] > row[j-1]:
				row[j] = prev[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	total := t[len(a)*w+len(b)]
	if getLen {
		c.reply.Int(int64(total))
		return
	}
	// Walk back from the end, collecting the subsequence and, for IDX,
	// the runs of consecutive matches (a range ends at a mismatch step or
	// at the start of either string).
	out := make([]byte, total)
	n := total
	type run struct{ a0, a1, b0, b1 int }
	var runs []run
	var cur run
	active := false
	i, j := len(a), len(b)
	for i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			out[n-1] = a[i-1]
			if !active {
				cur, active = run{i - 1, i - 1, j - 1, j - 1}, true
			} else {
				cur.a0, cur.b0 = i-1, j-1 // contiguous with the run, backwards
			}
			if cur.a0 == 0 || cur.b0 == 0 {
				emit = true
			}
			n, i, j = n-1, i-1, j-1
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = active
		}
		if emit {
			if l := int64(cur.a1 - cur.a0 + 1); minLen == 0 || l >= minLen {
				runs = append(runs, cur)
			}
			active = false
		}
	}
	if !getIdx {
		c.reply.Bulk(out)
		return
	}
	r := &c.reply
	r.Map(2)
	r.BulkString("matches")
	r.Array(len(runs))
	for _, m := range runs {
		if withLen {
			r.Array(3)
		} else {
			r.Array(2)
		}
		r.Array(2)
		r.Int(int64(m.a0))
		r.Int(int64(m.a1))
		r.Array(2)
		r.Int(int64(m.b0))
		r.Int(int64(m.b1))
		if withLen {
			r.Int(int64(m.a1 - m.a0 + 1))
		}
	}
	r.BulkString("len")
	r.Int(int64(total))
}
