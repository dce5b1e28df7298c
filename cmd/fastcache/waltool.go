package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"fastcache/persistence"
	"fastcache/replication"
)

const walUsage = `usage:
  fastcache wal check [--repair] DIR    verify snapshots and every WAL frame (DIR: data directory, its wal/ folder, or a .fcs file)
  fastcache wal dump DIR                print the newest valid snapshot, then the WAL after it, as JSON lines
  fastcache wal tail --addr host:port [--token T] [--count N]
                                        follow a server's WAL export stream (wal-export-listen), one JSON line per record`

// walTool implements the `fastcache wal ...` subcommands.
func walTool(args []string, stdout, stderr io.Writer) int {
	if len(args) < 1 {
		fmt.Fprintln(stderr, walUsage)
		return 2
	}
	if args[0] == "tail" {
		return walTail(args[1:], stdout, stderr)
	}
	if len(args) < 2 {
		fmt.Fprintln(stderr, walUsage)
		return 2
	}
	repair := false
	var dir string
	for _, a := range args[1:] {
		switch a {
		case "--repair":
			repair = true
		default:
			dir = a
		}
	}
	if dir == "" {
		fmt.Fprintln(stderr, walUsage)
		return 2
	}
	walDir, snaps := dataPaths(dir)
	var err error
	switch args[0] {
	case "check":
		err = walCheck(walDir, snaps, repair, stdout)
	case "dump":
		err = walDump(walDir, snaps, stdout)
	default:
		fmt.Fprintln(stderr, walUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "fastcache wal %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// dataPaths resolves DIR to the WAL folder and the snapshot files (newest
// first). Temporary files of a snapshot in progress are left alone.
func dataPaths(dir string) (walDir string, snaps []string) {
	if strings.HasSuffix(dir, ".fcs") {
		return "", []string{dir}
	}
	walDir = dir
	if st, err := os.Stat(filepath.Join(dir, "wal")); err == nil && st.IsDir() {
		walDir = filepath.Join(dir, "wal")
	}
	snapDir := filepath.Join(filepath.Dir(filepath.Clean(walDir)), "snapshot")
	if filepath.Base(filepath.Clean(walDir)) != "wal" {
		snapDir = filepath.Join(walDir, "snapshot")
	}
	ents, _ := os.ReadDir(snapDir)
	for _, e := range ents {
		if n := e.Name(); strings.HasPrefix(n, "snap-") && strings.HasSuffix(n, ".fcs") {
			snaps = append(snaps, filepath.Join(snapDir, n))
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(snaps)))
	return walDir, snaps
}

func walCheck(walDir string, snaps []string, repair bool, w io.Writer) error {
	var damaged []string
	for _, p := range snaps {
		m, err := persistence.VerifySnapshot(p)
		if err != nil {
			fmt.Fprintf(w, "snapshot %s: DAMAGED: %v\n", filepath.Base(p), err)
			damaged = append(damaged, filepath.Base(p))
			continue
		}
		fmt.Fprintf(w, "snapshot %s: ok, %d keys, %d shards, %d bytes, created %s, max cut LSN %d, log from segment %d\n",
			filepath.Base(p), m.Keys, len(m.Shards), m.Size, m.Created.Format(time.RFC3339), m.MaxCut(), m.WALSegment)
	}
	if walDir != "" {
		if err := persistence.Check(walDir, repair, w); err != nil {
			return err
		}
	}
	if len(damaged) > 0 {
		return fmt.Errorf("damaged snapshot(s): %s (start-up falls back to an older snapshot plus the log; remove the damaged file to silence this)", strings.Join(damaged, ", "))
	}
	return nil
}

func walDump(walDir string, snaps []string, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	defer bw.Flush()
	enc := json.NewEncoder(bw)
	var start uint64
	for _, p := range snaps {
		if _, err := persistence.VerifySnapshot(p); err != nil {
			fmt.Fprintf(os.Stderr, "skipping damaged snapshot %s: %v\n", p, err)
			continue
		}
		var werr error
		meta, err := persistence.ReadSnapshot(p, 1, func(shard int, r *persistence.Record) {
			if werr == nil {
				l := persistence.NewJSONRecord(r)
				l.Source = filepath.Base(p)
				werr = enc.Encode(l)
			}
		})
		if err != nil {
			return err
		}
		if werr != nil {
			return werr
		}
		start = meta.WALSegment
		break
	}
	if walDir == "" {
		return nil
	}
	_, err := persistence.ReadDir(walDir, persistence.ReadOptions{ReadOnly: true, StartSegment: start, Log: zerolog.New(os.Stderr)},
		func(r *persistence.Record) error { return enc.Encode(persistence.NewJSONRecord(r)) })
	return err
}

// walTail subscribes to a WAL export listener and prints every record.
func walTail(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wal tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7379", "host:port of the server's wal-export-listen")
	token := fs.String("token", "", "wal-export-token of the server")
	count := fs.Int64("count", 0, "exit after this many records (0 = follow forever)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	conn, err := net.DialTimeout("tcp", *addr, 5*time.Second)
	if err != nil {
		fmt.Fprintf(stderr, "fastcache wal tail: %v\n", err)
		return 1
	}
	defer conn.Close()
	if *token != "" {
		if _, err := io.WriteString(conn, *token+"\n"); err != nil {
			fmt.Fprintf(stderr, "fastcache wal tail: %v\n", err)
			return 1
		}
	}
	br := bufio.NewReaderSize(conn, 1<<20)
	runID, off, err := replication.ReadHello(br)
	if err != nil {
		fmt.Fprintf(stderr, "fastcache wal tail: refused: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "following stream %s from offset %d\n", runID, off)
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	sr := replication.NewStreamReader(br, off)
	var n int64
	for {
		recs, _, err := sr.Next()
		if err != nil {
			out.Flush()
			if errors.Is(err, io.EOF) {
				fmt.Fprintln(stderr, "fastcache wal tail: the server closed the stream")
				return 0
			}
			fmt.Fprintf(stderr, "fastcache wal tail: %v\n", err)
			return 1
		}
		for i := range recs {
			if err := enc.Encode(persistence.NewJSONRecord(&recs[i])); err != nil {
				return 1
			}
			n++
			if *count > 0 && n >= *count {
				out.Flush()
				return 0
			}
		}
		if br.Buffered() == 0 {
			out.Flush()
		}
	}
}
