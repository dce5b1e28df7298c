//go:build race

package server

// raceEnabled: under -race, sync.Pool drops a share of what is put back on
// purpose, so tests of pooled paths count allocations with a looser bound.
const raceEnabled = true
