package main

import (
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"fastcache/config"
)

// supervised (Redis's): how the server tells a service manager it is
// ready. systemd: "READY=1" (and a STATUS line) to $NOTIFY_SOCKET once it
// accepts connections, "STOPPING=1" when it shuts down, for a unit of
// Type=notify. upstart: the process stops itself (SIGSTOP) once ready, for
// a job with "expect stop". auto: systemd when $NOTIFY_SOCKET is set,
// upstart when $UPSTART_JOB is.
type supervisor struct {
	mode string // "systemd", "upstart" or ""
	sock string // $NOTIFY_SOCKET
	log  zerolog.Logger
}

func newSupervisor(cfg *config.Config, log zerolog.Logger) *supervisor {
	s := &supervisor{log: log, sock: os.Getenv("NOTIFY_SOCKET")}
	switch mode := configStr(cfg, "supervised"); mode {
	case "systemd":
		s.mode = mode
	case "upstart":
		s.mode = mode
	case "auto":
		if s.sock != "" {
			s.mode = "systemd"
		} else if os.Getenv("UPSTART_JOB") != "" {
			s.mode = "upstart"
		}
	}
	if s.mode == "systemd" && s.sock == "" {
		log.Warn().Msg("systemd supervision requested or auto-detected, but NOTIFY_SOCKET environment variable not found!")
		s.mode = ""
	}
	if s.mode == "systemd" {
		log.Info().Msg("supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.")
	}
	return s
}

// ready is called once the server accepts connections.
func (s *supervisor) ready() {
	switch s.mode {
	case "systemd":
		s.notify("STATUS=Ready to accept connections\nREADY=1\n")
	case "upstart":
		s.log.Info().Msg("supervised by upstart, will stop to signal readiness.")
		os.Unsetenv("UPSTART_JOB")
		syscall.Kill(os.Getpid(), syscall.SIGSTOP)
	}
}

// stopping is called when the shutdown begins.
func (s *supervisor) stopping() {
	if s.mode == "systemd" {
		s.notify("STOPPING=1\n")
	}
}

func (s *supervisor) notify(msg string) {
	name := s.sock
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:] // an abstract socket
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		s.log.Warn().Err(err).Msg("cannot reach NOTIFY_SOCKET")
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(msg)); err != nil {
		s.log.Warn().Err(err).Msg("cannot notify systemd")
	}
}
