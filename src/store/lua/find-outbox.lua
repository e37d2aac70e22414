-- ARGV: P, channel\nplatformId
local out = {}
local id = redis.call('HGET', G('opid'), nx())
if id then pushItem(out, id) end
return out
