-- GET the URL given to wrk; bench/run.py passes `-H "Authorization: Bearer ..."`.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
done = require("report")
