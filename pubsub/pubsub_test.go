package pubsub

import (
	"strings"
	"sync"
	"testing"
)

type sink struct {
	mu     sync.Mutex
	frames []string
	resp3  bool
}

func (s *sink) Deliver(m *Message) {
	s.mu.Lock()
	s.frames = append(s.frames, string(m.Frame(s.resp3)))
	s.mu.Unlock()
}

func TestRegistryPublish(t *testing.T) {
	r := NewRegistry()
	a, b := &sink{}, &sink{resp3: true}
	r.Subscribe(Channel, []byte("news"), a)
	if r.Subscribe(Channel, []byte("news"), a) {
		t.Fatal("a second subscription of the same client counted")
	}
	r.Subscribe(Pattern, []byte("n*"), a)
	r.Subscribe(Pattern, []byte("n*"), b)
	r.Subscribe(Shard, []byte("s"), b)
	if n := r.Publish([]byte("news"), []byte("hi")); n != 3 {
		t.Fatalf("PUBLISH reached %d, want 3 (channel + pattern for a, pattern for b)", n)
	}
	want := []string{
		"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
		"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
	}
	if strings.Join(a.frames, "") != strings.Join(want, "") {
		t.Fatalf("a got %q", a.frames)
	}
	if len(b.frames) != 1 || b.frames[0] != ">4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n" {
		t.Fatalf("b got %q", b.frames)
	}
	if n := r.SPublish([]byte("s"), []byte("x")); n != 1 || b.frames[1] != ">3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n" {
		t.Fatalf("SPUBLISH %d %q", n, b.frames)
	}
	if r.Count(Channel) != 1 || r.Count(Pattern) != 1 || r.Count(Shard) != 1 || r.NumSub(Channel, []byte("news")) != 1 {
		t.Fatal("counts")
	}
	r.Unsubscribe(Pattern, []byte("n*"), a)
	r.Unsubscribe(Pattern, []byte("n*"), b)
	r.Unsubscribe(Channel, []byte("news"), a)
	if r.Count(Pattern) != 0 || r.Count(Channel) != 0 || r.Active() {
		t.Fatal("empty groups must go")
	}
	if n := r.Publish([]byte("news"), []byte("hi")); n != 0 {
		t.Fatalf("PUBLISH with no subscriber reached %d", n)
	}
}

func TestOutboxLimits(t *testing.T) {
	var woken, over int
	limit := Limit{Hard: 100, Soft: 50, SoftSeconds: 3600}
	o := &Outbox{Wake: func() { woken++ }, OverLimit: func(int64) { over++ }, Limit: func() Limit { return limit }}
	frame := []byte(strings.Repeat("x", 30))
	o.Push(frame)
	o.Push(frame)
	if woken != 1 {
		t.Fatalf("woken %d times for two pushes before a take, want 1", woken)
	}
	if got := o.Take(nil); len(got) != 60 || o.Pending() {
		t.Fatalf("took %d bytes", len(got))
	}
	// Soft limit: over it, but not for long enough.
	o.Push(frame)
	o.Push(frame)
	if over != 0 || o.Closed() {
		t.Fatal("closed over the soft limit before its seconds passed")
	}
	// Hard limit, counting what the network layer holds unsent.
	o.SetUnsent(50)
	if o.Push(frame) || over != 1 || !o.Closed() || o.Pending() {
		t.Fatalf("over the hard limit: over=%d closed=%v", over, o.Closed())
	}
	if o.Push(frame) || over != 1 {
		t.Fatal("a closed outbox takes frames or reports again")
	}
	// No limit.
	o2 := &Outbox{Limit: func() Limit { return Limit{} }}
	for i := 0; i < 1000; i++ {
		if !o2.Push(frame) {
			t.Fatal("refused without a limit")
		}
	}
}

func TestClasses(t *testing.T) {
	for in, want := range map[string]string{"KEA": "AKE", "g$lshzxetd": "A", "An": "A", "nmEK": "nKEm", "tde": "etd", "": "", "Kx": "xK"} {
		c, err := ParseClasses(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatClasses(c); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	if _, err := ParseClasses("KQ"); err != ErrBadClass {
		t.Fatalf("bad letter: %v", err)
	}
}
