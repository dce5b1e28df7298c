package affinity

import (
	"fmt"
	"testing"
)

// TestParse: Redis's CPU list syntax, and what it refuses.
func TestParse(t *testing.T) {
	for list, want := range map[string]string{
		"0": "[0]", "0,2": "[0 2]", "1-3": "[1 2 3]", "0-7:2": "[0 2 4 6]", "0,4-7:2, 9": "[0 4 6 9]",
	} {
		got, err := Parse(list)
		if err != nil || fmt.Sprint(got) != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", list, got, err, want)
		}
	}
	for _, bad := range []string{"", "a", "-1", "3-1", "1-2:0", "1:2", "1-", ",", "0-99999"} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, got)
		}
	}
}
