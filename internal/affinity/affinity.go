// Package affinity pins threads to CPUs as Redis's server_cpulist and
// bgsave_cpulist do: Parse reads Redis's list syntax, Process pins every
// thread of the process (threads started later inherit it from the thread
// that starts them), and Thread pins the calling thread alone. Pinning is
// Linux's sched_setaffinity; elsewhere they return ErrUnsupported.
package affinity

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrUnsupported: the platform has no thread affinity.
var ErrUnsupported = errors.New("CPU affinity is not supported on this platform")

// Set is a list of CPU numbers.
type Set []int

// Parse reads a CPU list as Redis's setcpuaffinity does: comma-separated
// items, each a CPU number, a range "a-b", or a range with a stride
// "a-b:s" ("0,2,4-7:2" is 0, 2, 4 and 6). An empty list is an error.
func Parse(list string) (Set, error) {
	var set Set
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		rng, stride, hasStride := strings.Cut(item, ":")
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		s, err3 := 1, error(nil)
		if hasStride {
			s, err3 = strconv.Atoi(stride)
		}
		if err1 != nil || err2 != nil || err3 != nil || a < 0 || b < a || s < 1 || b >= 1<<16 || (hasStride && !isRange) {
			return nil, fmt.Errorf("invalid CPU list %q: bad item %q", list, item)
		}
		for c := a; c <= b; c += s {
			set = append(set, c)
		}
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("invalid CPU list %q", list)
	}
	return set, nil
}
