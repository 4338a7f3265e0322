-- A new respondent draws the survey in one of the communities given as arguments
-- (wrk … -- CODE [CODE …]), taken in turn.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "p95.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  bodies = {}
  for _, code in ipairs(args) do
    bodies[#bodies + 1] = string.format('{"community": "%s"}', code)
  end
  if #bodies == 0 then
    bodies[1] = '{"community": "DEMO010101"}'
  end
  n = 0
end

function request()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[n % #bodies + 1])
end
