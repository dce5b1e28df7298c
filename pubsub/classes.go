package pubsub

import "errors"

// Class is a set of keyspace event classes (notify-keyspace-events), with
// Redis 7.0's letters.
type Class uint32

const (
	Keyspace Class = 1 << iota // K: __keyspace@<db>__:<key> channels
	Keyevent                   // E: __keyevent@<db>__:<event> channels
	Generic                    // g: DEL, EXPIRE, RENAME, ...
	String                     // $
	List                       // l
	Set                        // s
	Hash                       // h
	ZSet                       // z
	Expired                    // x
	Evicted                    // e
	Stream                     // t
	KeyMiss                    // m (not part of A)
	Module                     // d
	New                        // n (not part of A)
	// Modified has no letter and is never published: a change that Redis
	// signals to WATCH and CLIENT TRACKING without a keyspace event
	// (PFCOUNT storing the cardinality it computed).
	Modified
	// Tracked is no change and never published: a key a tracking client
	// read inside a transaction, reported in order with its changes
	// (server/tracking.go).
	Tracked

	// All is A: every class but m and n.
	All = Generic | String | List | Set | Hash | ZSet | Expired | Evicted | Stream | Module
)

// ErrBadClass is CONFIG SET's error for an unknown letter.
var ErrBadClass = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")

// ParseClasses parses a notify-keyspace-events string.
func ParseClasses(s string) (Class, error) {
	var c Class
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			c |= All
		case 'g':
			c |= Generic
		case '$':
			c |= String
		case 'l':
			c |= List
		case 's':
			c |= Set
		case 'h':
			c |= Hash
		case 'z':
			c |= ZSet
		case 'x':
			c |= Expired
		case 'e':
			c |= Evicted
		case 'K':
			c |= Keyspace
		case 'E':
			c |= Keyevent
		case 't':
			c |= Stream
		case 'm':
			c |= KeyMiss
		case 'd':
			c |= Module
		case 'n':
			c |= New
		default:
			return 0, ErrBadClass
		}
	}
	return c, nil
}

// FormatClasses is Redis's canonical form of c, as CONFIG GET prints it
// (like Redis it shows no 'n' when A is complete).
func FormatClasses(c Class) string {
	var b []byte
	if c&All == All {
		b = append(b, 'A')
	} else {
		for _, x := range []struct {
			c  Class
			ch byte
		}{{Generic, 'g'}, {String, '$'}, {List, 'l'}, {Set, 's'}, {Hash, 'h'}, {ZSet, 'z'},
			{Expired, 'x'}, {Evicted, 'e'}, {Stream, 't'}, {Module, 'd'}, {New, 'n'}} {
			if c&x.c != 0 {
				b = append(b, x.ch)
			}
		}
	}
	if c&Keyspace != 0 {
		b = append(b, 'K')
	}
	if c&Keyevent != 0 {
		b = append(b, 'E')
	}
	if c&KeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}
