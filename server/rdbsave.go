package server

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"fastcache/cache"
)

// SaveRDBFile writes the dataset (every database, the function libraries)
// as a Redis 7.0 RDB file to <dir>/<dbfilename>, as redis-server's SAVE
// writes dump.rdb: into temp-<pid>.rdb first, synced, then renamed over
// the old file and the directory synced, so the name always holds a whole
// file. It returns the path and the file's size.
func (s *Server) SaveRDBFile() (string, int64, error) {
	name := s.cfg.Param("dbfilename")
	if name == "" {
		name = "dump.rdb"
	}
	dir := s.cfg.Dir()
	path := filepath.Join(dir, name)
	tmp := filepath.Join(dir, fmt.Sprintf("temp-%d.rdb", os.Getpid()))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return "", 0, err
	}
	fail := func(err error) (string, int64, error) {
		f.Close()
		os.Remove(tmp)
		return "", 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	opts := cache.RDBOptions{Keys: true, Functions: true, Aux: s.rdbAux(),
		File: s.rdbFileOptions()}
	if err := s.cache.WriteRDB(bw, opts); err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", 0, err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return path, st.Size(), nil
}
