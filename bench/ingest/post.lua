-- wrk script: POST the body in body.json with a valid JWT. Tokens were made in advance, one per
-- 10 s of the run (each valid for ±30 s); the one whose iat is nearest now is used, so every
-- request carries a token the API accepts for the whole run. PACE_MS > 0 waits between requests
-- on each connection (a paced run measures latency at a given rate). Each request goes to one of
-- Ofcom's 1,000 drama numbers (07700 900000-900999) at random, so per-number caching cannot flatter it.
local dir = os.getenv("BENCH_DIR")
local tokens = dofile(dir .. "/tokens.lua")
local f = io.open(dir .. "/body.json")
local body = f:read("*a")
f:close()
local pace = tonumber(os.getenv("PACE_MS") or "0")
local head, tail = body:match("^(.-)07700900123(.*)$")
local current, current_iat = tokens[1][2], tokens[1][1]

local function refresh()
  local now = os.time()
  for i = #tokens, 1, -1 do
    if tokens[i][1] <= now then
      current, current_iat = tokens[i][2], tokens[i][1]
      return
    end
  end
end

request = function()
  if os.time() - current_iat >= 10 then refresh() end
  local payload = body
  if head then payload = head .. string.format("07700900%03d", math.random(0, 999)) .. tail end
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. current}, payload)
end

if pace > 0 then
  delay = function() return pace end
end

local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end

done = function(summary, latency, requests)
  local p = function(q) return latency:percentile(q) / 1000 end
  io.write(string.format("RESULT requests=%d seconds=%.1f rate=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), p(50), p(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
