package rdb

import "errors"

// FUNCTION DUMP and FUNCTION RESTORE payloads, as Redis 7.0 writes them
// (functionDumpCommand, rdbSaveFunctions): for each library the opcode
// RDB_OPCODE_FUNCTION2 and the library's code as an RDB string, then the
// footer of every DUMP payload.

const (
	opFunction2     = 245 // RDB_OPCODE_FUNCTION2
	opFunctionPreGA = 246 // RDB_OPCODE_FUNCTION_PRE_GA (7.0 release candidates): converted
)

// Errors of DecodeFunctions, with the texts FUNCTION RESTORE replies
// (after "ERR "); a bad footer is ErrChecksum.
var (
	ErrNotFunction = errors.New("given type is not a function")
	ErrLibPayload  = errors.New("Failed loading library payload")
)

// AppendFunctions is the FUNCTION DUMP payload of libraries of the given
// codes, in order.
func AppendFunctions(codes [][]byte) []byte {
	var w Writer
	for _, c := range codes {
		w.Type(opFunction2)
		w.String(c)
	}
	return w.Finish()
}

// DecodeFunctions verifies a FUNCTION DUMP payload and returns the codes of
// its libraries (copies), reading, as Redis does, up to the 10 bytes of the
// footer.
func DecodeFunctions(p []byte) ([][]byte, error) {
	if err := Verify(p); err != nil {
		return nil, err
	}
	r := &reader{b: p}
	var codes [][]byte
	for len(p)-r.p > 10 {
		t, err := r.byte()
		if err != nil {
			return nil, errors.New("can not read data type")
		}
		switch t {
		case opFunction2:
		case opFunctionPreGA:
			code, err := r.preGA()
			if err != nil {
				return nil, err
			}
			codes = append(codes, code)
			continue
		default:
			return nil, ErrNotFunction
		}
		s, err := r.str()
		if err != nil {
			return nil, ErrLibPayload
		}
		codes = append(codes, append([]byte(nil), s...))
	}
	return codes, nil
}

// preGA reads a library of the format of Redis 7.0's release candidates
// (name, engine, a description flag and the description, code) and turns
// it into code of the current format, as Redis 7.0 does: a "#!<engine>
// name=<name>" line before the code; the description is dropped. An error
// names the first part that could not be read.
func (r *reader) preGA() ([]byte, error) {
	name, err := r.str()
	if err != nil {
		return nil, errors.New("Failed loading library name")
	}
	name = append([]byte(nil), name...)
	engine, err := r.str()
	if err != nil {
		return nil, errors.New("Failed loading engine name")
	}
	engine = append([]byte(nil), engine...)
	hasDesc, _, err := r.length()
	if err != nil {
		return nil, errors.New("Failed loading library description indicator")
	}
	if hasDesc != 0 {
		if _, err := r.str(); err != nil {
			return nil, errors.New("Failed loading library description")
		}
	}
	code, err := r.str()
	if err != nil {
		return nil, errors.New("Failed loading library code")
	}
	out := append([]byte("#!"), engine...)
	out = append(append(append(out, " name="...), name...), '\n')
	return append(out, code...), nil
}
