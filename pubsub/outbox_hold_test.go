package pubsub

import "testing"

// TestOutboxHold: while held, Take gives what was pushed before Hold only,
// whoever takes and however often; Release lets the rest go, in order.
func TestOutboxHold(t *testing.T) {
	var o Outbox
	o.Push([]byte("a"))
	o.Hold()
	o.Push([]byte("b"))
	o.Hold() // a second hold keeps the first one's point
	o.Push([]byte("c"))
	if got := string(o.Take(nil)); got != "a" {
		t.Fatalf("Take while held: %q, want the frame pushed before Hold", got)
	}
	if got := string(o.Take(nil)); got != "" || !o.Pending() {
		t.Fatalf("Take again while held: %q (pending %v), want nothing and frames pending", got, o.Pending())
	}
	o.Release()
	if got := string(o.Take([]byte("reply:"))); got != "reply:bc" {
		t.Fatalf("Take after Release: %q", got)
	}
	if o.Pending() {
		t.Fatal("frames pending after the last Take")
	}
}
