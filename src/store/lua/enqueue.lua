-- ARGV: P, ttlMs, worker ('' for no claim), max claims, lease end, maxHops,
-- ordersLimit (0: read nothing), n, then per event: journalKey, conversationKey, id,
-- enqueuedAt, event, identity. Answers per event 0 (duplicate), 1 (queued), or for an
-- entry leased to worker (it was its conversation's only one) an array: what loadTurn
-- reads for its step (empty when not asked)
local ttl = nx()
local worker = nx()
local claims = tonumber(nx())
local untilMs = nx()
local hops = tonumber(nx())
local lim = tonumber(nx())
local n = tonumber(nx())
local out = {}
for i = 1, n do
  local jk = nx()
  local ck = nx()
  local id = nx()
  local at = nx()
  local ev = nx()
  local ident = nx()
  if redis.call('SET', G('dd:' .. jk), '1', 'NX', 'PX', ttl) then
    local seq = redis.call('INCR', G('jseq'))
    local q = kQueue(ck)
    local first = redis.call('ZCARD', q) == 0
    local ek = kEntry(ck, id)
    redis.call('HSET', G('jloc'), id, ck)
    redis.call('ZADD', q, seq, id)
    -- a conversation that already has a head keeps it: the new entry is younger
    if first and worker ~= '' and claims > 0 then
      claims = claims - 1
      redis.call('HSET', ek, 'ev', ev, 'at', at, 'att', '1', 'st', 'claimed', 'seq', tostring(seq), 'by', worker, 'until', untilMs)
      redis.call('ZADD', G('jleased'), untilMs, ck)
      out[i] = {}
      if lim > 0 then out[i] = loadTurn(ck, ident, hops, lim) end
    else
      redis.call('HSET', ek, 'ev', ev, 'at', at, 'att', '0', 'st', 'pending', 'seq', tostring(seq))
      out[i] = 1
    end
    if first and type(out[i]) ~= 'table' then
      redis.call('ZREM', G('jleased'), ck)
      redis.call('ZADD', G('jready'), seq, ck)
    end
  else
    out[i] = 0
  end
end
return out
