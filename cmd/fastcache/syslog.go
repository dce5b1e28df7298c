//go:build !windows && !plan9

package main

import (
	"log/syslog"

	"github.com/rs/zerolog"
)

// syslogAddr is where syslog-enabled sends the log: the local syslog
// daemon ("", ""), or a test's socket.
var syslogAddr = [2]string{"", ""}

var syslogFacilities = map[string]syslog.Priority{
	"user": syslog.LOG_USER, "local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2,
	"local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6,
	"local7": syslog.LOG_LOCAL7,
}

// openSyslog is syslog-enabled's writer: each log line to syslog at its
// level, under syslog-ident and syslog-facility, as Redis's.
func openSyslog(facility, ident string) (zerolog.LevelWriter, func(), error) {
	w, err := syslog.Dial(syslogAddr[0], syslogAddr[1], syslogFacilities[facility]|syslog.LOG_INFO, ident)
	if err != nil {
		return nil, nil, err
	}
	return zerolog.SyslogLevelWriter(w), func() { w.Close() }, nil
}
