// Package mapfile gives a file's bytes for reading: mapped read-only where the
// system maps files (Unix), read into memory elsewhere.
package mapfile
