//go:build !linux

package server

import (
	"errors"
	"net"
)

// eventLoops: the epoll event loops exist on Linux only; elsewhere every
// connection is served by a goroutine (netconn.go).
const eventLoops = false

type loop struct{}

func newLoop(*Server) (*loop, error) { return nil, errors.New("event loops need Linux (epoll)") }
func (lp *loop) run()                {}
func (lp *loop) shutdown()           {}
func (lp *loop) wakeIfRunning()      {}

func (s *Server) loopStats() (cycles, polls int64) { return 0, 0 }

func (s *Server) loopSocket(*Client, net.Conn) (socket, error) {
	return nil, errors.New("event loops need Linux (epoll)")
}
