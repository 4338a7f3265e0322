-- wrk --latency prints the 50th, 75th, 90th and 99th percentiles; the goals are stated at the
-- 95th, so print it too. Used as the script of plain runs, and loaded by the other scripts.
function done(summary, latency, requests)
  io.write(string.format("p95 latency: %.3fms\n", latency:percentile(95) / 1000))
end
