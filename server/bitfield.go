package server

import "fastcache/cache"

// BITFIELD and BITFIELD_RO (registered with the bitmap commands in
// strings.go). The arguments are checked in Redis's order, all of them
// before the key is looked at: each subcommand's name and argument count,
// its type, its offset, its value; then BITFIELD_RO's refusal of writes;
// then the key's type.

const (
	errBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
)

func cmdBitField(c *Client, args [][]byte)   { bitField(c, args, false) }
func cmdBitFieldRO(c *Client, args [][]byte) { bitField(c, args, true) }

func bitField(c *Client, args [][]byte, readonly bool) {
	var buf [8]cache.BitFieldOp
	ops := buf[:0]
	ow := cache.OverflowWrap
	write := false
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var kind cache.BitFieldKind
		switch sub := args[j]; {
		case equalFold(sub, "get") && rem >= 2:
			kind = cache.BitFieldGet
		case equalFold(sub, "set") && rem >= 3:
			kind = cache.BitFieldSet
		case equalFold(sub, "incrby") && rem >= 3:
			kind = cache.BitFieldIncrBy
		case equalFold(sub, "overflow") && rem >= 1:
			j++
			switch {
			case equalFold(args[j], "wrap"):
				ow = cache.OverflowWrap
			case equalFold(args[j], "sat"):
				ow = cache.OverflowSat
			case equalFold(args[j], "fail"):
				ow = cache.OverflowFail
			default:
				c.reply.Error(errBitfieldOverflow)
				return
			}
			continue
		default:
			c.reply.Error(errSyntax)
			return
		}
		signed, bits, ok := bitfieldType(args[j+1])
		if !ok {
			c.reply.Error(errBitfieldType)
			return
		}
		off, ok := bitfieldOffset(c, args[j+2], bits)
		if !ok {
			c.reply.Error("ERR bit offset is not an integer or out of range")
			return
		}
		op := cache.BitFieldOp{Kind: kind, Signed: signed, Bits: uint8(bits), Overflow: ow, Offset: off}
		if kind != cache.BitFieldGet {
			write = true
			v, ok := cache.ParseInt(args[j+3])
			if !ok {
				c.reply.Error(errNotInt)
				return
			}
			op.Value = v
			j++
		}
		ops = append(ops, op)
		j += 2
	}
	if write && readonly {
		c.reply.Error(errBitfieldRO)
		return
	}
	if err := c.ks.BitField(args[1], ops); err != nil {
		c.reply.Err(err)
		return
	}
	c.reply.Array(len(ops))
	for i := range ops {
		if ops[i].Nil {
			c.reply.Null()
		} else {
			c.reply.Int(ops[i].Result)
		}
	}
}

// bitfieldType parses i1..i64 or u1..u63 (case-sensitive, as Redis's
// getBitfieldTypeFromArgument).
func bitfieldType(arg []byte) (signed bool, bits int64, ok bool) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	bits, ok = cache.ParseInt(arg[1:])
	if !ok || bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
		return false, 0, false
	}
	return signed, bits, true
}

// bitfieldOffset parses a bit offset, or #N for N fields of the type's
// width, as Redis's getBitOffsetFromArgument: N times the width wraps as
// Redis's 64-bit multiplication does (#288230376151711745 of i64 is bit 64
// there too), and then, whatever the form, the offset must be >= 0 with its
// byte under proto-max-bulk-len, so nothing past the string size limit gets
// through.
func bitfieldOffset(c *Client, arg []byte, bits int64) (int64, bool) {
	hash := len(arg) > 0 && arg[0] == '#'
	if hash {
		arg = arg[1:]
	}
	off, ok := cache.ParseInt(arg)
	if !ok {
		return 0, false
	}
	if hash {
		off = int64(uint64(off) * uint64(bits))
	}
	if off < 0 || off>>3 >= c.srv.cfg.ProtoMaxBulkLen() {
		return 0, false
	}
	return off, true
}
