-- ARGV: P, id, error, maxAttempts
local id = nx()
local err = nx()
local max = tonumber(nx())
local ck = redis.call('HGET', G('jloc'), id)
if not ck then return 0 end
local ek = kEntry(ck, id)
local f = redis.call('HMGET', ek, 'st', 'att', 'seq')
if not f[1] or f[1] == 'dead' then return 0 end
redis.call('HDEL', ek, 'by', 'until')
if tonumber(f[2]) >= max then
  redis.call('HSET', ek, 'st', 'dead', 'err', err)
  redis.call('ZREM', kQueue(ck), id)
  redis.call('ZADD', G('jdead'), f[3], id)
else
  redis.call('HSET', ek, 'st', 'pending', 'err', err)
end
refreshJHead(ck)
return 1
