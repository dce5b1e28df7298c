package server

// min-replicas-to-write and min-replicas-max-lag: a primary with fewer
// good replicas (ones whose last acknowledgement is at most max-lag seconds
// old) than min-replicas-to-write refuses writes with -NOREPLICAS, as
// Redis's: write commands, EXEC of writes, scripts that may write (a
// shebang script without no-writes, before it runs) and a script's write
// command, FUNCTION LOAD ... (everything that asks cache.CheckWrite). The
// count is refreshed once a second (cron) and when either directive
// changes, as Redis's replicationCron and its CONFIG SET do.

import (
	"time"

	"fastcache/config"
)

func (s *Server) registerMinReplicasHooks() {
	for _, name := range []string{"min-replicas-to-write", "min-replicas-max-lag", "min-slaves-to-write", "min-slaves-max-lag"} {
		s.cfg.OnChange(name, func(*config.Config) error {
			s.refreshGoodReplicas()
			return nil
		})
	}
	s.refreshGoodReplicas() // set in the config file
}

// refreshGoodReplicas recounts the good replicas and tells the cache
// whether writes are refused.
func (s *Server) refreshGoodReplicas() {
	need, lag := s.cfg.ParamInt("min-replicas-to-write"), s.cfg.ParamInt("min-replicas-max-lag")
	refuse := false
	if need > 0 && lag > 0 {
		good, primary := int64(0), true
		if r := s.opts.Replication; r != nil {
			ri := r.Role()
			primary = ri.Master
			now := time.Now()
			for _, rep := range ri.Replicas {
				if !rep.LastAck.IsZero() && now.Sub(rep.LastAck) <= time.Duration(lag)*time.Second {
					good++
				}
			}
		}
		refuse = primary && good < need
	}
	s.cache.SetNoReplicas(refuse)
}
