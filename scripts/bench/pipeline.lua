-- wrk script: send 16 pipelined GET /plaintext requests per write, as in
-- TechEmpower's "plaintext" test. Depth from the environment (BENCH_DEPTH).
local depth = tonumber(os.getenv("BENCH_DEPTH") or "16")

init = function(args)
    local r = {}
    for i = 1, depth do
        r[i] = wrk.format(nil, "/plaintext")
    end
    batch = table.concat(r)
end

request = function()
    return batch
end
