-- PUT the URL given to wrk with JSON bodies taken in turn from the script's arguments:
--   wrk ... -s bench/wrk/put_toggle.lua URL -- '{"isBookmarked": true}' '{"isBookmarked": false}'
-- Each wrk thread alternates on its own: with several connections, requests of both bodies
-- are in flight together, as when several people toggle the same issue.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
done = require("report")

local bodies = {}
local sent = 0

init = function(args)
  for index, body in ipairs(args) do
    bodies[index] = body
  end
  assert(#bodies > 0, "put_toggle.lua: give the JSON bodies after --")
  wrk.method = "PUT"
  wrk.headers["Content-Type"] = "application/json"
end

request = function()
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[(sent - 1) % #bodies + 1])
end
