# A small Sidekiq application, run by cmd/fastcache/apps_sidekiq_test.go
# against fastcache (and, to compare, against redis-server): jobs are pushed,
# a Sidekiq server process runs them, and what a user sees is printed as one
# JSON object on stdout for the Go test to check.
#
# usage: ruby app.rb PORT
require "json"
require "sidekiq"
require "sidekiq/api"

port = Integer(ARGV[0])
ENV["REDIS_URL"] = "redis://127.0.0.1:#{port}/5" # a numbered database
Sidekiq.configure_client { |c| c.redis = { url: ENV["REDIS_URL"] } }
require_relative "jobs"

out = { "errors" => {}, "ms" => {} }
t0 = Time.now
lap = ->(name) { out["ms"][name] = ((Time.now - t0) * 1000).to_i }

def wait_for(what, timeout = 30)
  deadline = Time.now + timeout
  until yield
    raise "timed out: #{what}" if Time.now > deadline
    sleep 0.05
  end
end

redis = ->(&blk) { Sidekiq.redis(&blk) }
redis.call { |r| r.flushdb }

server = nil
begin
  n = 100
  jids = (0...n).map { |i| SquareJob.perform_async(i) }
  jids += Sidekiq::Client.push_bulk("class" => SquareJob, "args" => (n...n + 20).map { |i| [i] }, "queue" => "critical")
  flaky = FlakyJob.perform_async("sqapp:flaky")
  dead = DeadJob.perform_async
  t_sched = (Time.now.to_f * 1000).to_i
  sched = StampJob.perform_in(1, "sqapp:stamp")
  out["queued"] = { "default" => Sidekiq::Queue.new("default").size, "critical" => Sidekiq::Queue.new("critical").size,
                    "scheduled" => Sidekiq::ScheduledSet.new.size, "queues" => Sidekiq::Queue.all.map(&:name).sort }

  server = Process.spawn({ "REDIS_URL" => ENV["REDIS_URL"] }, "sidekiq", "-r", File.join(__dir__, "jobs.rb"),
                         "-c", "5", "-q", "critical,2", "-q", "default", "-t", "5", out: $stderr, err: $stderr)
  wait_for("the server's heartbeat") { Sidekiq::ProcessSet.new.size == 1 }
  out["processes"] = Sidekiq::ProcessSet.new.map { |p| p["queues"].sort }
  lap.call("heartbeat")

  wait_for("square jobs") { redis.call { |r| r.hlen("sqapp:results") } == n + 20 }
  results = redis.call { |r| r.hgetall("sqapp:results") }
  out["plain"] = {
    "pushed" => jids.size,
    "resultsOK" => results.count { |k, v| v.to_i == k.to_i * k.to_i },
    "ranOnce" => jids.count { |j| redis.call { |r| r.get("sqapp:ran:#{j}") }.to_i == 1 },
  }
  lap.call("plain")

  # the flaky job fails once and waits in the retry set; "retry now" (as
  # the web UI does) runs it again
  wait_for("flaky job in the retry set") { Sidekiq::RetrySet.new.size == 1 }
  entry = Sidekiq::RetrySet.new.first
  out["retrySet"] = { "jid" => entry.jid == flaky, "error" => entry["error_message"], "class" => entry["error_class"], "count" => entry["retry_count"] }
  Sidekiq::RetrySet.new.retry_all
  wait_for("flaky job retried") { redis.call { |r| r.get("sqapp:flaky:done") } }
  out["flaky"] = { "runs" => redis.call { |r| r.get("sqapp:ran:#{flaky}") }.to_i, "retrySetAfter" => Sidekiq::RetrySet.new.size }
  lap.call("retry")

  wait_for("dead job in the dead set") { Sidekiq::DeadSet.new.size == 1 }
  d = Sidekiq::DeadSet.new.first
  out["dead"] = { "jid" => d.jid == dead, "error" => d["error_message"], "class" => d["error_class"] }
  lap.call("dead")

  wait_for("scheduled job") { redis.call { |r| r.llen("sqapp:stamp") } == 1 }
  ran_at = redis.call { |r| r.lindex("sqapp:stamp", 0) }.to_i
  out["scheduled"] = { "earlyMs" => [0, t_sched + 1000 - ran_at].max, "scheduledSetAfter" => Sidekiq::ScheduledSet.new.size, "jid" => sched.is_a?(String) }
  lap.call("scheduled")

  # the stats the web UI shows
  wait_for("stats") { Sidekiq::Stats.new.processed >= n + 20 + 4 }
  stats = Sidekiq::Stats.new
  out["stats"] = { "processed" => stats.processed, "failed" => stats.failed, "enqueued" => stats.enqueued, "deadSize" => stats.dead_size }
rescue StandardError => e
  out["errors"]["main"] = "#{e.class}: #{e.message}\n#{e.backtrace.first(8).join("\n")}"
ensure
  if server
    Process.kill("TERM", server)
    begin
      Timeout.timeout(20) { Process.wait(server) }
      out["serverExit"] = $?.exitstatus
    rescue Timeout::Error
      Process.kill("KILL", server)
      Process.wait(server)
    end
    out["processesAfter"] = Sidekiq::ProcessSet.new.size
  end
  lap.call("stopped")
end
puts JSON.generate(out)
