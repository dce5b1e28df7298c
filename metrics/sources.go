// Package metrics exposes fastcache's figures to Prometheus: a Collector
// that reads the counters the server, the cache, the WAL, the snapshotter
// and the replication hub already keep (the same atomics INFO reads), at
// scrape time, so scraping costs the data path nothing; and the HTTP
// endpoint of metrics-listen (GET /metrics, a private registry with the Go
// runtime and process collectors).
//
// The package knows none of those packages: it reads them through the small
// interfaces below, which cmd/fastcache wires up. Any source may be nil.
package metrics

import (
	"time"

	"fastcache/internal/latency"
)

// Sources are what the collector reads. A nil field is left out.
type Sources struct {
	Server      ServerSource
	Keyspace    KeyspaceSource
	WAL         WALSource
	Snapshots   SnapshotSource
	Export      ExportSource
	Replication ReplicationSource
	Loading     LoadingSource
	// Version and RedisVersion label fastcache_build_info.
	Version, RedisVersion string
}

// ServerSource is the RESP server: commands, errors and clients.
type ServerSource interface {
	// Commands lists every command of the table (subcommands as
	// "parent|sub"); the collector keeps those that ran.
	Commands() []Command
	// Errors are the error replies per prefix and in all.
	Errors() (byPrefix map[string]int64, total int64)
	Clients() Clients
}

// Command is one command's INFO commandstats counters and its latency
// histogram (nil without latency-tracking).
type Command struct {
	Name                          string
	Calls, Usec, Failed, Rejected int64
	Latency                       *latency.Snapshot
}

// Clients are the server's connection and command counters.
type Clients struct {
	Connected, Blocked  int
	ConnectionsReceived int64
	ConnectionsRejected int64
	CommandsProcessed   int64
	ProtocolErrors      int64
}

// KeyspaceSource is the cache.
type KeyspaceSource interface {
	Keyspace() Keyspace
}

// Keyspace are the cache's figures.
type Keyspace struct {
	DBs                            []DB
	Hits, Misses, Expired, Evicted int64
	UsedMemory, MaxMemory          int64
}

// DB is one database of INFO keyspace.
type DB struct {
	Index         int
	Keys, Expires int64
}

// WALSource is the write-ahead log; ok=false when there is none
// (appendonly no, or still loading).
type WALSource interface {
	WAL() (st WAL, ok bool)
}

// WAL are the log's figures.
type WAL struct {
	Records, Bytes, RawBytes, Frames int64
	Fsyncs, DelayedFsyncs            int64
	FsyncTime                        time.Duration
	FsyncLatency                     *latency.Snapshot
	WriteErrors                      int64
	LastWriteOK                      bool
	QueueBytes, QueueRecords         int64
	Pending                          int64
	QueueWaits                       int64
	Segments, Rotations              int64
	Segment                          uint64
	LastLSN, DurableLSN              uint64
}

// SnapshotSource is the snapshotter; ok=false when there is none.
type SnapshotSource interface {
	Snapshots() (st Snapshots, ok bool)
}

// Snapshots are the snapshotter's figures.
type Snapshots struct {
	Saves, Failures int64
	TotalTime       time.Duration
	TotalBytes      int64
	LastDuration    time.Duration
	LastSize        int64
	LastSave        int64 // unix s of the last success (0: none)
	InProgress      bool
}

// ExportSource is the WAL stream's hub.
type ExportSource interface {
	Export() []ExportClass
}

// ExportClass are the stream's counters for one subscriber class
// ("export" peers and collectors, or "replica").
type ExportClass struct {
	Class                       string
	QueuedFrames, QueuedBytes   int64
	SentFrames, SentBytes       int64
	DroppedFrames, DroppedBytes int64
	WriteFailures               int64
	Subscribers                 int
}

// ReplicationSource is the replication manager.
type ReplicationSource interface {
	Replication() Replication
}

// Replication is this server's role and, on a primary, its replicas.
type Replication struct {
	Master   bool
	Offset   int64 // primary: stream offset; replica: applied offset
	LinkUp   bool  // replica: connected to its primary
	Replicas []Replica
}

// Replica is one replica as its primary sees it.
type Replica struct {
	Addr     string // ip:port
	Offset   int64
	LagBytes int64
	Lag      time.Duration // since its last acknowledgement
}

// LoadingSource is start-up replay.
type LoadingSource interface {
	Loading() Loading
}

// Loading is replay's progress.
type Loading struct {
	Loading                 bool
	TotalBytes, LoadedBytes int64
	LoadedRecords           int64
}

// The Func adapters let plain functions serve as sources.
type (
	KeyspaceFunc    func() Keyspace
	WALFunc         func() (WAL, bool)
	SnapshotFunc    func() (Snapshots, bool)
	ExportFunc      func() []ExportClass
	ReplicationFunc func() Replication
	LoadingFunc     func() Loading
)

func (f KeyspaceFunc) Keyspace() Keyspace           { return f() }
func (f WALFunc) WAL() (WAL, bool)                  { return f() }
func (f SnapshotFunc) Snapshots() (Snapshots, bool) { return f() }
func (f ExportFunc) Export() []ExportClass          { return f() }
func (f ReplicationFunc) Replication() Replication  { return f() }
func (f LoadingFunc) Loading() Loading              { return f() }
