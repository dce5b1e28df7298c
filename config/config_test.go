package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestDefaults(t *testing.T) {
	c := Default()
	if got := strings.Join(c.Bind(), " "); got != "127.0.0.1 -::1" {
		t.Fatalf("bind %q", got)
	}
	if c.Port() != 6379 || c.Dir() != "./data" || !c.AppendOnly() || c.AppendFsync() != "everysec" ||
		c.ProtoMaxBulkLen() != 512<<20 || c.ClientQueryBufferLimit() != 1<<30 {
		t.Fatal("wrong defaults")
	}
}

func TestFileThenFlags(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "fc.conf")
	os.WriteFile(f, []byte("# comment\n\nPORT 7000\nmaxmemory 100mb\nrequirepass \"p a\\x41ss\"\nbind 127.0.0.1 ::1\nsave \"\"\nappendfsync always\n"), 0o644)
	c, err := Load([]string{f, "--port", "7001", "--maxmemory", "1gb", "--bind", "127.0.0.1", "-::1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Port() != 7001 || c.MaxMemory() != 1<<30 || c.RequirePass() != "p aAss" || c.AppendFsync() != "always" ||
		strings.Join(c.Bind(), " ") != "127.0.0.1 -::1" {
		t.Fatalf("got port %d maxmemory %d pass %q bind %v", c.Port(), c.MaxMemory(), c.RequirePass(), c.Bind())
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "1k": 1000, "1kb": 1024, "2MB": 2 << 20, "1g": 1e9, "1gb": 1 << 30, "5b": 5} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "x", "1tb", "-1", "1.5mb"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestErrorsNameTheDirective(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--nosuch", "1"}, "nosuch"},
		{[]string{"--port", "abc"}, `'port "abc"'`},
		{[]string{"--appendfsync", "sometimes"}, "appendfsync"},
		{[]string{"--maxmemory", "lots"}, "maxmemory"},
		{[]string{"--shards", "12"}, "power of two"},
		{[]string{"--daemonize", "maybe"}, "daemonize"},
	}
	for _, c := range cases {
		_, err := Load(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%v) = %v, want an error mentioning %q", c.args, err, c.want)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "bad.conf")
	os.WriteFile(f, []byte("port 1\nport \"abc\"\n"), 0o644)
	_, err := Load([]string{f})
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), `'port "abc"'`) {
		t.Fatalf("file error %v", err)
	}
}

func TestGetSet(t *testing.T) {
	c := Default()
	got := c.Get("maxmemory*")
	if len(got) != 5 || got[0][0] != "maxmemory" || got[1][0] != "maxmemory-clients" || got[3][0] != "maxmemory-policy" {
		t.Fatalf("glob: %v", got)
	}
	if len(c.Get("nothing-matches")) != 0 {
		t.Fatal("no match must be empty")
	}
	called := 0
	c.OnChange("maxmemory", func(c *Config) error { called++; return nil })
	if err := c.Set([][2]string{{"maxmemory", "10mb"}, {"maxmemory-policy", "allkeys-lru"}}); err != nil {
		t.Fatal(err)
	}
	if c.MaxMemory() != 10<<20 || c.MaxMemoryPolicy() != "allkeys-lru" || called != 1 {
		t.Fatal("set not applied")
	}
	// atomic: a bad second pair leaves the first unchanged
	err := c.Set([][2]string{{"maxmemory", "20mb"}, {"maxmemory-policy", "bogus"}})
	if err == nil || !strings.Contains(err.Error(), "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')") || c.MaxMemory() != 10<<20 {
		t.Fatalf("err %v maxmemory %d", err, c.MaxMemory())
	}
	if err := c.Set([][2]string{{"databases", "1"}}); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatal(err)
	}
	if err := c.Set([][2]string{{"nosuch", "1"}}); err == nil || err.Error() != "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'" {
		t.Fatal(err)
	}
	// a failing hook rolls back
	c.OnChange("timeout", func(c *Config) error {
		if c.Timeout() > 1000_000_000_000 {
			return os.ErrInvalid
		}
		return nil
	})
	if err := c.Set([][2]string{{"timeout", "5000"}}); err == nil || c.Timeout() != 0 {
		t.Fatalf("hook rollback: %v %v", err, c.Timeout())
	}
}

func TestConcurrentGetSet(t *testing.T) {
	c := Default()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				c.Set([][2]string{{"maxclients", "100"}})
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				_ = c.MaxClients()
				_ = c.Get("*")
			}
		}()
	}
	wg.Wait()
}

// Several save lines add up (the first replaces the default), as Redis
// reads them; save "" clears them; flags follow the file.
func TestSaveLinesAddUp(t *testing.T) {
	f := filepath.Join(t.TempDir(), "redis.conf")
	os.WriteFile(f, []byte("save 900 1\nsave 300 10\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{f}, "900 1 300 10"},
		{[]string{f, "--save", "60", "10000"}, "900 1 300 10 60 10000"},
		{[]string{f, "--save", ""}, ""},
		{[]string{"--save", "100", "100"}, "100 100"},
	} {
		c, err := Load(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Get("save")[0][1]; got != tc.want {
			t.Errorf("%q: save %q, want %q", tc.args, got, tc.want)
		}
	}
	c := Default()
	if err := c.Set([][2]string{{"save", "1 2"}}); err != nil || c.Get("save")[0][1] != "1 2" {
		t.Errorf("CONFIG SET save replaces: %v %v", err, c.Get("save"))
	}
}

// The command line as Redis 7.0 reads it (its introspection tests): the
// value after a lone --name may start with "--"; --name value in one
// argument; --save alone or before another --name is save ""; values are
// shown quoted in errors; a single-value directive without a value or with
// two is refused.
func TestCommandLineAsRedis(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
		get  map[string]string
	}{
		{args: []string{"--port"}, err: `'port': wrong number of arguments`},
		{args: []string{"--port", "6380", "--loglevel"}, err: `'loglevel': wrong number of arguments`},
		{args: []string{"--port", "6379", "6380"}, err: `'port "6379" "6380"': wrong number of arguments`},
		{args: []string{"--port", "--loglevel", "verbose"}, err: `'port "--loglevel" "verbose"': wrong number of arguments`},
		{args: []string{"--port", "--bla", "--loglevel", "verbose"}, err: `'port "--bla"': argument couldn't be parsed into an integer`},
		{args: []string{"--logfile", "--my--log--file", "--loglevel", "--bla"}, err: `'loglevel "--bla"': argument(s) must be one of the following`},
		{args: []string{"--shutdown-on-sigint"}, err: `'shutdown-on-sigint': argument(s) must be one of the following`},
		{args: []string{"--maxmemory 700mb", "--maxmemory-policy volatile-lru"}, get: map[string]string{"maxmemory": "734003200", "maxmemory-policy": "volatile-lru"}},
		{args: []string{"--maxmemory '700mb'", "--loglevel", "verbose"}, get: map[string]string{"maxmemory": "734003200", "loglevel": "verbose"}},
		{args: []string{"--proc-title-template", "--my--title--template", "--loglevel", "verbose"}, get: map[string]string{"proc-title-template": "--my--title--template", "loglevel": "verbose"}},
		{args: []string{"--save", "--loglevel", "verbose"}, get: map[string]string{"save": "", "loglevel": "verbose"}},
		{args: []string{"--loglevel", "verbose", "--save"}, get: map[string]string{"save": "", "loglevel": "verbose"}},
		{args: []string{"--proc-title-template", "--save", "--save", "", "--loglevel", "verbose"}, get: map[string]string{"proc-title-template": "--save", "save": ""}},
		{args: []string{"--shutdown-on-sigint", "nosave", "force", "now", "--shutdown-on-sigterm", "nosave force"}, get: map[string]string{"shutdown-on-sigint": "nosave now force", "shutdown-on-sigterm": "nosave force"}},
	} {
		c, err := Load(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one with %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		for k, want := range tc.get {
			if got := c.Get(k)[0][1]; got != want {
				t.Errorf("%q: %s = %q, want %q", tc.args, k, got, want)
			}
		}
	}
}

// Every directive (and alias) is registered once.
func TestNoDuplicateDirectives(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range directives {
		if seen[d.name] {
			t.Errorf("directive %s registered twice", d.name)
		}
		seen[d.name] = true
	}
}

// TestInclude: a config file's include lines are read in place, as
// Redis's: later lines override earlier ones, a wildcard takes the files it
// matches in name order (none: nothing), a plain path must exist, and a
// file including itself is refused.
func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	os.Mkdir(filepath.Join(dir, "conf.d"), 0o755)
	write("conf.d/10-a.conf", "maxmemory 10mb\nmaxmemory-samples 7\n")
	write("conf.d/20-b.conf", "maxmemory 20mb\n")
	main := write("main.conf", "maxmemory 1mb\ninclude "+filepath.Join(dir, "conf.d", "*.conf")+"\nmaxmemory-samples 9\n"+
		"include "+filepath.Join(dir, "empty.d", "*.conf")+"\n")
	c, err := Load([]string{main})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxMemory() != 20<<20 || c.MaxMemorySamples() != 9 {
		t.Fatalf("maxmemory %d, samples %d: want 20mb (the last included file) and 9 (the line after the include)", c.MaxMemory(), c.MaxMemorySamples())
	}
	missing := write("missing.conf", "include "+filepath.Join(dir, "nope.conf")+"\n")
	if _, err := Load([]string{missing}); err == nil || !strings.Contains(err.Error(), "nope.conf") {
		t.Fatalf("include of a missing file: %v", err)
	}
	self := filepath.Join(dir, "self.conf")
	write("self.conf", "include "+self+"\n")
	if _, err := Load([]string{self}); err == nil || !strings.Contains(err.Error(), "nested") {
		t.Fatalf("a file including itself: %v", err)
	}
}
