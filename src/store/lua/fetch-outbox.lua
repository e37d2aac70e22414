-- ARGV: P, n, ids...
local out = {}
local n = tonumber(nx())
for _ = 1, n do pushItem(out, nx()) end
return out
