package server

import (
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"

	"fastcache/internal/rdb"
)

// FUNCTION DUMP writes Redis's payload: byte for byte for one library, and
// libraries move both ways between redis-server and fastcache through
// FUNCTION RESTORE, with Redis's errors for payloads of the wrong kind.
func TestFunctionDumpDiff(t *testing.T) {
	red, fc := dumpDiffClients(t)
	both := []*redis.Client{red, fc}
	libA := "#!lua name=liba\nredis.register_function('fa', function(keys, args) return 'a' end)"
	libB := "#!lua name=libb\nredis.register_function{function_name='fb', callback=function(keys, args) return #keys end, flags={'no-writes'}}"
	for _, cl := range both {
		cl.FunctionFlush(ctx())
		if err := cl.FunctionLoad(ctx(), libA).Err(); err != nil {
			t.Fatal(err)
		}
	}
	a, err1 := red.FunctionDump(ctx()).Result()
	b, err2 := fc.FunctionDump(ctx()).Result()
	if err1 != nil || err2 != nil || a != b {
		t.Fatalf("FUNCTION DUMP of one library:\n redis:     %q %v\n fastcache: %q %v", a, err1, b, err2)
	}
	// two libraries, each server's dump restored into the other
	dumps := map[*redis.Client]string{}
	for _, cl := range both {
		if err := cl.FunctionLoad(ctx(), libB).Err(); err != nil {
			t.Fatal(err)
		}
		d, err := cl.FunctionDump(ctx()).Result()
		if err != nil {
			t.Fatal(err)
		}
		dumps[cl] = d
	}
	for i, cl := range both {
		other := both[1-i]
		cl.FunctionFlush(ctx())
		if err := cl.FunctionRestore(ctx(), dumps[other]).Err(); err != nil {
			t.Fatalf("%d: FUNCTION RESTORE of the other server's dump: %v", i, err)
		}
		libs, err := cl.FunctionList(ctx(), redis.FunctionListQuery{WithCode: true}).Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range libs {
			got = append(got, l.Name+":"+l.Code)
		}
		sort.Strings(got)
		if len(got) != 2 || got[0] != "liba:"+libA || got[1] != "libb:"+libB {
			t.Fatalf("%d: libraries after the restore: %q", i, got)
		}
		if v, err := cl.FCall(ctx(), "fb", []string{"k1", "k2"}).Result(); err != nil || v != int64(2) {
			t.Fatalf("%d: FCALL fb = %v %v", i, v, err)
		}
	}
	// errors: a payload that is a key's DUMP, an empty one, a pre-GA one, a
	// library that exists, a bad checksum, a bad policy
	for _, cl := range both {
		cl.Set(ctx(), "k", "v", 0)
	}
	keyDump, _ := red.Dump(ctx(), "k").Result()
	var w rdb.Writer
	w.Type(246)
	w.String([]byte(libA))
	preGA := string(w.Finish())
	var w2 rdb.Writer
	w2.Type(245)
	w2.Len(1000)
	short := string(w2.Finish())
	empty := string(rdb.AppendFunctions(nil))
	var w3 rdb.Writer // a whole library in the release candidates' format
	w3.Type(246)
	w3.String([]byte("mylib"))
	w3.String([]byte("LUA"))
	w3.Len(0)
	w3.String([]byte("redis.register_function('f', function() return 1 end)"))
	preGAWhole := string(w3.Finish())
	var w4 rdb.Writer
	w4.Type(246)
	w4.String([]byte("jslib"))
	w4.String([]byte("JS"))
	w4.Len(1)
	w4.String([]byte("a description"))
	w4.String([]byte("x"))
	preGAJS := string(w4.Finish())
	c := func(args ...string) diffStep { return diffStep{args: args} }
	steps := []diffStep{
		c("FUNCTION", "FLUSH"),
		c("FUNCTION", "RESTORE", keyDump),
		c("FUNCTION", "RESTORE", preGA),
		c("FUNCTION", "RESTORE", preGAWhole), // converted: "#!LUA name=mylib" before the code
		c("FUNCTION", "LIST", "WITHCODE"),
		c("FCALL", "f", "0"),
		c("FUNCTION", "RESTORE", preGAJS),
		c("FUNCTION", "FLUSH"),
		c("FUNCTION", "RESTORE", short),
		c("FUNCTION", "RESTORE", dumps[red]),
		c("FUNCTION", "RESTORE", dumps[red][:len(dumps[red])-1]+"x"),
		c("FUNCTION", "RESTORE", dumps[red], "nosuch"),
		c("FUNCTION", "RESTORE", empty),
		c("FUNCTION", "RESTORE", empty, "FLUSH"),
		c("FUNCTION", "LIST"),
		c("FUNCTION", "RESTORE", dumps[fc], "REPLACE"),
		c("FUNCTION", "RESTORE", dumps[fc], "REPLACE"),
		c("FCALL", "fa", "0"),
		c("FUNCTION", "RESTORE", a), // liba exists: one library, so one error to report
		c("FUNCTION", "DELETE", "libb"),
		c("FUNCTION", "RESTORE", a, "REPLACE"),
		c("FUNCTION", "RESTORE", a, "APPEND"),
		// REPLACE replaces a library of the same name, but a function of
		// another library that stays still collides
		c("FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('fb', function() return 'other' end)"),
		c("FUNCTION", "RESTORE", dumps[fc], "REPLACE"),
		c("FCALL", "fb", "0"),
	}
	runDiffScripts(t, []diffScript{{"function-restore", steps}})
}
