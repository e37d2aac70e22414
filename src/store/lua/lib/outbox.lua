local function pushItem(out, id, wait)
  local ck = redis.call('HGET', G('oloc'), id)
  if not ck then return end
  local f = redis.call('HMGET', kItem(ck, id), 'd', 'st', 'att', 'nb', 'err', 'pids', 'ds')
  if not f[1] then return end
  pushRecord(out, FIELDS.outItem, {
    id = id, ck = ck, d = f[1], st = f[2], att = f[3], nb = f[4], err = f[5], pids = f[6], ds = f[7],
    wait = wait and tostring(wait) or '',
  })
end

-- The channels' send budgets, shared by every instance: a lease books its item's send
-- (GCRA on rl:<channel>: tat, the theoretical time of the next send at the steady
-- rate; pause, no send before it). Set per call from "<max wait>;<channel>:<interval
-- ms>:<burst>;…" ('' for none).
local BUDGETS = {}
local MAX_WAIT = 0
local function setBudgets(spec)
  local first = true
  for part in string.gmatch(spec, '[^;]+') do
    if first then
      MAX_WAIT = tonumber(part)
      first = false
    else
      local ch, interval, burst = string.match(part, '^(.+):([^:]+):([^:]+)$')
      BUDGETS[ch] = { tonumber(interval), tonumber(burst) }
    end
  end
end
-- the wait in ms for one more send on ch at now (nil: no budget); booked only when it
-- is within MAX_WAIT
local function bookSend(ch, now)
  local b = BUDGETS[ch]
  if not b then return nil end
  local k = G('rl:' .. ch)
  local f = redis.call('HMGET', k, 'tat', 'pause')
  local tat = math.max(tonumber(f[1] or '0'), now)
  local wait = math.ceil(math.max(0, tat - now - (b[2] - 1) * b[1], tonumber(f[2] or '0') - now))
  if wait <= MAX_WAIT then
    -- string.format keeps the fraction (tostring would round a large time to 14 digits)
    redis.call('HSET', k, 'tat', string.format('%.3f', math.max(tat, now + wait) + b[1]))
  end
  return wait
end

-- lease the conversation's lowest pending item if it is due, nobody holds it and its
-- channel's budget has a slot within MAX_WAIT (else it waits in oheads for that slot);
-- oheads may hold a stale score: repaired here. Pushes it to out, as pushItem does,
-- or for an item the caller has just written (fresh[id]: its notBefore and channel)
-- only its id, conversation and booked wait around empty fields: the caller has the rest
local function claimOHead(ck, untilMs, now, out, fresh)
  local h = redis.call('ZRANGE', kPend(ck), 0, 0)
  if not h[1] then
    redis.call('ZREM', G('oheads'), ck)
    return
  end
  local ik = kItem(ck, h[1])
  local known = fresh and fresh[h[1]]
  -- an item the caller has just written has no lease yet
  local f = known and { known[1], false, known[2] } or redis.call('HMGET', ik, 'nb', 'until', 'ch')
  local ready = maxStr(f[1], f[2])
  if tonumber(ready) > tonumber(now) then
    redis.call('ZADD', G('oheads'), ready, ck)
    return
  end
  local wait = bookSend(f[3], tonumber(now))
  if wait and wait > MAX_WAIT then
    redis.call('ZADD', G('oheads'), string.format('%.0f', tonumber(now) + wait), ck)
    return
  end
  redis.call('HSET', ik, 'until', untilMs)
  redis.call('ZADD', G('oheads'), maxStr(f[1], untilMs), ck)
  if known then
    pushRecord(out, FIELDS.outItem, { id = h[1], ck = ck, wait = wait and tostring(wait) or '' })
  else
    pushItem(out, h[1], wait)
  end
end
