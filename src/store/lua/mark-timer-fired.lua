-- ARGV: P, conversationKey, name, token
local ck = nx()
local name = nx()
local token = nx()
local v = redis.call('HGET', kTimers(ck), name)
if not v then return 0 end
local o = split(v)
if o[3] ~= token or o[1] ~= '0' then return 0 end
redis.call('HSET', kTimers(ck), name, '1\n' .. o[2] .. '\n' .. o[3] .. '\n' .. o[4] .. '\n' .. o[5])
redis.call('ZREM', G('timers'), timerMember(ck, name, o[3], o[4], o[5]))
return 1
