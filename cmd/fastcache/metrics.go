package main

// The wiring of metrics-listen: package metrics reads fastcache through
// small interfaces; these adapters answer them from the server, the cache,
// the WAL, the snapshotter, the replication hub and replay's progress.

import (
	"net"
	"strconv"
	"sync"
	"time"

	"fastcache/cache"
	"fastcache/metrics"
	"fastcache/persistence"
	"fastcache/replay"
	"fastcache/replication"
	"fastcache/server"
)

// serverSource adapts *server.Server to metrics.ServerSource.
type serverSource struct{ s *server.Server }

func (a serverSource) Commands() []metrics.Command {
	st := a.s.CommandStats()
	out := make([]metrics.Command, 0, len(st))
	for _, c := range st {
		m := metrics.Command{Name: c.Name, Calls: c.Calls, Usec: c.Usec, Failed: c.Failed, Rejected: c.Rejected}
		if c.Calls > 0 {
			m.Latency = c.Latency()
		}
		out = append(out, m)
	}
	return out
}

func (a serverSource) Errors() (map[string]int64, int64) { return a.s.ErrorStats() }

func (a serverSource) Clients() metrics.Clients {
	st := a.s.Stats()
	return metrics.Clients{Connected: st.ConnectedClients, Blocked: st.BlockedClients,
		ConnectionsReceived: st.ConnectionsReceived, ConnectionsRejected: st.ConnectionsRejected,
		CommandsProcessed: st.CommandsProcessed, ProtocolErrors: st.ProtocolErrors}
}

// metricsSources builds the collector's sources. The WAL and the
// snapshotter exist only once replay is done: persist reads them under mu.
func metricsSources(srv *server.Server, c *cache.Cache, hub *replication.Hub, repl *replication.Manager,
	progress *replay.Progress, mu *sync.Mutex, wal **persistence.WAL, snaps **persistence.Snapshotter) metrics.Sources {
	return metrics.Sources{
		Version: server.FastcacheVersion, RedisVersion: server.Version,
		Server: serverSource{srv},
		Keyspace: metrics.KeyspaceFunc(func() metrics.Keyspace {
			st := c.Stats()
			k := metrics.Keyspace{
				Hits: st.Hits, Misses: st.Misses, Expired: st.Expired, Evicted: st.Evicted,
				UsedMemory: st.UsedMemory, MaxMemory: c.MaxMemory(),
			}
			for i, db := range c.DBStats() {
				k.DBs = append(k.DBs, metrics.DB{Index: i, Keys: db.Keys, Expires: db.Expires})
			}
			return k
		}),
		WAL: metrics.WALFunc(func() (metrics.WAL, bool) {
			mu.Lock()
			w := *wal
			mu.Unlock()
			if w == nil {
				return metrics.WAL{}, false
			}
			st := w.Stats()
			return metrics.WAL{
				Records: st.Records, Bytes: st.Bytes, RawBytes: st.RawBytes, Frames: st.Frames,
				Fsyncs: st.Fsyncs, DelayedFsyncs: st.SlowFsyncs, FsyncTime: time.Duration(st.FsyncNanos),
				FsyncLatency: w.FsyncLatency(), WriteErrors: st.WriteErrors, LastWriteOK: st.LastError == "",
				QueueBytes: st.QueueBytes, QueueRecords: st.QueueRecords, Pending: st.Pending, QueueWaits: st.QueueWaits,
				Segments: st.Segments, Rotations: st.Rotations, Segment: st.Segment,
				LastLSN: st.LastLSN, DurableLSN: st.DurableLSN,
			}, true
		}),
		Snapshots: metrics.SnapshotFunc(func() (metrics.Snapshots, bool) {
			mu.Lock()
			s := *snaps
			mu.Unlock()
			if s == nil {
				return metrics.Snapshots{}, false
			}
			st := s.Stats()
			return metrics.Snapshots{
				Saves: st.Saves, Failures: st.Failures, TotalTime: time.Duration(st.TotalNanos), TotalBytes: st.TotalBytes,
				LastDuration: time.Duration(st.LastDurationMs) * time.Millisecond, LastSize: st.LastSize,
				LastSave: st.LastSave, InProgress: st.InProgress,
			}, true
		}),
		Export: metrics.ExportFunc(func() []metrics.ExportClass {
			subs := map[bool]int{}
			for _, s := range hub.Subs() {
				subs[s.Replica]++
			}
			class := func(name string, st *replication.Stats, n int) metrics.ExportClass {
				return metrics.ExportClass{Class: name,
					QueuedFrames: st.QueuedFrames.Load(), QueuedBytes: st.QueuedBytes.Load(),
					SentFrames: st.SentFrames.Load(), SentBytes: st.SentBytes.Load(),
					DroppedFrames: st.DroppedFrames.Load(), DroppedBytes: st.DroppedBytes.Load(),
					WriteFailures: st.WriteFailures.Load(), Subscribers: n}
			}
			return []metrics.ExportClass{class("export", hub.Stats(), subs[false]), class("replica", hub.ReplicaStats(), subs[true])}
		}),
		Replication: metrics.ReplicationFunc(func() metrics.Replication {
			role := repl.Role()
			r := metrics.Replication{Master: role.Master, Offset: role.Offset, LinkUp: role.State == "connected"}
			if !role.Master {
				return r
			}
			for _, s := range hub.Subs() {
				if !s.Replica {
					continue
				}
				acked, at := s.Acked()
				host, _, _ := net.SplitHostPort(s.Addr)
				r.Replicas = append(r.Replicas, metrics.Replica{Addr: net.JoinHostPort(host, strconv.Itoa(s.Port)),
					Offset: acked, LagBytes: max(hub.Offset()-acked, 0), Lag: time.Since(at)})
			}
			return r
		}),
		Loading: metrics.LoadingFunc(func() metrics.Loading {
			return metrics.Loading{Loading: srv.Loading(), TotalBytes: progress.TotalBytes.Load(),
				LoadedBytes: progress.Bytes.Load(), LoadedRecords: progress.Records.Load()}
		}),
	}
}
