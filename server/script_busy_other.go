//go:build !linux

package server

// Without event loops every connection has a goroutine of its own: a busy
// script blocks only its own client, the others get -BUSY by themselves.

func (s *Server) armBusy(r *scriptRun)    { r.keepCmdline() }
func (s *Server) disarmBusy(r *scriptRun) {}
