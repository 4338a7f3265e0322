-- One fresh draw per request: each line of the prepared file is "draw_id token body".
-- Threads take interleaved lines, so no draw is handed in twice.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "p95.lua")

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
  thread:set("count", 0)
end

function init(args)
  lines = {}
  for line in io.lines(args[1]) do
    lines[#lines + 1] = line
  end
  stride = tonumber(args[2])
  n = 0
end

function request()
  local line = lines[(id + n * stride) % #lines + 1]
  n = n + 1
  local draw_id, token, body = line:match("^(%S+) (%S+) (.*)$")
  return wrk.format("POST", "/api/v1/draws/" .. draw_id .. "/submission",
    { ["Content-Type"] = "application/json", ["X-Respondent-Token"] = token }, body)
end
