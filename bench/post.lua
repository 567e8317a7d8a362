-- wrk script: POST /logs with one fixed log entry, as fast as the server answers.
-- Used for both the nginx ceiling and logsvc ingest, so both see the same requests.
-- Counts responses whose status is not 201; done() prints one machine-readable line:
--   BENCH requests=... created=... non201=... socket_errors=... p50_us=... p99_us=...

wrk.method = "POST"
wrk.path = "/logs"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"severity":"info","message":"GET /api/orders/18446 200 in 12ms user=u-4821 region=eu-west-1"}'
-- With BATCH_FILE (bench/tail.py): that file's body instead, an NDJSON batch of
-- BATCH_ENTRIES entries; the BENCH line's entries= counts them.
local batch_entries = 1
if os.getenv("BATCH_FILE") then
  local f = assert(io.open(os.getenv("BATCH_FILE"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/x-ndjson"
  batch_entries = tonumber(os.getenv("BATCH_ENTRIES"))
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  created = 0
  other = 0
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d created=%d non201=%d socket_errors=%d timeouts=%d " ..
    "p50_us=%d p99_us=%d max_us=%d entries=%d\n",
    summary.requests, summary.duration, c, o, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, c * batch_entries))
end
