-- wrk script: GET /logs (the 100 newest entries). Counts responses whose status is
-- not 200; done() prints exact latency percentiles in microseconds on one line:
--   BENCH requests=... ok=... non200=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=...

wrk.method = "GET"
wrk.path = "/logs"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  other = 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local k, o = 0, 0
  for _, t in ipairs(threads) do
    k = k + t:get("ok")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d ok=%d non200=%d socket_errors=%d timeouts=%d " ..
    "mean_us=%.1f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n",
    summary.requests, summary.duration, k, o, e.connect + e.read + e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
