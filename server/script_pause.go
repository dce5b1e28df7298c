package server

// CLIENT PAUSE WRITE and scripts, as Redis 7.0's getCommandFlags: a script
// call is a write unless it declares otherwise. EVAL, EVALSHA and FCALL
// (may-replicate) are postponed; EVAL_RO, EVALSHA_RO and FCALL_RO are not;
// but a script with a shebang, or a function (they always have flags),
// counts by its flags: a write unless flagged no-writes (so FCALL of a
// no-writes function runs, and FCALL_RO of a writing one waits).

// scriptPauseWrite reports whether a call of cmd with args counts as a
// write for CLIENT PAUSE WRITE; ok is false when cmd is no script command.
func (s *Server) scriptPauseWrite(cmd *Command, args [][]byte) (write, ok bool) {
	var flags scriptFlags
	known := false
	switch cmd.Name {
	case "eval", "eval_ro":
		if len(args) > 1 {
			if f, _, msg := parseShebang(string(args[1])); msg == "" {
				flags, known = f, true
			}
		}
	case "evalsha", "evalsha_ro":
		if len(args) > 1 {
			if sc := s.findScript(args[1]); sc != nil {
				flags, known = sc.flags, true
			}
		}
	case "fcall", "fcall_ro":
		if len(args) > 1 {
			s.scr.runMu.Lock()
			if f := s.scr.fn.funcs[fnKey(args[1])]; f != nil {
				flags, known = f.flags, true
			}
			s.scr.runMu.Unlock()
		}
	default:
		return false, false
	}
	if !known || flags&sfCompat != 0 {
		return cmd.Flags&flagReadOnly == 0, true // the _ro forms are read-only; the others may replicate
	}
	return flags&sfNoWrites == 0, true
}
