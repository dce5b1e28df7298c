package cache

import "errors"

// Client-visible errors, with Redis 7's exact texts (the server writes
// err.Error() after the leading '-').
var (
	ErrNotInteger = errors.New("ERR value is not an integer or out of range")
	ErrOverflow   = errors.New("ERR increment or decrement would overflow")
	ErrNotFloat   = errors.New("ERR value is not a valid float")
	ErrNaN        = errors.New("ERR increment would produce NaN or Infinity")
	ErrNoSuchKey  = errors.New("ERR no such key")
	ErrTooLong    = errors.New("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	ErrOffset     = errors.New("ERR offset is out of range")
	ErrSameObject = errors.New("ERR source and destination objects are the same")
	ErrOOM        = errors.New("OOM command not allowed when used memory > 'maxmemory'.")
	// ErrSnapshotFailed is Redis's refusal of writes after a failed
	// BGSAVE (stop-writes-on-bgsave-error, save points set).
	ErrSnapshotFailed = errors.New("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
	ErrReadOnly       = errors.New("READONLY You can't write against a read only replica.")
	ErrNoReplicas     = errors.New("NOREPLICAS Not enough good replicas to write.")
	ErrLoading        = errors.New("LOADING fastcache is loading the dataset in memory")
	ErrExecAborted    = errors.New("EXECABORT Transaction discarded because of previous errors.")
	ErrWrongTypeOps   = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")
)

// MaxStringLen is the default limit on a string value built by APPEND,
// SETRANGE and SETBIT: Redis's proto-max-bulk-len default (Cache.SetMaxStringLen
// follows the directive).
const MaxStringLen = 512 << 20
