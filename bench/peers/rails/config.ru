# bench/peers/rails/config.ru: Rails Action Cable 6.1 (Debian's
# ruby-actioncable, under puma) doing cabled's job in the side-by-side
# benchmark (bench/compare.sh), with nothing of Rails but Action Cable:
#
#   GET /cable              Action Cable itself: welcome, then
#                           {"command":"subscribe","identifier":"{\"channel\":\"BenchChannel\"}"}
#                           is confirmed, and the channel streams "bench";
#                           its own 3 s ping
#   POST /api/v1/broadcast  the shape of cabled's: a JSON array of
#                           {"stream":…,"data":…}, each handed to
#                           ActionCable.server.broadcast; answered 202
#
# Pub/sub is the async adapter (in-process), connections are accepted
# without authentication or origin check, logging is off.
#
# Usage: puma -b tcp://127.0.0.1:PORT bench/peers/rails/config.ru
require "json"
require "logger"
require "action_cable"

module ApplicationCable
  class Connection < ActionCable::Connection::Base
  end

  class Channel < ActionCable::Channel::Base
  end
end

class BenchChannel < ApplicationCable::Channel
  def subscribed
    stream_from "bench"
  end
end

ActionCable.server.config.cable = { "adapter" => "async" }
ActionCable.server.config.connection_class = -> { ApplicationCable::Connection }
ActionCable.server.config.disable_request_forgery_protection = true
ActionCable.server.config.logger = Logger.new(nil)
# Action Cable starts its 3 s heartbeat on the first request, memoized with
# ||= from whichever of puma's threads gets there first: connections that
# arrive together start several timers, and every connection then gets
# several pings per 3 s. Starting it once here gives the one ping per 3 s
# that cabled and the other peers send.
ActionCable.server.setup_heartbeat_timer

broadcast = lambda do |env|
  items = JSON.parse(env["rack.input"].read)
  items = [items] unless items.is_a?(Array)
  items.each { |item| ActionCable.server.broadcast(item["stream"], item["data"]) }
  [202, { "Content-Type" => "application/json", "Content-Length" => "2" }, ["{}"]]
end

map("/cable") { run ActionCable.server }
map("/api/v1/broadcast") { run broadcast }
