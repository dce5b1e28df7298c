package server

import (
	"sort"
	"strings"
	"sync"
)

// The command table as ACL rules see it: every command and subcommand gets
// an id (its bit in a selector's command bitmap) and the set of ACL
// categories it belongs to, as Redis's ACLGetCommandID and acl_categories.
// Built once, after every file's init has registered its commands.

type aclCmdTable struct {
	byID []*Command // by aclID
	top  []*Command // top-level commands, sorted by name
	subs [][]*Command
	cats []uint32 // by aclID: bit i is aclOrder[i]
	// newer: commands Redis 7.0 does not have (HEXPIRE, CLIENT SETINFO,
	// FCSYNC, ...), left out when ACL GETUSER picks the categories that
	// describe a user best, so the description is Redis's.
	newer []bool
	// phantom: Redis 7.0's commands that fastcache does not serve, known
	// to the rules alone (so "-@all +psync +replconf" is taken as Redis
	// takes it), by name.
	phantom map[string]*Command
	// future is the reserved bit that only +@all (allcommands) sets: the
	// selector also allows commands added later (Redis's last bitmap bit).
	future int
	words  int
}

var (
	aclTab     aclCmdTable
	aclTabOnce sync.Once
)

// aclTable returns the table, building it on first use.
func aclTable() *aclCmdTable {
	aclTabOnce.Do(func() {
		t := &aclTab
		t.phantom = map[string]*Command{}
		for _, name := range []string{"psync", "replconf", "sync"} {
			if commands[name] == nil {
				t.phantom[name] = &Command{Name: name, Flags: flagAdmin | flagNoMulti, Group: "server", Since: "7.0.0"}
			}
		}
		t.top = sortedCommands()
		for _, cmd := range t.phantom {
			t.top = append(t.top, cmd)
		}
		sort.Slice(t.top, func(i, j int) bool { return t.top[i].Name < t.top[j].Name })
		t.subs = make([][]*Command, len(t.top))
		add := func(cmd *Command) {
			cmd.aclID = len(t.byID)
			t.byID = append(t.byID, cmd)
			var mask uint32
			for _, c := range aclCategories(cmd) {
				if i := aclCategoryIndex(c[1:]); i >= 0 {
					mask |= 1 << i
				}
			}
			t.cats = append(t.cats, mask)
			t.newer = append(t.newer, versionNum(cmd.Since) > versionNum(Version) || cmd.Name == "fcsync")
		}
		for i, cmd := range t.top {
			add(cmd)
			t.subs[i] = sortedSubs(cmd)
			for _, s := range t.subs[i] {
				add(s)
			}
		}
		t.future = len(t.byID)
		t.words = t.future/64 + 1
	})
	return &aclTab
}

// aclCategoryIndex is the index of the category name (without '@',
// any case) in aclOrder, or -1.
func aclCategoryIndex(name string) int {
	for i, c := range aclOrder {
		if strings.EqualFold(c[1:], name) {
			return i
		}
	}
	return -1
}

// aclLookup finds a command for an ACL rule the way Redis's
// ACLLookupCommand does: "name" or "parent|sub" (one level), any case;
// "name|x" of a command without subcommands is no command.
func aclLookup(name string) *Command {
	parent, sub, isSub := strings.Cut(strings.ToLower(name), "|")
	if isSub && strings.Contains(sub, "|") {
		return nil
	}
	cmd := commands[parent]
	if cmd == nil {
		cmd = aclTable().phantom[parent]
	}
	if cmd == nil || !isSub {
		return cmd
	}
	if cmd.Sub == nil {
		return nil
	}
	return cmd.Sub[sub]
}

// aclTarget is the command a call's permissions are checked against: the
// subcommand for a container. nil when the subcommand is unknown or has
// the wrong arity (the command then fails with that error, as Redis
// rejects it before its ACL check).
func aclTarget(cmd *Command, args [][]byte) *Command {
	if cmd.Sub == nil {
		return cmd
	}
	if len(args) < 2 {
		return nil
	}
	sub := cmd.Sub[strings.ToLower(string(args[1]))]
	if sub == nil || !arityOK(sub.Arity, len(args)) {
		return nil
	}
	return sub
}
