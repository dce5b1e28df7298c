package server

// replica-serve-stale-data no: a replica whose link to its primary is down
// (or still syncing) refuses every command but those Redis flags "stale"
// (INFO, REPLICAOF, CONFIG, PING, ...: the ones allowed while loading),
// as Redis 7.0's processCommand does.

// StaleData is what replica-serve-stale-data needs of Options.Replication
// (the replication package's Manager has it).
type StaleData interface {
	// DenyStale reports whether a replica's data counts as stale now and
	// replica-serve-stale-data is no.
	DenyStale() bool
}

const errMasterDown = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

// deniedStale reports whether cmd is refused with MASTERDOWN: it is not
// allowed on stale data (EXEC: a command it would run is not), and it is
// not a write a read-only replica refuses with READONLY (which Redis
// checks first).
func (c *Client) deniedStale(cmd *Command) bool {
	sd := c.srv.stale
	if sd == nil || !sd.DenyStale() {
		return false
	}
	if cmd.Flags&flagLoading != 0 {
		if cmd.Name != "exec" || !c.multi {
			return false
		}
		for _, q := range c.queued {
			if q.cmd.Flags&flagLoading == 0 {
				return true
			}
		}
		return false
	}
	return cmd.Flags&flagWrite == 0 || !c.srv.cache.ReadOnly()
}
