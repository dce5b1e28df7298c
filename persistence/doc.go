// Package persistence is fastcache's durability layer: the write-ahead log
// (per-shard queues, one writer goroutine, frames, segments, fsync policies,
// group commit), its reader (replay, torn-tail handling, repair, `wal check`
// and `wal dump`), and snapshots (a point-in-time copy of the keyspace that
// bounds the log). This file documents the on-disk and on-the-wire formats so
// that anyone can write a reader or a consumer of the export stream.
//
// # Data directory
//
//	<dir>/LOCK                          flock(2)ed by the running server
//	<dir>/wal/<20-digit id>.wal         WAL segments, ids increasing
//	<dir>/snapshot/snap-<20-digit>.fcs  snapshots; the number is the highest
//	                                    shard cut LSN it covers
//	<dir>/snapshot/*.fcs.tmp            a snapshot being written (deleted at start)
//	<dir>/replica-sync.fcs.tmp          a replica's incoming snapshot (transient)
//	*.broken                            copies kept by --wal-repair
//
// All integers are little-endian. CRC32C is the Castagnoli CRC-32.
//
// # Records
//
// Every change a shard applies becomes one record, logged in its effective,
// deterministic form (INCR as the value it produced, EXPIRE as an absolute
// PEXPIREAT in unix ms, SET ... GET as a plain set, APPEND to an existing
// key as the bytes written at their offset, HINCRBY as the field's new
// value), so replay never re-evaluates a command. Records are applied exactly
// once: the snapshot cut (below) decides which records a snapshot holds.
// Encoding (format version 2; the records version 1 wrote, six ops in
// database 0, are byte for byte the same):
//
//	op        u8       see the table below; an op this binary does not know
//	                   refuses the start (never skipped, never cut)
//	flags     u8       bit 0: a num follows; bit 1: a database follows;
//	                   bit 2: a group size follows; other bits must be 0
//	lsn       uvarint  sequence number (see below)
//	num       varint   flags bit 0: the expiry (unix ms) of set and
//	                   pexpireat, else the op's argument (Arg)
//	db        uvarint  flags bit 1: the database (absent: 0)
//	group     uvarint  flags bit 2: this record begins a group of that many
//	                   records (>= 2), the rest of which follow it at once
//	keyLen    uvarint
//	key       keyLen bytes
//	offset    uvarint  op setrange only
//	valueLen  uvarint  ops set, setrange and every op >= 16
//	value     valueLen bytes; for ops >= 16 a list of items, each
//	                   uvarint length | bytes
//
// Ops (the name is what `wal dump` and `wal tail` print):
//
//	1   set          key = value (a string), expiry = num (0: none)
//	2   del          key removed, whatever its type
//	3   pexpireat    key's expiry = num
//	4   persist      key's expiry removed
//	5   flush        no key: database db emptied (FLUSHDB), or every
//	                 database when Arg = 1 (FLUSHALL); a version-1 flush
//	                 (no Arg) emptied database 0, then the only one
//	6   setrange     value written at offset of the string, zero-filled,
//	                 expiry kept (APPEND, SETRANGE, SETBIT)
//	16  hset         hash fields set (items: field, value, ...), the hash
//	                 created without expiry if missing; fields lose a TTL
//	17  hdel         hash fields removed (items: fields); the key goes with
//	                 its last field (a del record follows)
//	18  hpexpireat   TTL of hash fields (items) = Arg (unix ms, 0: none)
//	19  hsetkeepttl  hset keeping each field's TTL (HINCRBY, HINCRBYFLOAT)
//	96  function-load    FUNCTION library loaded or replaced (items:
//	                 name, code)
//	97  function-delete  library deleted (items: name)
//	98  function-flush   every library deleted (no items); 96-98 carry the
//	                 key "\x00functions" in database 0 (see below)
//	112 move         key moved from database db to database Arg
//	128 setranges    byte ranges written inside the string, in place
//	                 (items: offset as decimal text, bytes, ...), length
//	                 and expiry kept (PFADD, PFMERGE on a HyperLogLog)
//	113 swapdb       no key: databases db and Arg swapped
//
// Ranges reserved for the other kinds (each kind registers its ops with
// RegisterOp and its replay with shard.RegisterApply): sets 32-47, sorted
// sets 48-63, lists 64-79, streams 80-95; functions own 96-111 (96-98
// above), strings 128-143 (128 above). Their bodies are documented with each kind in package object.
//
// Every kind also registers how its records read as Redis commands
// (RegisterCommand; commands.go here, object/commands.go): the stream a
// redis-server replica of this server follows, in effect form as the
// records are (an auto ID as the ID chosen, a pop as the count popped, an
// LINSERT as a small script that inserts at the resolved position).
//
// Function records (function_ops.go) are not about a key, yet each carries
// the fixed key "\x00functions": the shard that key maps to owns them, so
// the snapshot cut of that shard says which of them a snapshot holds (each
// is applied exactly once), and a snapshot stores the libraries as entries
// of that shard under that key: a function-flush followed by one
// function-load per library, copied under that shard's lock (all marked
// as entries after a key's first, so they count as no key). They are
// applied to the function registry, never to a database: FUNCTION LOAD,
// DELETE, FLUSH and RESTORE log them in their command's group; FLUSHALL
// leaves them alone, as in Redis.
//
// A set without an expiry clears any previous one. Expiry deletions and
// evictions are logged as del records, so a restart does not bring those keys
// back. A RENAME or COPY of a collection logs del of the destination and the
// records that rebuild the collection there (as a snapshot would).
//
// LSNs come from one process-wide counter and are assigned under the queue
// mutex of the shard that applies the record, so the records of one shard
// appear in the log in increasing LSN order (their apply order). Records of
// different shards may interleave in any order that respects each shard's
// order. A key always belongs to one shard (xxhash64(key) & (shards-1)), in
// every database, so per-key order is total. The LSN counter continues
// across restarts from the highest LSN found in the snapshot and the log.
//
// The records of one multi-key command (MSET, RENAME, COPY, MGET-free
// writes of several keys) or MULTI/EXEC transaction, and every SWAPDB and
// FLUSHALL, get consecutive LSNs and are always written inside a single
// frame, the first of them marked with the group size; because a frame is
// verified as a whole, such a group is replayed all or nothing, and a
// replica applies it with every shard involved locked, so its readers never
// see half of one.

// # WAL segments
//
// A segment starts with a 32-byte header:
//
//	0   magic    u32  0x4C574346 ("FCWL")
//	4   version  u8   1 (checked: another version refuses the start)
//	5   -        3 bytes, zero
//	8   id       u64  the segment id (as in the file name)
//	16  created  u64  unix ms
//	24  shards   u32  shard count of the writing server
//	28  crc      u32  CRC32C of bytes 0..27
//
// then frames, back to back, each padded with zeros to a multiple of 8 bytes.
// A segment is rotated once it would exceed wal-segment-size; the writer
// fsyncs a segment before it opens the next, and a new segment's header and
// directory entry are fsynced before any frame goes into it.
//
// # Frames
//
//	0   magic     u16  0xFC57
//	2   version   u8   2 (1: before databases and typed values; both are
//	                   read; a frame whose checksum holds but whose version
//	                   or codec is unknown refuses the start, see below)
//	3   codec     u8   0 none, 1 s2, 2 zstd (klauspost/compress)
//	4   stored    u32  payload bytes as stored (after compression)
//	8   raw       u32  payload bytes after decompression (<= 1 GiB)
//	12  count     u32  records in the payload
//	16  minLSN    u64  smallest LSN in the frame
//	24  maxLSN    u64  largest LSN in the frame
//	32  crc       u32  CRC32C of bytes 0..31 followed by the stored payload
//	36  -         4 bytes, zero
//	40  payload   stored bytes: records back to back (compressed as a whole)
//	    padding   zeros up to a multiple of 8 bytes (a reader refuses any other byte there)
//
// The writer compresses a payload only if it is at least 256 bytes and the
// result is under 95% of the raw size; otherwise codec is 0 for that frame.
// Codec none requires raw == stored. A frame is valid only if magic,
// version, codec, lengths, CRC, decompressed length and record count all
// check out.
//
// # Durability (appendfsync)
//
// always: a write is acknowledged only after the fsync that covers it; one
// fsync covers every record queued before its round started (group commit),
// and a pipelining client waits once per pipeline. everysec: about once a
// second (a second after the last one began) the writer starts an fsync of
// the active segment on a goroutine of its own, never on a client's path,
// and keeps writing and exporting frames while it runs (bgsync.go: the
// durable LSN becomes the one the written bytes covered when it began; one
// fsync at a time on a segment; recovery, always, Flush, Rotate and Close
// wait for it first, and the rotation at the segment size comes after it).
// no: the OS decides. A rotation fsyncs the old segment
// completely before the first frame goes into the new one, whatever the
// policy, so a crash leaves a torn tail only in the last segment.
// A write or fsync error stops acknowledging writes (MISCONF) and keeps the
// not-yet-durable frames in memory; the writer retries about once a second by
// cutting the segment back to its last fsynced size and writing those frames
// into a fresh segment, so the log never holds a half-written frame and
// nothing acknowledged is lost.
//
// # Reading the log (start-up, wal check)
//
// Segments are read in id order starting from the segment the loaded snapshot
// names. A frame that fails verification at the very end of the last segment,
// with nothing valid after it, is a torn write from a crash: it is cut off
// (the file is truncated) with a warning giving the dropped byte count. Data
// of a newer format is never taken for damage: a segment header of another
// version, or a frame whose checksum holds but whose version, codec or a
// record's op is unknown, stops the start with the file and offset
// (UnsupportedError), whatever its place in the log and even with
// --wal-repair, and nothing is cut or moved (a downgrade keeps its data for
// the binary that wrote it); `wal check` prints the versions it found. Any
// other damage (bad CRC, impossible length, a valid frame after a bad one,
// a bad header in a segment that is not the last) stops the start
// with the segment name, the offset and the advice to run with
// --wal-repair yes, which truncates the log at the first damage, moves later
// segments aside as *.broken (a copy of the damaged segment too) and logs the
// dropped bytes and frames.
//
// # Snapshots
//
// The snapshot format (header, checksummed and compressed blocks per shard,
// footer with each shard's cut LSN, trailer) is documented in snapshot.go. A
// snapshot is written as a .tmp file, fsynced, renamed, and the directory
// fsynced. Each shard is copied under its lock (the only pause: one shard's
// copy); its cut is the LSN of the last record that shard had applied. At
// start, the newest snapshot that verifies completely is loaded (shards in
// parallel), falling back to older ones with a warning, then the log from
// the snapshot's walSegment on; a log record is applied only if its LSN is
// above the cut of the snapshot shard that owns its key (a flush record
// removes only the keys of shards whose cut is below it). After a snapshot
// is durable, older snapshots beyond snapshot-keep are deleted, then the WAL
// segments the oldest kept snapshot fully covers.
//
// # Export stream (wal-export-listen, wal-export-connect)
//
// The export stream carries the frames exactly as they are written to the
// segments (never segment headers), in log order, each frame exactly once,
// also across a write-error recovery that rewrites frames into a new segment.
// Its positions are byte offsets into the concatenation of every frame the
// process has written since it started; the run id names that stream and
// changes at every start.
//
//  1. TCP connect (listen mode: the subscriber connects to
//     wal-export-listen; connect mode: fastcache connects to the collector).
//  2. When wal-export-token is set, the token is sent first as one line,
//     "<token>\n" (listen mode: by the subscriber, compared in constant
//     time; connect mode: by fastcache).
//  3. fastcache sends "FCWAL 1 <run id> <offset>\n": the stream starts at
//     <offset> (frames written before the subscriber joined are not sent;
//     a jump in offset between two connections tells a collector it missed
//     bytes). A refusal is "-ERR <reason>\n" (invalid token, max
//     subscribers reached) followed by close.
//  4. Frames follow, forever. A consumer reads the 40-byte header, computes
//     the frame length (40 + stored rounded up to 8), reads the rest,
//     verifies and decodes it as above. The subscriber never needs to write
//     anything; when it closes, fastcache drops it.
//
// With wal-export-on-full drop, frames that do not fit a subscriber's queue
// (32 MiB) are not sent to it and are counted: the subscriber then sees a
// gap in LSNs. With block (the default) the WAL writer waits for room, and a
// subscriber that makes no progress for wal-export-write-timeout seconds is
// disconnected so it cannot stall the others; the stream it received has no
// gap.
//
// # Replica stream
//
// A replica uses the same frames on the primary's RESP port: after AUTH
// (masterauth) it sends FCSYNC <run id|?> <offset> <listening port>. The
// primary answers "+CONTINUE <run id> <offset>\r\n" when it still holds the
// bytes from <offset> in its replication backlog (64 MiB), or
// "+FULLRESYNC <run id> <offset>\r\n$<n>\r\n" followed by a fresh snapshot
// of n bytes (the format above); frames from <offset> follow. The replica
// reports "ACK <offset>\n" lines back. After a full resync the replica skips
// the stream records the snapshot already holds (LSN at or below the cut of
// the primary shard owning the key), exactly as start-up does, so it sees
// every change once.
//
// Pub/sub on the replica stream. A replica that adds the capability word
// "pubsub" after its port (FCSYNC <run id|?> <offset> <port> pubsub) also
// receives the PUBLISHes and SPUBLISHes made on the primary (and, from a
// replica, those its own primary sent it) as message frames between the
// WAL frames:
//
//	0   magic    u16  0xFC50 (a WAL frame starts with 0xFC57)
//	2   kind     u8   1 PUBLISH, 2 SPUBLISH, 3 PING (a heartbeat, lengths 0)
//	3   -        u8   0
//	4   chanLen  u32
//	8   msgLen   u32
//	12  channel, then message (no padding, no checksum: they never touch a
//	    disk; TCP carries them)
//
// Message frames are never written to a segment or a snapshot, never kept
// in the backlog, and take no stream offset: offsets, +CONTINUE and the
// replica's logged position count WAL frame bytes only, exactly as without
// pub/sub. Delivery is at most once: a replica that is disconnected, or
// whose queue is full, misses the messages of that time. A message is sent
// after every WAL frame holding a record written before it was published
// (inside MULTI/EXEC or a script: after the whole transaction), so a
// subscriber on the replica sees those writes. Only a replica that asked
// gets message frames: export subscribers (above) and replicas older than
// them (which send FCSYNC without the word) never see one, and `wal dump`
// and `wal check` have nothing to skip. A primary older than them answers
// the five-argument FCSYNC with "-ERR wrong number of arguments ..."; the
// replica then sends it again without the word, on the same connection.
// Unknown capability words are ignored, so later ones can be added the same
// way.
//
// Heartbeats. A replica that adds the capability word "heartbeat" gets it
// back at the end of the +CONTINUE or +FULLRESYNC line (an older primary
// does not confirm it), "\n" lines every second before that line while the
// primary makes the snapshot, and a PING message frame (kind 3, empty)
// every repl-ping-replica-period seconds once it streams; PING frames are
// message frames in every respect above (no offset, no backlog, never on
// disk), sent whether or not the replica asked for "pubsub". The replica
// sends "\n" lines while it loads a snapshot and "ACK <offset>\n" every
// second after. Either side drops a link silent for repl-timeout seconds.
package persistence
