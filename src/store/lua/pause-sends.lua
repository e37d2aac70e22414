-- ARGV: P, channel, until: no lease books a send on channel before until (a 429)
local k = G('rl:' .. nx())
local untilMs = tonumber(nx())
if untilMs > tonumber(redis.call('HGET', k, 'pause') or '0') then redis.call('HSET', k, 'pause', tostring(untilMs)) end
return 0
