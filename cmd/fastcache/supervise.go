package main

import (
	"net"
	"os"
	"strings"

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

// supervisedMode is the supervision in effect, as Redis's
// redisIsSupervised: "systemd" (with $NOTIFY_SOCKET), "upstart", or "".
func supervisedMode(cfg *config.Config) string {
	sock := os.Getenv("NOTIFY_SOCKET")
	switch cfg.Param("supervised") {
	case "systemd":
		if sock != "" {
			return "systemd"
		}
	case "upstart":
		return "upstart"
	case "auto":
		if sock != "" {
			return "systemd"
		}
		if os.Getenv("UPSTART_JOB") != "" {
			return "upstart"
		}
	}
	return ""
}

func newSupervisor(cfg *config.Config, log zerolog.Logger) *supervisor {
	s := &supervisor{log: log, sock: os.Getenv("NOTIFY_SOCKET"), mode: supervisedMode(cfg)}
	switch {
	case s.mode == "systemd":
		log.Info().Msg("supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.")
	case cfg.Param("supervised") == "systemd":
		log.Warn().Msg("systemd supervision requested or auto-detected, but NOTIFY_SOCKET environment variable not found!")
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
		stopSelf()
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

// daemonEnv marks the process daemonize started: it does not start another.
const daemonEnv = "FASTCACHE_DAEMONIZED"

// defaultDaemonPidFile is the pid file of a daemon whose config names none
// (Redis's is /var/run/redis.pid).
const defaultDaemonPidFile = "/var/run/fastcache.pid"

// daemonized reports whether this process is the one daemonize started.
func daemonized() bool { return os.Getenv(daemonEnv) != "" }

// shouldDaemonize is Redis's `background = daemonize && !supervised`:
// a server that systemd or upstart supervises stays in the foreground.
func shouldDaemonize(cfg *config.Config) bool {
	return cfg.Daemonize() && !daemonized() && supervisedMode(cfg) == ""
}

// daemonize starts this program again, detached: in a session of its own,
// with no terminal, its standard files on /dev/null (logs go to logfile),
// in the same directory with the same arguments. The caller exits then, as
// Redis's parent does after its fork.
func daemonize() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	p, err := os.StartProcess(exe, os.Args, &os.ProcAttr{
		Env:   append(os.Environ(), daemonEnv+"=1"),
		Files: []*os.File{null, null, null},
		Sys:   newSessionAttr(),
	})
	if err != nil {
		return err
	}
	return p.Release()
}
