package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"fastcache/internal/latency"
)

// Collector is a prometheus.Collector over Sources. Every Collect reads the
// sources afresh; nothing is kept between scrapes.
type Collector struct {
	src   Sources
	descs []*prometheus.Desc
}

const ns = "fastcache_"

var (
	constLabels = prometheus.Labels(nil)
	desc        = func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(ns+name, help, labels, constLabels)
	}

	buildInfo = desc("build_info", "fastcache's version and the Redis version it is compatible with (always 1).", "version", "redis_version")

	// server and commands
	commandsProcessed = desc("commands_processed_total", "Commands received, known or not (INFO total_commands_processed).")
	cmdCalls          = desc("commands_total", "Calls of each command that ran (INFO commandstats calls).", "cmd")
	cmdTime           = desc("commands_duration_seconds_total", "Time spent in each command, counted in whole microseconds per call (INFO commandstats usec).", "cmd")
	cmdFailed         = desc("commands_failed_calls_total", "Calls that ran and replied an error (INFO commandstats failed_calls).", "cmd")
	cmdRejected       = desc("commands_rejected_calls_total", "Calls refused before they ran: arity, NOAUTH, OOM, MISCONF, ... (INFO commandstats rejected_calls).", "cmd")
	cmdLatency        = desc("command_duration_seconds", "Latency of each command (latency-tracking); the sum is estimated from the buckets.", "cmd")
	errorsByPrefix    = desc("errors_total", "Error replies by their prefix (INFO errorstats).", "prefix")
	errorReplies      = desc("error_replies_total", "Error replies sent (INFO total_error_replies).")
	connected         = desc("connected_clients", "Client connections open.")
	blocked           = desc("blocked_clients", "Clients waiting in a blocking command.")
	connsReceived     = desc("connections_received_total", "Connections accepted.")
	connsRejected     = desc("connections_rejected_total", "Connections refused (maxclients).")
	protoErrors       = desc("protocol_errors_total", "Clients disconnected for a protocol error.")

	// keyspace and memory
	keys         = desc("keys", "Keys in each database.", "db")
	expiringKeys = desc("keys_expiring", "Keys with a time to live in each database.", "db")
	hits         = desc("keyspace_hits_total", "Lookups that found their key.")
	misses       = desc("keyspace_misses_total", "Lookups that did not find their key.")
	expiredKeys  = desc("expired_keys_total", "Keys deleted because their time to live ran out.")
	evictedKeys  = desc("evicted_keys_total", "Keys evicted to stay under maxmemory.")
	usedMemory   = desc("memory_used_bytes", "Memory of keys and values (INFO used_memory); the process's resident size is process_resident_memory_bytes.")
	maxMemory    = desc("memory_max_bytes", "maxmemory (0: no limit).")

	// WAL
	walRecords      = desc("wal_records_total", "Records appended to the WAL.")
	walBytes        = desc("wal_appended_bytes_total", "Bytes appended to WAL segments, frame headers and compression included.")
	walRawBytes     = desc("wal_raw_bytes_total", "Record bytes appended to the WAL before compression.")
	walFrames       = desc("wal_frames_total", "WAL frames written.")
	walFsyncs       = desc("wal_fsyncs_total", "fsyncs of WAL segments.")
	walFsyncDelayed = desc("wal_fsyncs_delayed_total", "fsyncs that took more than 2 seconds.")
	walFsyncLatency = desc("wal_fsync_duration_seconds", "Duration of WAL fsyncs.")
	walFlushErrors  = desc("wal_flush_errors_total", "Failed WAL writes and fsyncs (writes are refused with MISCONF until the disk is back).")
	walLastWriteOK  = desc("wal_last_write_ok", "1 while the WAL is being written without error, 0 after a failed write or fsync.")
	walQueueBytes   = desc("wal_queue_bytes", "Bytes of records waiting in the shard queues for the WAL writer.")
	walQueueRecords = desc("wal_queue_records", "Records waiting in the shard queues for the WAL writer.")
	walPending      = desc("wal_pending_records", "Records numbered but not yet durable (last LSN - durable LSN).")
	walQueueWaits   = desc("wal_queue_waits_total", "Times a writer waited for room in a full WAL queue.")
	walSegments     = desc("wal_segments", "WAL segment files on disk.")
	walSegment      = desc("wal_current_segment", "Id of the segment being written.")
	walRotations    = desc("wal_rotations_total", "WAL segment rotations.")
	walLastLSN      = desc("wal_last_lsn", "Highest log sequence number handed out.")
	walDurableLSN   = desc("wal_durable_lsn", "Highest log sequence number known durable.")

	// snapshots
	snapSaves      = desc("snapshots_total", "Snapshots taken successfully.")
	snapFailures   = desc("snapshot_failures_total", "Snapshots that failed.")
	snapTime       = desc("snapshot_duration_seconds_total", "Time spent taking snapshots.")
	snapBytes      = desc("snapshot_written_bytes_total", "Bytes of the snapshots written.")
	snapLastTime   = desc("snapshot_last_duration_seconds", "Duration of the last snapshot.")
	snapLastSize   = desc("snapshot_last_size_bytes", "Size of the last successful snapshot.")
	snapLastSave   = desc("snapshot_last_success_timestamp_seconds", "Unix time of the last successful snapshot (0: none).")
	snapInProgress = desc("snapshot_in_progress", "1 while a snapshot is being taken.")

	// export stream
	expQueuedFrames  = desc("export_queued_frames_total", "WAL frames queued for stream subscribers.", "class")
	expQueuedBytes   = desc("export_queued_bytes_total", "WAL bytes queued for stream subscribers.", "class")
	expSentFrames    = desc("export_sent_frames_total", "WAL frames sent to stream subscribers.", "class")
	expSentBytes     = desc("export_sent_bytes_total", "WAL bytes sent to stream subscribers.", "class")
	expDroppedFrames = desc("export_dropped_frames_total", "WAL frames dropped for a subscriber whose queue was full (wal-export-on-full drop).", "class")
	expDroppedBytes  = desc("export_dropped_bytes_total", "WAL bytes dropped for a subscriber whose queue was full.", "class")
	expWriteFailures = desc("export_write_failures_total", "Writes to a subscriber that failed (it is disconnected).", "class")
	expSubscribers   = desc("export_subscribers", "Stream subscribers connected.", "class")

	// replication
	replRole        = desc("replication_role", "This server's role: 1 for the label that applies.", "role")
	replOffset      = desc("replication_offset_bytes", "Primary: bytes of the replication stream so far; replica: bytes applied.")
	replLinkUp      = desc("replication_link_up", "Replica: 1 while connected to its primary.")
	replConnected   = desc("replication_connected_replicas", "Replicas attached to this primary.")
	replicaOffset   = desc("replication_replica_offset_bytes", "Offset each replica acknowledged.", "replica")
	replicaLagBytes = desc("replication_replica_lag_bytes", "Stream bytes each replica has not acknowledged yet.", "replica")
	replicaLag      = desc("replication_replica_lag_seconds", "Time since each replica's last acknowledgement.", "replica")

	// loading
	loading        = desc("loading", "1 while the dataset is being loaded at start.")
	loadingTotal   = desc("loading_total_bytes", "Bytes of WAL to replay at start.")
	loadingBytes   = desc("loading_loaded_bytes", "Bytes of WAL replayed so far.")
	loadingRecords = desc("loading_loaded_records", "Records replayed so far.")
)

// NewCollector returns a collector over src.
func NewCollector(src Sources) *Collector {
	return &Collector{src: src, descs: []*prometheus.Desc{
		buildInfo, commandsProcessed, cmdCalls, cmdTime, cmdFailed, cmdRejected, cmdLatency, errorsByPrefix,
		errorReplies, connected, blocked, connsReceived, connsRejected, protoErrors,
		keys, expiringKeys, hits, misses, expiredKeys, evictedKeys, usedMemory, maxMemory,
		walRecords, walBytes, walRawBytes, walFrames, walFsyncs, walFsyncDelayed, walFsyncLatency, walFlushErrors,
		walLastWriteOK, walQueueBytes, walQueueRecords, walPending, walQueueWaits, walSegments, walSegment,
		walRotations, walLastLSN, walDurableLSN,
		snapSaves, snapFailures, snapTime, snapBytes, snapLastTime, snapLastSize, snapLastSave, snapInProgress,
		expQueuedFrames, expQueuedBytes, expSentFrames, expSentBytes, expDroppedFrames, expDroppedBytes,
		expWriteFailures, expSubscribers,
		replRole, replOffset, replLinkUp, replConnected, replicaOffset, replicaLagBytes, replicaLag,
		loading, loadingTotal, loadingBytes, loadingRecords,
	}}
}

// Describe sends every descriptor the collector may produce.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// histogram sends a latency snapshot as a Prometheus histogram.
func histogram(ch chan<- prometheus.Metric, d *prometheus.Desc, s *latency.Snapshot, labels ...string) {
	ch <- prometheus.MustNewConstHistogram(d, s.Count(), s.Sum().Seconds(), s.Buckets(), labels...)
}

// Collect reads every source and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src
	gauge(ch, buildInfo, 1, s.Version, s.RedisVersion)
	if s.Server != nil {
		c.collectServer(ch, s.Server)
	}
	if s.Keyspace != nil {
		k := s.Keyspace.Keyspace()
		for _, db := range k.DBs {
			i := strconv.Itoa(db.Index)
			gauge(ch, keys, float64(db.Keys), i)
			gauge(ch, expiringKeys, float64(db.Expires), i)
		}
		counter(ch, hits, float64(k.Hits))
		counter(ch, misses, float64(k.Misses))
		counter(ch, expiredKeys, float64(k.Expired))
		counter(ch, evictedKeys, float64(k.Evicted))
		gauge(ch, usedMemory, float64(k.UsedMemory))
		gauge(ch, maxMemory, float64(k.MaxMemory))
	}
	if s.WAL != nil {
		if w, ok := s.WAL.WAL(); ok {
			collectWAL(ch, w)
		}
	}
	if s.Snapshots != nil {
		if st, ok := s.Snapshots.Snapshots(); ok {
			counter(ch, snapSaves, float64(st.Saves))
			counter(ch, snapFailures, float64(st.Failures))
			counter(ch, snapTime, st.TotalTime.Seconds())
			counter(ch, snapBytes, float64(st.TotalBytes))
			gauge(ch, snapLastTime, st.LastDuration.Seconds())
			gauge(ch, snapLastSize, float64(st.LastSize))
			gauge(ch, snapLastSave, float64(st.LastSave))
			gauge(ch, snapInProgress, b2f(st.InProgress))
		}
	}
	if s.Export != nil {
		for _, e := range s.Export.Export() {
			counter(ch, expQueuedFrames, float64(e.QueuedFrames), e.Class)
			counter(ch, expQueuedBytes, float64(e.QueuedBytes), e.Class)
			counter(ch, expSentFrames, float64(e.SentFrames), e.Class)
			counter(ch, expSentBytes, float64(e.SentBytes), e.Class)
			counter(ch, expDroppedFrames, float64(e.DroppedFrames), e.Class)
			counter(ch, expDroppedBytes, float64(e.DroppedBytes), e.Class)
			counter(ch, expWriteFailures, float64(e.WriteFailures), e.Class)
			gauge(ch, expSubscribers, float64(e.Subscribers), e.Class)
		}
	}
	if s.Replication != nil {
		r := s.Replication.Replication()
		gauge(ch, replRole, b2f(r.Master), "master")
		gauge(ch, replRole, b2f(!r.Master), "replica")
		gauge(ch, replOffset, float64(r.Offset))
		if r.Master {
			gauge(ch, replConnected, float64(len(r.Replicas)))
			seen := map[string]bool{}
			for _, rep := range r.Replicas {
				if seen[rep.Addr] { // one series per label set
					continue
				}
				seen[rep.Addr] = true
				gauge(ch, replicaOffset, float64(rep.Offset), rep.Addr)
				gauge(ch, replicaLagBytes, float64(rep.LagBytes), rep.Addr)
				gauge(ch, replicaLag, rep.Lag.Seconds(), rep.Addr)
			}
		} else {
			gauge(ch, replLinkUp, b2f(r.LinkUp))
		}
	}
	if s.Loading != nil {
		l := s.Loading.Loading()
		gauge(ch, loading, b2f(l.Loading))
		gauge(ch, loadingTotal, float64(l.TotalBytes))
		gauge(ch, loadingBytes, float64(l.LoadedBytes))
		gauge(ch, loadingRecords, float64(l.LoadedRecords))
	}
}

func (c *Collector) collectServer(ch chan<- prometheus.Metric, src ServerSource) {
	cl := src.Clients()
	counter(ch, commandsProcessed, float64(cl.CommandsProcessed))
	gauge(ch, connected, float64(cl.Connected))
	gauge(ch, blocked, float64(cl.Blocked))
	counter(ch, connsReceived, float64(cl.ConnectionsReceived))
	counter(ch, connsRejected, float64(cl.ConnectionsRejected))
	counter(ch, protoErrors, float64(cl.ProtocolErrors))
	for _, cmd := range src.Commands() {
		if cmd.Calls <= 0 && cmd.Failed <= 0 && cmd.Rejected <= 0 {
			continue // as INFO commandstats: only what ran
		}
		counter(ch, cmdCalls, float64(max(cmd.Calls, 0)), cmd.Name)
		counter(ch, cmdTime, float64(max(cmd.Usec, 0))/1e6, cmd.Name)
		counter(ch, cmdFailed, float64(max(cmd.Failed, 0)), cmd.Name)
		counter(ch, cmdRejected, float64(max(cmd.Rejected, 0)), cmd.Name)
		if cmd.Latency != nil && cmd.Latency.Count() > 0 {
			histogram(ch, cmdLatency, cmd.Latency, cmd.Name)
		}
	}
	byPrefix, total := src.Errors()
	counter(ch, errorReplies, float64(total))
	for p, n := range byPrefix {
		counter(ch, errorsByPrefix, float64(n), p)
	}
}

func collectWAL(ch chan<- prometheus.Metric, w WAL) {
	counter(ch, walRecords, float64(w.Records))
	counter(ch, walBytes, float64(w.Bytes))
	counter(ch, walRawBytes, float64(w.RawBytes))
	counter(ch, walFrames, float64(w.Frames))
	counter(ch, walFsyncs, float64(w.Fsyncs))
	counter(ch, walFsyncDelayed, float64(w.DelayedFsyncs))
	if w.FsyncLatency != nil {
		ch <- prometheus.MustNewConstHistogram(walFsyncLatency, w.FsyncLatency.Count(), w.FsyncTime.Seconds(), w.FsyncLatency.Buckets())
	}
	counter(ch, walFlushErrors, float64(w.WriteErrors))
	gauge(ch, walLastWriteOK, b2f(w.LastWriteOK))
	gauge(ch, walQueueBytes, float64(w.QueueBytes))
	gauge(ch, walQueueRecords, float64(w.QueueRecords))
	gauge(ch, walPending, float64(w.Pending))
	counter(ch, walQueueWaits, float64(w.QueueWaits))
	gauge(ch, walSegments, float64(w.Segments))
	gauge(ch, walSegment, float64(w.Segment))
	counter(ch, walRotations, float64(w.Rotations))
	gauge(ch, walLastLSN, float64(w.LastLSN))
	gauge(ch, walDurableLSN, float64(w.DurableLSN))
}
