package main

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestAppRubyWeb: Ruby's Redis-backed middleware and add-ons from Debian's
// packages run unchanged against fastcache, and what each shows its user is
// what it shows against Redis 7.0 (the wanted values are redis-server
// 7.0.15's): Rack::Attack throttles the fourth request a minute per address
// and Fail2Ban blocks; redis-store (sessions and caches of redis-rack and
// redis-rails) keeps a marshalled value with its TTL; redis-namespace
// prefixes keys, KEYS and SCAN; sidekiq-cron saves, lists, enqueues,
// disables and destroys a cron job.
func TestAppRubyWeb(t *testing.T) {
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		appsMissing(t, "ruby not found on PATH (apt-get install ruby-rack-attack ruby-redis-store ruby-redis-namespace ruby-sidekiq-cron): %v", err)
	}
	if out, err := exec.Command(ruby, "-e", `require "rack/attack"; require "redis-store"; require "redis-namespace"; require "sidekiq-cron"`).CombinedOutput(); err != nil {
		appsMissing(t, "ruby cannot load the libraries (apt-get install ruby-rack-attack ruby-redis-store ruby-redis-namespace ruby-sidekiq-cron): %v\n%s", err, out)
	}
	dir := appDir(t, "rubyweb")
	p := startReady(t, t.TempDir())
	args := func(port int) []string { return []string{"app.rb", strconv.Itoa(port)} }
	var r map[string]json.RawMessage
	runApp(t, dir, 60*time.Second, p.port, &r, ruby, args)
	defer func() {
		if t.Failed() {
			alsoAgainstRedis(t, dir, 60*time.Second, ruby, args)
		}
	}()
	checkAppJSON(t, r, map[string]string{
		"namespace":   `{"get":"2","members":["x","y"],"rawKeys":["app:a","app:s"],"keys":["a","s"],"ttl":true,"scan":["a","s"]}`,
		"store":       `{"get":{"a":[1,2]},"setnx":false,"exists":true,"ttl":true}`,
		"rackAttack":  `{"throttle":[200,200,200,429,429],"otherIP":200,"fail2ban":[403,403,403,403]}`,
		"sidekiqCron": `{"saved":true,"all":["every-minute"],"queued":1,"statusAfterDisable":"disabled","afterDestroy":0}`,
	})
}
