wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"community": "DEMO010101"}'
