//go:build !linux

package affinity

// Process pins every thread of the process to s.
func Process(s Set) error { return ErrUnsupported }

// Thread pins the calling thread to s.
func Thread(s Set) error { return ErrUnsupported }
