-- POST the envelopes of a file (bench/ingest.py writes it: for each, its length in bytes on a
-- line, then its bytes) to the URL given to wrk, each thread taking every n-th envelope so
-- that no two requests of a run carry the same event. Headers come from wrk's command line.
-- Arguments: the file, the number of wrk threads.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
done = require("report")

local counter = 0
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
end

local bodies = {}
local position = 0
local step = 1

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  step = tonumber(args[2])
  local at = 1
  while at <= #data do
    local newline = data:find("\n", at, true)
    local length = tonumber(data:sub(at, newline - 1))
    bodies[#bodies + 1] = data:sub(newline + 1, newline + length)
    at = newline + length + 1
  end
  position = index + 1
end

function request()
  local body = bodies[position]
  position = position + step
  if position > #bodies then
    position = index + 1
  end
  return wrk.format("POST", nil, nil, body)
end
