package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"

	"fastcache/config"
	"fastcache/internal/sockopt"
)

// The listening sockets: TCP on every address of bind at port, and the
// unix socket. CONFIG SET port and CONFIG SET bind move the TCP ones while
// the server runs, as Redis does: the new sockets are opened first (a
// failure changes nothing), then the old ones are closed; connected
// clients stay.

// boundAddrs is the port and bind addresses the TCP listeners were opened
// for (as configured: port 0 picks a free port).
type boundAddrs struct {
	port  int
	binds []string
}

// Listen binds every address of `bind` on `port`. An address prefixed with
// '-' is optional: it is skipped if it cannot be bound (as Redis does).
//
// Port 0 with a tls-port serves TLS alone, as Redis does (port 0 without
// one picks a free port).
func (s *Server) Listen() error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	port, binds := s.cfg.Port(), s.cfg.Bind()
	var lns []net.Listener
	if port != 0 || s.cfg.ParamInt("tls-port") == 0 {
		var err error
		if lns, err = s.listenTCP(port, binds); err != nil {
			return err
		}
	}
	s.lns, s.bound = lns, boundAddrs{port, binds}
	if path := s.cfg.UnixSocket(); path != "" {
		ln, err := listenUnix(path, s.cfg.UnixSocketPerm())
		if err != nil {
			closeAll(s.lns)
			return err
		}
		s.lns = append(s.lns, ln)
	}
	if err := s.loadTLS(); err != nil {
		closeAll(s.lns)
		return fmt.Errorf("TLS: %w", err)
	}
	if tp := int(s.cfg.ParamInt("tls-port")); tp != 0 {
		tlns, err := s.tlsListeners(tp, binds)
		if err != nil {
			closeAll(s.lns)
			return err
		}
		s.tlsLns, s.tlsBound = tlns, boundAddrs{tp, binds}
	}
	for _, name := range tlsParams {
		s.cfg.OnChange(name, func(*config.Config) error { return s.applyTLS() })
	}
	s.cfg.OnChange("tls-port", func(cfg *config.Config) error {
		if err := s.relistenTLS(int(cfg.ParamInt("tls-port")), cfg.Bind()); err != nil {
			return fmt.Errorf("Unable to listen on this port: %s", strerror(err))
		}
		return nil
	})
	if s.cfg != nil {
		s.cfg.OnChange("port", func(cfg *config.Config) error {
			if err := s.relisten(cfg.Port(), cfg.Bind()); err != nil {
				return fmt.Errorf("Unable to listen on this port: %s", strerror(err))
			}
			return nil
		})
		s.cfg.OnChange("bind", func(cfg *config.Config) error {
			if err := s.relisten(cfg.Port(), cfg.Bind()); err != nil {
				return errors.New("Failed to bind to specified addresses.")
			}
			if err := s.relistenTLS(int(cfg.ParamInt("tls-port")), cfg.Bind()); err != nil {
				return errors.New("Failed to bind to specified addresses.")
			}
			return nil
		})
	}
	return nil
}

// listenTCP opens a listener on every address of binds at port.
func (s *Server) listenTCP(port int, binds []string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, addr := range binds {
		optional := strings.HasPrefix(addr, "-")
		addr = strings.TrimPrefix(addr, "-")
		// keepalive is set per connection from tcp-keepalive (accept)
		lc := net.ListenConfig{KeepAlive: -1, Control: sockopt.Control(uint32(s.cfg.ParamInt("socket-mark-id")), func(err error) {
			s.log.Warn().Err(err).Str("addr", addr).Msg("socket-mark-id: the listening socket is not marked")
		})}
		ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(addr, fmt.Sprint(port)))
		if err != nil {
			if optional {
				s.log.Warn().Str("addr", addr).Err(err).Msg("optional bind address skipped")
				continue
			}
			closeAll(lns)
			return nil, fmt.Errorf("listen on %s port %d: %w", addr, port, err)
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return nil, errors.New("no address could be bound")
	}
	return lns, nil
}

// relisten moves the TCP listeners to port and binds (CONFIG SET port or
// bind); nothing changes when they are already there or when one cannot
// be opened.
func (s *Server) relisten(port int, binds []string) error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if port == s.bound.port && slices.Equal(binds, s.bound.binds) {
		return nil
	}
	var lns []net.Listener
	if port != 0 || s.cfg.ParamInt("tls-port") == 0 { // (port 0 with TLS: none)
		var err error
		if lns, err = s.listenTCP(port, binds); err != nil {
			return err
		}
	}
	var old, unix []net.Listener
	for _, ln := range s.lns {
		if _, ok := ln.(*net.UnixListener); ok {
			unix = append(unix, ln)
		} else {
			old = append(old, ln)
		}
	}
	s.lns, s.bound = append(lns, unix...), boundAddrs{port, binds}
	if s.serving {
		for _, ln := range lns {
			s.startAccept(ln)
		}
	}
	closeAll(old)
	return nil
}

// relistenTLS moves the TLS listeners to port (0: none) and binds
// (CONFIG SET tls-port or bind), as relisten moves the others.
func (s *Server) relistenTLS(port int, binds []string) error {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	if port == s.tlsBound.port && (port == 0 || slices.Equal(binds, s.tlsBound.binds)) {
		return nil
	}
	var lns []net.Listener
	if port != 0 {
		var err error
		if lns, err = s.tlsListeners(port, binds); err != nil {
			return err
		}
	}
	old := s.tlsLns
	s.tlsLns, s.tlsBound = lns, boundAddrs{port, binds}
	if s.serving {
		for _, ln := range lns {
			s.startAccept(ln)
		}
	}
	closeAll(old)
	return nil
}

// serveListeners starts accepting on every listener (Serve).
func (s *Server) serveListeners() {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	s.serving = true
	for _, ln := range s.lns {
		s.startAccept(ln)
	}
	for _, ln := range s.tlsLns {
		s.startAccept(ln)
	}
}

func (s *Server) startAccept(ln net.Listener) {
	s.acceptWG.Add(1)
	go func() {
		defer s.acceptWG.Done()
		s.acceptLoop(ln)
	}()
}

// listenUnix listens on the unix socket path (unixsocket), replacing a
// socket file a previous run left, as Redis does; perm (unixsocketperm)
// sets the file's permissions when not 0.
func listenUnix(path string, perm uint32) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on unix socket %s: %w", path, err)
	}
	if perm != 0 {
		if err := os.Chmod(path, os.FileMode(perm)); err != nil {
			ln.Close()
			return nil, fmt.Errorf("unixsocketperm on %s: %w", path, err)
		}
	}
	return ln, nil
}

// Addrs are the bound addresses.
func (s *Server) Addrs() []net.Addr {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	var out []net.Addr
	for _, ln := range s.lns {
		out = append(out, ln.Addr())
	}
	for _, ln := range s.tlsLns {
		out = append(out, ln.Addr())
	}
	return out
}

func (s *Server) closeListeners() {
	s.lnMu.Lock()
	defer s.lnMu.Unlock()
	closeAll(s.lns)
	closeAll(s.tlsLns)
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// strerror is C's text of err's errno ("Address already in use").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}
