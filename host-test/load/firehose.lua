-- wrk script: POST one Firehose HTTP-endpoint delivery per request to `cloudtrail-ecs serve`.
--
--   BODY=../shared/samples/constructed/firehose/cwl-subscription.request.json KEY=secret \
--     wrk -t2 -c8 -d20s -s host-test/load/firehose.lua http://127.0.0.1:8080/
--
-- BODY: the request body file (default: the CloudWatch Logs subscription sample);
-- KEY: the access key the server expects (optional); GZIP=1 adds `Content-Encoding: gzip`.
-- Every request gets its own X-Amz-Firehose-Request-Id. Non-200 answers are counted by wrk as
-- "Non-2xx or 3xx responses" and make `done` print a warning.

local path = os.getenv("BODY") or "../shared/samples/constructed/firehose/cwl-subscription.request.json"
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Amz-Firehose-Protocol-Version"] = "1.0"
  wrk.headers["X-Amz-Firehose-Source-Arn"] =
    "arn:aws:firehose:us-east-1:111122223333:deliverystream/cloudtrail-to-http"
  local key = os.getenv("KEY")
  if key and key ~= "" then
    wrk.headers["X-Amz-Firehose-Access-Key"] = key
  end
  if os.getenv("GZIP") == "1" then
    wrk.headers["Content-Encoding"] = "gzip"
  end
end

function request()
  counter = counter + 1
  wrk.headers["X-Amz-Firehose-Request-Id"] = string.format("load-%d-%d", thread_id or 0, counter)
  return wrk.format(nil, nil, nil, body)
end

local bad = 0
function response(status, headers, resp_body)
  if status ~= 200 then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("requests/s: %.1f\n", summary.requests / (summary.duration / 1e6)))
  if summary.errors.status > 0 then
    io.write(string.format("WARNING: %d non-200 responses\n", summary.errors.status))
  end
end
