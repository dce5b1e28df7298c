# Ruby's Redis-backed middleware and add-ons, run by
# cmd/fastcache/apps_rubyweb_test.go against fastcache (and, to compare,
# against redis-server): Rack::Attack throttling on its Redis store,
# redis-store (what redis-rack and redis-rails keep sessions and caches in),
# redis-namespace, and sidekiq-cron's job registry. What a user sees is
# printed as one JSON object on stdout for the Go test to check.
#
# usage: ruby app.rb PORT
require "json"
require "redis"
require "redis-namespace"
require "redis-store"
require "rack/attack"
require "rack/mock"
require "sidekiq"
require "sidekiq-cron"

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
port = Integer(ARGV[0])
out = { "errors" => {} }
step = lambda do |name, &blk|
  blk.call
rescue StandardError => e
  out["errors"][name] = "#{e.class}: #{e.message}\n#{e.backtrace.first(5).join("\n")}"
end
Redis.new(port: port).flushall

step.call("namespace") do
  r = Redis.new(port: port, db: 8)
  ns = Redis::Namespace.new(:app, redis: r)
  ns.set("a", 1)
  ns.incr("a")
  ns.sadd("s", %w[x y])
  ns.expire("s", 100)
  out["namespace"] = { "get" => ns.get("a"), "members" => ns.smembers("s").sort, "rawKeys" => r.keys("*").sort,
                       "keys" => ns.keys("*").sort, "ttl" => ns.ttl("s").between?(1, 100), "scan" => ns.scan_each(match: "*").to_a.sort }
end

step.call("store") do
  store = Redis::Store.new(host: "127.0.0.1", port: port, db: 8, namespace: "rs", marshalling: true)
  store.set("obj", { a: [1, 2] }, expire_after: 50)
  out["store"] = { "get" => store.get("obj"), "setnx" => store.setnx("obj", 3), "exists" => store.exists?("obj"),
                   "ttl" => Redis.new(port: port, db: 8).ttl("rs:obj").between?(1, 50) }
end

step.call("rackAttack") do
  Rack::Attack.cache.store = Redis.new(port: port, db: 8)
  Rack::Attack.throttle("req/ip", limit: 3, period: 60) { |req| req.ip }
  Rack::Attack.blocklist("bad") { |req| Rack::Attack::Fail2Ban.filter("f2b-#{req.ip}", maxretry: 2, findtime: 60, bantime: 60) { req.path == "/login" } }
  app = Rack::Attack.new(->(_env) { [200, {}, ["ok"]] })
  get = ->(path, ip) { app.call(Rack::MockRequest.env_for(path, "REMOTE_ADDR" => ip)).first }
  out["rackAttack"] = { "throttle" => (1..5).map { get.call("/", "1.2.3.4") }, "otherIP" => get.call("/", "5.6.7.8"),
                        "fail2ban" => (1..4).map { get.call("/login", "9.9.9.9") } }
end

step.call("sidekiqCron") do
  Sidekiq.configure_client { |c| c.redis = { url: "redis://127.0.0.1:#{port}/9" } }
  Sidekiq.logger.level = Logger::WARN
  Object.const_set(:CronJob, Class.new { include Sidekiq::Job; def perform; end })
  job = Sidekiq::Cron::Job.new(name: "every-minute", cron: "* * * * *", class: "CronJob")
  saved = job.save
  all = Sidekiq::Cron::Job.all.map(&:name)
  job.enque!
  found = Sidekiq::Cron::Job.find("every-minute")
  found.disable!
  out["sidekiqCron"] = { "saved" => !!saved, "all" => all, "queued" => Sidekiq::Queue.new("default").size,
                         "statusAfterDisable" => Sidekiq::Cron::Job.find("every-minute").status }
  Sidekiq::Cron::Job.destroy("every-minute")
  out["sidekiqCron"]["afterDestroy"] = Sidekiq::Cron::Job.all.size
end

puts JSON.generate(out)
