package server

import (
	"strings"
	"sync"
	"time"
)

// ACL LOG: the latest denials (a command, key or channel refused, a failed
// AUTH), newest first, at most acllog-max-len of them. A denial like one
// of the 10 newest entries (same reason, context, object and user, within
// 60 s) bumps that entry's count instead of adding one, as Redis does.

// Contexts of a denial (ACL_LOG_CTX_*).
const (
	aclCtxToplevel = iota
	aclCtxMulti
	aclCtxLua
)

var aclCtxNames = [...]string{"toplevel", "multi", "lua"}

var aclReasonNames = [...]string{aclDeniedCmd: "command", aclDeniedKey: "key", aclDeniedAuth: "auth", aclDeniedChannel: "channel"}

type aclLogEntry struct {
	count           int64
	reason, context int
	object, user    string
	ctime           int64 // unix ms of the last occurrence
	cinfo           string
}

type aclLog struct {
	mu      sync.Mutex
	entries []*aclLogEntry // newest first
}

// add records e, or bumps a recent entry like it; max is acllog-max-len.
func (l *aclLog) add(e *aclLogEntry, max int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, cur := range l.entries {
		if i == 10 {
			break
		}
		d := cur.ctime - e.ctime
		if d < 0 {
			d = -d
		}
		if cur.reason == e.reason && cur.context == e.context && d <= 60000 && cur.object == e.object && cur.user == e.user {
			cur.cinfo, cur.ctime = e.cinfo, e.ctime
			cur.count++
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = cur
			return
		}
	}
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	if max < 0 {
		max = 0
	}
	if len(l.entries) > max {
		clear(l.entries[max:])
		l.entries = l.entries[:max]
	}
}

func (l *aclLog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// clientInfo is c's CLIENT LIST line, as an ACL LOG entry shows it.
func (c *Client) clientInfo() string {
	var sb strings.Builder
	c.appendInfo(&sb, c, time.Now())
	return sb.String()
}

// logDenied records a call of cmd refused to c (the script's caller for
// a redis.call): its command, or the key or channel at args[idx].
func (a *aclState) logDenied(c *Client, res, ctx int, cmd *Command, args [][]byte, idx int) {
	obj := cmd.Name
	if res == aclDeniedKey || res == aclDeniedChannel {
		obj = string(args[idx])
	}
	a.log.add(&aclLogEntry{count: 1, reason: res, context: ctx, object: obj, user: c.userName(),
		ctime: time.Now().UnixMilli(), cinfo: c.clientInfo()}, a.maxLog())
}

// logAuth records a failed AUTH or HELLO ... AUTH as user (name: the
// command as typed).
func (a *aclState) logAuth(c *Client, name []byte, user []byte) {
	ctx := aclCtxToplevel
	if c.multi {
		ctx = aclCtxMulti
	}
	a.log.add(&aclLogEntry{count: 1, reason: aclDeniedAuth, context: ctx, object: string(name), user: string(user),
		ctime: time.Now().UnixMilli(), cinfo: c.clientInfo()}, a.maxLog())
}

// aclLogReply is ACL LOG [count]: the count newest entries.
func aclLogReply(c *Client, count int) {
	l := &c.srv.acl.log
	l.mu.Lock()
	entries := l.entries[:min(count, len(l.entries))]
	out := make([]aclLogEntry, len(entries))
	for i, e := range entries {
		out[i] = *e
	}
	l.mu.Unlock()
	now := time.Now().UnixMilli()
	r := &c.reply
	r.Array(len(out))
	for _, e := range out {
		r.Map(7)
		r.BulkString("count")
		r.Int(e.count)
		r.BulkString("reason")
		r.BulkString(aclReasonNames[e.reason])
		r.BulkString("context")
		r.BulkString(aclCtxNames[e.context])
		r.BulkString("object")
		r.BulkString(e.object)
		r.BulkString("username")
		r.BulkString(e.user)
		r.BulkString("age-seconds")
		r.Double(float64(now-e.ctime) / 1000)
		r.BulkString("client-info")
		r.BulkString(e.cinfo)
	}
}
