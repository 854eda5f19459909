-- wrk script for bench/bench.js. Arguments after `--`: [POST <body bytes> | PIPELINE <depth>].
-- With POST, every request carries the same deterministic body of that size (built once
-- in init; no request() function, so wrk formats the request once and Lua costs nothing
-- per request). With PIPELINE, every write carries <depth> requests (HTTP/1.1 pipelining;
-- wrk counts each response, but its latencies are then per write, not per request: the
-- harness takes the pipelined percentiles from h2load instead). done() prints the latency percentiles wrk keeps (microseconds) on one
-- line the harness parses, since `--latency` stops at p99.
init = function(args)
  if args[1] == "POST" then
    local size = tonumber(args[2]) or 4096
    local pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"
    local reps = math.floor(size / #pattern) + 1
    wrk.method = "POST"
    wrk.body = string.sub(string.rep(pattern, reps), 1, size)
    wrk.headers["Content-Type"] = "application/octet-stream"
  elseif args[1] == "PIPELINE" then
    local depth = tonumber(args[2]) or 16
    local r = {}
    for i = 1, depth do
      r[i] = wrk.format()
    end
    local batch = table.concat(r)
    request = function()
      return batch
    end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH-LATENCY-US p50=%d p90=%d p99=%d p999=%d max=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
