package server

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"

	"fastcache/config"
)

// oom-score-adj, as Redis: with it on, the process's Linux OOM score
// (/proc/self/oom_score_adj) is set from oom-score-adj-values by role (the
// first value for a primary, the second for a replica; the third is for
// Redis's fork children, which fastcache does not have), relative to the
// score the process had when it was first turned on ("yes"/"relative") or
// as is ("absolute"); turning it off restores that score. It is applied at
// start-up, on CONFIG SET of either directive and when REPLICAOF changes
// the role.

var oomProcFile = "/proc/self/oom_score_adj"

// oomScore remembers the score from before the server first adjusted it.
type oomScore struct {
	mu       sync.Mutex
	adjusted bool
	base     int
}

var errOOMScore = errors.New("Failed to set current oom_score_adj. Check server logs.")

// applyOOMScoreAdj sets the process's OOM score for the current settings
// and role.
func (s *Server) applyOOMScoreAdj() error {
	if s.cfg == nil {
		return nil
	}
	mode, vals := "no", [3]int{}
	for _, kv := range s.cfg.Get("oom-score-adj", "oom-score-adj-values") {
		switch kv[0] {
		case "oom-score-adj":
			mode = kv[1]
		case "oom-score-adj-values":
			for i, f := range strings.Fields(kv[1]) {
				if i < len(vals) {
					vals[i], _ = strconv.Atoi(f)
				}
			}
		}
	}
	class := 0
	if r := s.opts.Replication; r != nil && !r.Role().Master {
		class = 1
	}
	o := &s.oom
	o.mu.Lock()
	defer o.mu.Unlock()
	var val int
	switch {
	case mode != "no":
		if !o.adjusted {
			b, err := os.ReadFile(oomProcFile)
			if err != nil {
				s.log.Warn().Err(err).Msg("unable to read oom_score_adj")
				return errOOMScore
			}
			o.base, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			o.adjusted = true
		}
		val = vals[class]
		if mode != "absolute" {
			val += o.base
		}
		val = min(max(val, -1000), 1000)
	case o.adjusted:
		o.adjusted = false
		val = o.base
	default:
		return nil // never adjusted: the score is left alone
	}
	if err := os.WriteFile(oomProcFile, []byte(strconv.Itoa(val)+"\n"), 0); err != nil {
		s.log.Warn().Err(err).Msg("unable to write oom_score_adj")
		return errOOMScore
	}
	return nil
}

// registerOOMScoreHooks applies the settings now and on every change.
func (s *Server) registerOOMScoreHooks() {
	if s.cfg == nil {
		return
	}
	hook := func(*config.Config) error { return s.applyOOMScoreAdj() }
	s.cfg.OnChange("oom-score-adj", hook)
	s.cfg.OnChange("oom-score-adj-values", hook)
	if err := s.applyOOMScoreAdj(); err != nil {
		s.log.Warn().Err(err).Msg("oom-score-adj")
	}
}
