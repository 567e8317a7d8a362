-- wrk script: POST exactly N log entries (N split across wrk's threads), then stop.
--
-- Configured through the environment (wrk passes script arguments only to init(),
-- too late for setup()):
--   BENCH_FILL_N        total entries to POST
--   BENCH_FILL_THREADS  the -t given to wrk
--   BENCH_FILL_MARKS    a directory for this thread's progress.<id> and done.<id> files
--
-- A thread sends POSTs until it has sent its share. Its connections then send
-- "OPTIONS /logs" (answered 204 without touching the store) until every POST it
-- sent has been answered; then it writes done.<id> and stops. POST never answers
-- 204, so every non-204 response answers one of our POSTs. Every PROGRESS_EVERY
-- answers it rewrites progress.<id> with the count so far, so run.py can show
-- progress and notice a stall. wrk itself sleeps until -d runs out even after its
-- threads stop: run.py sends it SIGINT once every thread has written done.<id>.
--
-- Before the run, wrk calls request() once on its first thread to check what the
-- script sends (script_verify_request in wrk 4.x); that call sends nothing, so the
-- first thread does not count it.
--
-- done() prints:
--   BENCH created=... non201=... posts_sent=... finished_threads=... threads=... ...

local BODY = '{"severity":"info","message":"GET /api/orders/18446 200 in 12ms user=u-4821 region=eu-west-1"}'
local PROGRESS_EVERY = 5000

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

local function write_file(name, text)
  local f = assert(io.open(marks .. "/" .. name .. "." .. id, "w"))
  f:write(text)
  f:close()
end

function init(args)
  local total = tonumber(os.getenv("BENCH_FILL_N"))
  local nthreads = tonumber(os.getenv("BENCH_FILL_THREADS"))
  marks = os.getenv("BENCH_FILL_MARKS")
  assert(total and nthreads and marks,
         "fill.lua needs BENCH_FILL_N, BENCH_FILL_THREADS and BENCH_FILL_MARKS")
  quota = math.floor(total / nthreads)
  if id <= total % nthreads then quota = quota + 1 end
  unsent_checks = (id == 1) and 1 or 0  -- wrk's dry-run request() call, see above
  sent = 0
  created = 0
  other = 0
  finished = 0
  post_req = wrk.format("POST", "/logs", { ["Content-Type"] = "application/json" }, BODY)
  idle_req = wrk.format("OPTIONS", "/logs")
end

function request()
  if unsent_checks > 0 then
    unsent_checks = unsent_checks - 1
    return post_req
  end
  if sent < quota then
    sent = sent + 1
    return post_req
  end
  return idle_req
end

function response(status, headers, body)
  if status == 204 then
    -- an idle connection's OPTIONS
  else
    if status == 201 then
      created = created + 1
    else
      other = other + 1
    end
    if (created + other) % PROGRESS_EVERY == 0 then
      write_file("progress", created + other .. "\n")
    end
  end
  if finished == 0 and created + other >= quota then
    finished = 1
    write_file("progress", created + other .. "\n")
    write_file("done", created .. " " .. other .. "\n")
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local c, o, s, f = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
    s = s + t:get("sent")
    f = f + t:get("finished")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH created=%d non201=%d posts_sent=%d finished_threads=%d threads=%d " ..
    "socket_errors=%d timeouts=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
    c, o, s, f, #threads, e.connect + e.read + e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max))
end
