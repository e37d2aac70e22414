-- ARGV: P, maxHops, n, ids... Answers per id the JSON of the contact that stands for
-- it now (liveContact, lua/lib/turn.lua), '' when none
local hops = tonumber(nx())
local out = {}
for i = 1, tonumber(nx()) do
  local _, d = liveContact(nx(), hops)
  out[i] = d or ''
end
return out
