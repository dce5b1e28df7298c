package main

import (
	"testing"
	"time"
)

// TestDebugLogWritesItsText: DEBUG LOG puts its text in the server's log, as
// Redis's "DEBUG LOG: <text>" line, in both log formats (the text was once a
// field named "message", which the line's own message replaced).
func TestDebugLogWritesItsText(t *testing.T) {
	for _, format := range []string{"json", "console"} {
		t.Run(format, func(t *testing.T) {
			p := startReady(t, t.TempDir(), "--enable-debug-command", "yes", "--logformat", format)
			if err := p.client().Do(ctx(), "DEBUG", "LOG", "marker 4711 from the test").Err(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for !contains(p.out.String(), "DEBUG LOG: marker 4711 from the test") {
				if time.Now().After(deadline) {
					t.Fatalf("the log lacks the DEBUG LOG text:\n%s", p.out.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
