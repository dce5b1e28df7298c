package main

import (
	"os"
	"os/exec"
	"testing"
)

// TestBuildsForMacOS: the whole module, tests included, compiles for macOS,
// where the server runs on its goroutine network layer. A change that
// reaches for a Linux-only call (epoll, fdatasync, sysinfo, ...) outside a
// _linux.go file fails here instead of on a user's laptop.
func TestBuildsForMacOS(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=darwin GOARCH=arm64 go vet ./...: %v\n%s", err, out)
	}
}

// TestBuildsForWindows: the server compiles for Windows, where it runs on
// its goroutine network layer too (its tests are Linux's and macOS's).
func TestBuildsForWindows(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "build", "-o", os.DevNull, "./cmd/fastcache")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=windows GOARCH=amd64 go build ./cmd/fastcache: %v\n%s", err, out)
	}
}
