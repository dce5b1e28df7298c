package server

// The server's figures for an observer outside the package (the Prometheus
// collector that main wires up): read from the same atomics INFO reads, at
// the time of the call.

import "fastcache/internal/latency"

// CommandStat is one command of the table ("get", "client|list") with its
// INFO commandstats counters.
type CommandStat struct {
	Name                          string
	Calls, Usec, Failed, Rejected int64
	cmd                           *Command
}

// Latency is the command's latency histogram (nil if it never ran with
// latency-tracking on).
func (st CommandStat) Latency() *latency.Snapshot {
	if h := st.cmd.hist.Load(); h != nil {
		return h.Snapshot()
	}
	return nil
}

// CommandStats returns every command and subcommand of the table, by name
// (a container's counters are its own share, as INFO commandstats shows).
// Commands added to the table appear here without further work.
func (s *Server) CommandStats() []CommandStat { return commandStats() }

// ErrorStats returns the error replies per prefix (INFO errorstats) and in
// all (total_error_replies).
func (s *Server) ErrorStats() (byPrefix map[string]int64, total int64) {
	return s.errStats.snapshot(), s.errStats.total.Load()
}

// Stats are the server's own counters.
type Stats struct {
	ConnectedClients, BlockedClients int
	ConnectionsReceived              int64
	ConnectionsRejected              int64
	CommandsProcessed                int64
	ProtocolErrors                   int64
	Loading                          bool
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	return Stats{
		ConnectedClients: n, BlockedClients: s.blockedClients(),
		ConnectionsReceived: s.connsReceived.Load(), ConnectionsRejected: s.connsRejected.Load(),
		CommandsProcessed: s.commandsProcessed.Load(), ProtocolErrors: s.protoErrors.Load(),
		Loading: s.loading.Load(),
	}
}

// blockedClients is INFO's blocked_clients: no command blocks yet.
func (s *Server) blockedClients() int { return 0 }
