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

broadcast = lambda do |env|
  items = JSON.parse(env["rack.input"].read)
  items = [items] unless items.is_a?(Array)
  items.each { |item| ActionCable.server.broadcast(item["stream"], item["data"]) }
  [202, { "Content-Type" => "application/json", "Content-Length" => "2" }, ["{}"]]
end

map("/cable") { run ActionCable.server }
map("/api/v1/broadcast") { run broadcast }
