# The Sidekiq jobs of app.rb; the Sidekiq server loads this file (-r). The
# server is the one at REDIS_URL, which app.rb sets.
require "sidekiq"

Sidekiq.configure_server do |config|
  # poll the schedule and retry sets every ~0.5 s, not every ~5 s
  config.options[:poll_interval_average] = 0.5
end

module Counting
  def ran!
    Sidekiq.redis { |r| r.incr("sqapp:ran:#{jid}") }
  end
end

class SquareJob
  include Sidekiq::Job
  include Counting

  def perform(x)
    ran!
    Sidekiq.redis { |r| r.hset("sqapp:results", x.to_s, (x * x).to_s) }
  end
end

class FlakyJob
  include Sidekiq::Job
  include Counting
  sidekiq_options retry: 3

  def perform(key)
    ran!
    n = Sidekiq.redis { |r| r.incr(key) }
    raise "flaky run #{n}" if n < 2
    Sidekiq.redis { |r| r.set("sqapp:flaky:done", n) }
  end
end

class DeadJob
  include Sidekiq::Job
  include Counting
  sidekiq_options retry: 0

  def perform
    ran!
    raise ArgumentError, "always broken"
  end
end

class StampJob
  include Sidekiq::Job

  def perform(key)
    Sidekiq.redis { |r| r.rpush(key, (Time.now.to_f * 1000).to_i.to_s) }
  end
end
