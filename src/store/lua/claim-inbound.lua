-- ARGV: P, worker, max, until, now
local worker = nx()
local max = tonumber(nx())
local untilMs = nx()
local now = nx()
-- leases that ran out: their conversations are ready again, at their head's place
for _, ck in ipairs(redis.call('ZRANGEBYSCORE', G('jleased'), '-inf', now)) do
  redis.call('ZREM', G('jleased'), ck)
  local h = redis.call('ZRANGE', kQueue(ck), 0, 0, 'WITHSCORES')
  if h[1] then redis.call('ZADD', G('jready'), h[2], ck) end
end
local out = {}
for _, ck in ipairs(redis.call('ZRANGE', G('jready'), 0, max - 1)) do
  redis.call('ZREM', G('jready'), ck)
  local h = redis.call('ZRANGE', kQueue(ck), 0, 0)
  if h[1] then leaseJHead(ck, h[1], worker, untilMs, out) end
end
return out
