-- ARGV: P, op, id, then per op. 'sent' answers the conversation's next item when it
-- leased it (pushItem's layout), the others 1, or 0 for an unknown item.
local op = nx()
local id = nx()
local ck = redis.call('HGET', G('oloc'), id)
if not ck then return 0 end
local ik = kItem(ck, id)
local f = redis.call('HMGET', ik, 'st', 'rid', 'seq', 'ch')
if not f[1] then return 0 end
if op == 'sent' then
  local pids = nx()
  local now = nx()
  -- an empty lease end reads as none (maxStr), and saves an HDEL on every sent item
  redis.call('HSET', ik, 'st', 'sent', 'pids', pids, 'sent', now, 'until', '')
  -- ost:sent is scored by the time sent (PRUNE_SENT walks it), the others by insertion
  setStatusIndex(id, now, f[1], 'sent')
  redis.call('ZREM', kPend(ck), id)
  local n = tonumber(nx())
  for _ = 1, n do redis.call('HSET', G('opid'), f[4] .. '\n' .. nx(), id) end
  local untilMs = nx()
  local out = {}
  if untilMs ~= '' then
    local leaseNow = nx()
    setBudgets(nx())
    claimOHead(ck, untilMs, leaseNow, out)
  else
    refreshOHead(ck)
  end
  return out
elseif op == 'retry' then
  local nb = nx()
  local err = nx()
  local add = tonumber(nx())
  if add > 0 then redis.call('HINCRBY', ik, 'att', add) end
  redis.call('HSET', ik, 'st', 'pending', 'nb', nb, 'err', err)
  redis.call('HDEL', ik, 'until')
  setStatusIndex(id, f[2], f[1], 'pending')
  redis.call('ZADD', kPend(ck), f[3], id)
elseif op == 'failed' then
  local st = nx()
  local err = nx()
  redis.call('HSET', ik, 'st', st, 'err', err)
  redis.call('HDEL', ik, 'until')
  setStatusIndex(id, f[2], f[1], st)
  redis.call('ZREM', kPend(ck), id)
elseif op == 'requeue' then
  if f[1] ~= 'held' and f[1] ~= 'dead' then return 0 end
  local now = nx()
  redis.call('HSET', ik, 'st', 'pending', 'att', '0', 'nb', now)
  redis.call('HDEL', ik, 'until')
  setStatusIndex(id, f[2], f[1], 'pending')
  redis.call('ZADD', kPend(ck), f[3], id)
elseif op == 'delivery' then
  redis.call('HSET', ik, 'ds', nx())
  return 1
else
  return redis.error_reply('unknown outbox op ' .. op)
end
refreshOHead(ck)
return 1
