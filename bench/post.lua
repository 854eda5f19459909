-- wrk script: POST / with a fixed-size body (default 4096 bytes), keep-alive,
-- one request in flight per connection. The bench servers echo the body back.
-- Usage: wrk -t1 -c50 -d10s -s bench/post.lua http://127.0.0.1:PORT/ -- 4096
--
-- No request() function on purpose: wrk then builds the request once (after
-- init) and reuses it, so the Lua VM costs wrk nothing per request.
-- wrk.format adds Content-Length for the body.

init = function(args)
  local size = tonumber(args[1]) or 4096
  -- Deterministic, printable body (not all one byte, so an echo bug shows up
  -- in the harness's probe request, which sends the same pattern).
  local pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
  local reps = math.floor(size / #pattern) + 1
  wrk.method = "POST"
  wrk.body = string.sub(string.rep(pattern, reps), 1, size)
  wrk.headers["Content-Type"] = "application/octet-stream"
end
