//go:build windows || plan9

package main

import (
	"errors"

	"github.com/rs/zerolog"
)

func openSyslog(facility, ident string) (zerolog.LevelWriter, func(), error) {
	return nil, nil, errors.New("syslog is not available on this system")
}
