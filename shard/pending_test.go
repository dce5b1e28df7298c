package shard

import (
	"sync"
	"testing"
)

// TestOnNextLock: a task set under the lock runs once, under the lock,
// for the next holder, before it reaches the shard; holders after it do
// not run it again, and a task set later runs for the holder after that.
func TestOnNextLock(t *testing.T) {
	s := New(0, 1, nil)
	var ran []int
	s.Lock()
	s.OnNextLock(func(got *Shard) {
		if got != s || s.mu.TryLock() {
			t.Error("the task ran without the shard's lock")
		}
		ran = append(ran, 1)
	})
	s.Unlock()
	if len(ran) != 0 {
		t.Fatal("the task ran before the next lock")
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Lock()
			s.Unlock()
		}()
	}
	wg.Wait()
	if len(ran) != 1 {
		t.Fatalf("the task ran %d times", len(ran))
	}
	s.Lock()
	s.OnNextLock(func(*Shard) { ran = append(ran, 2) })
	s.Unlock()
	s.Lock()
	s.Unlock()
	if len(ran) != 2 || ran[1] != 2 {
		t.Fatalf("tasks ran: %v", ran)
	}
}
