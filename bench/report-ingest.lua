-- SPDX-License-Identifier: ISC
-- wrk: POSTs a different gzip TLS report each time (bench/report-ingest.sh).
-- Its argument is a file of bodies, each as "LENGTH\n" then its bytes;
-- counts the answers 201 and the others, printed at the end.
local bodies, nbodies, next_body = {}, 0, 0
local threads = {}
created, other = 0, 0		-- globals: done() reads them per thread

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	local f = assert(io.open(args[1], "rb"))
	local data = f:read("*a")
	f:close()
	local pos = 1
	while pos <= #data do
		local nl = data:find("\n", pos, true)
		local len = tonumber(data:sub(pos, nl - 1))
		nbodies = nbodies + 1
		bodies[nbodies] = data:sub(nl + 1, nl + len)
		pos = nl + 1 + len
	end
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/tlsrpt+gzip"
	wrk.headers["Host"] = "mta-sts.example.com"
end

function request()
	next_body = next_body % nbodies + 1
	return wrk.format(nil, nil, nil, bodies[next_body])
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
	io.write(string.format("answers: %d created, %d other\n", c, o))
end
