-- wrk script: HTTP/1.1 pipelining, keep-alive.
-- Sends <depth> GET requests in a single write; wrk counts each response.
-- Usage: wrk -t1 -c50 -d10s -s bench/pipeline.lua http://127.0.0.1:PORT/ -- 16

local req

init = function(args)
  local depth = tonumber(args[1]) or 16
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format("GET", "/")
  end
  req = table.concat(r)
end

request = function()
  return req
end
