-- ARGV: P, entryId ('' for none), inbound lease: worker ('' for none), lease end, now;
-- outbox lease: lease end ('' for none), now, budgets (see setBudgets); then sections
-- (see RedisStore.commitStep).
-- Answers the number of journal entries leased (0 or 1), each as leaseJHead lays it
-- out, then the outbox items leased, as pushItem does.
local entryId = nx()
local inWorker = nx()
local inUntil = nx()
local inNow = nx()
local outUntil = nx()
local outNow = nx()
setBudgets(nx())

-- read everything first
local conv = nil
if nx() == '1' then
  conv = readRecord(FIELDS.conversation)
  conv.timers = readList(FIELDS.timer)
end
local contacts = {}
local n = tonumber(nx())
for i = 1, n do contacts[i] = readContact() end
local tps = readList(FIELDS.touchpoint)
local orders = readList(FIELDS.order)
local items = readList(FIELDS.item)

-- then check what can refuse the step, before any write
local eck = nil
local est = nil
if entryId ~= '' then
  eck = redis.call('HGET', G('jloc'), entryId)
  if not eck then return redis.error_reply('STALE ' .. entryId) end
  est = redis.call('HGET', kEntry(eck, entryId), 'st')
  if not est or est == 'dead' then return redis.error_reply('STALE ' .. entryId) end
end
local taken = {}
for _, it in ipairs(items) do
  local place = it.ck .. '\n' .. it.seq
  if taken[place] or redis.call('ZCOUNT', kItems(it.ck), it.seq, it.seq) > 0 then
    return redis.error_reply('CONFLICT outbox seq ' .. it.seq .. ' of ' .. it.ck .. ' is taken')
  end
  if taken['#' .. it.id] or redis.call('HEXISTS', G('oloc'), it.id) == 1 then
    return redis.error_reply('CONFLICT outbox item ' .. it.id .. ' exists')
  end
  taken[place] = true
  taken['#' .. it.id] = true
end

-- conversation
if conv then
  local ck = conv.ck
  local key = kConv(ck)
  local old = redis.call('HMGET', key, 'c', 'rid', 'sx', 'ho', 'tms')
  local rid = old[2] or nextRid()
  local m = pad(rid) .. '|' .. ck
  redis.call('ZADD', G('cv:all'), conv.upd, m)
  local listed, unlisted = G('cv:open'), G('cv:ho')
  if conv.ho == '1' then listed, unlisted = unlisted, listed end
  redis.call('ZADD', listed, conv.upd, m)
  if old[4] ~= conv.ho then redis.call('ZREM', unlisted, m) end
  if old[1] and old[1] ~= conv.cid then redis.call('ZREM', kContactConvs(old[1]), m) end
  redis.call('ZADD', kContactConvs(conv.cid), conv.upd, m)
  -- timers as name, at, token: unchanged ones (most steps) need no work below
  local parts = {}
  for _, t in ipairs(conv.timers) do parts[#parts + 1] = t.name .. '\n' .. t.at .. '\n' .. t.token end
  local tms = table.concat(parts, '\n')
  local sx = ''
  if conv.hasStep == '1' and conv.ho == '0' then
    -- the step index counts conversations under their contact's audience: the contact
    -- written by this same step (the usual case), or as stored
    local aud = nil
    for _, c in ipairs(contacts) do
      if c.id == conv.cid then aud = c.aud end
    end
    aud = aud or redis.call('HGET', kContact(conv.cid), 'aud') or ''
    sx = aud .. '\n' .. conv.flow .. '\n' .. conv.step
  end
  redis.call('HSET', key, 'd', conv.d, 'c', conv.cid, 'rid', rid, 'upd', conv.upd, 'ho', conv.ho, 'tms', tms, 'sx', sx)
  if old[3] == sx and sx ~= '' then
    redis.call('ZADD', G('sx:' .. sx), conv.upd, ck) -- same step: only the idle time moves
  elseif old[3] ~= sx then
    moveSx(ck, old[3], sx, conv.upd, true)
  end

  -- timers: the same token keeps its fired flag (and follows a moved time)
  local tk = kTimers(ck)
  if old[5] ~= tms then
    local zk = G('timers')
    local existing = {}
    local flat = redis.call('HGETALL', tk)
    for i = 1, #flat, 2 do existing[flat[i]] = flat[i + 1] end
    for _, t in ipairs(conv.timers) do
      local name, at, token = t.name, t.at, t.token
      local ov = existing[name]
      existing[name] = nil
      local o = ov and split(ov)
      if o and o[3] == token then
        if o[2] ~= at then
          redis.call('HSET', tk, name, o[1] .. '\n' .. at .. '\n' .. token .. '\n' .. o[4] .. '\n' .. o[5])
          if o[1] == '0' then redis.call('ZADD', zk, at, timerMember(ck, name, token, o[4], o[5])) end
        end
      else
        if o then redis.call('ZREM', zk, timerMember(ck, name, o[3], o[4], o[5])) end
        redis.call('HSET', tk, name, '0\n' .. at .. '\n' .. token .. '\n' .. conv.channel .. '\n' .. conv.chat)
        redis.call('ZADD', zk, at, timerMember(ck, name, token, conv.channel, conv.chat))
      end
    end
    for name, ov in pairs(existing) do
      local o = split(ov)
      redis.call('HDEL', tk, name)
      redis.call('ZREM', zk, timerMember(ck, name, o[3], o[4], o[5]))
    end
  end
end

for _, c in ipairs(contacts) do upsertContact(c) end

-- touchpoints: append-only, an id seen before (or twice in this step) is ignored. A
-- step's touchpoints go in with a few variadic commands, not two per touchpoint: one
-- membership test, one counter bump, one SADD and one ZADD per contact.
if #tps > 0 then
  local ids = {}
  for i, t in ipairs(tps) do ids[i] = t.id end
  local known = {}
  for i = 1, #ids, CHUNK do
    for _, k in ipairs(redis.call('SMISMEMBER', G('tpid'), unpack(ids, i, math.min(i + CHUNK - 1, #ids)))) do known[#known + 1] = k end
  end
  local seen = {}
  local newTps = {}
  for i, t in ipairs(tps) do
    if known[i] == 0 and not seen[t.id] then
      seen[t.id] = true
      newTps[#newTps + 1] = t
    end
  end
  if #newTps > 0 then
    local tpseq = redis.call('INCRBY', G('tpseq'), #newTps) - #newTps
    local newIds = {}
    local rt, sv = {}, {}
    local byContact = {}
    local contactOrder = {}
    for _, t in ipairs(newTps) do
      newIds[#newIds + 1] = t.id
      tpseq = tpseq + 1
      local zargs = byContact[t.cid]
      if not zargs then
        zargs = {}
        byContact[t.cid] = zargs
        contactOrder[#contactOrder + 1] = t.cid
      end
      zargs[#zargs + 1] = t.at
      zargs[#zargs + 1] = pad(tpseq) .. '|' .. t.d
      reportIndex(t, zargs[#zargs], rt, sv)
    end
    if #rt > 0 then callChunked('ZADD', G('rt'), rt, 2) end
    if #sv > 0 then callChunked('ZADD', G('sv'), sv, 2) end
    callChunked('SADD', G('tpid'), newIds, 1)
    for _, cid in ipairs(contactOrder) do callChunked('ZADD', kContactTps(cid), byContact[cid], 2) end
  end
end

for _, o in ipairs(orders) do
  local key = kOrder(o.id)
  local old = redis.call('HMGET', key, 'c', 'st', 'rid')
  local rid = old[3] or nextRid()
  local m = pad(rid) .. '|' .. o.id
  if old[1] and old[1] ~= o.cid then redis.call('ZREM', kContactOrders(old[1]), m) end
  redis.call('ZADD', kContactOrders(o.cid), o.ca, m)
  if old[2] and old[2] ~= o.st then redis.call('ZREM', G('or:st:' .. old[2]), m) end
  redis.call('ZADD', G('or:st:' .. o.st), o.ca, m)
  redis.call('ZADD', G('or:all'), o.ca, m)
  redis.call('HSET', key, 'd', o.d, 'c', o.cid, 'st', o.st, 'rid', rid)
  reportChanged('o:' .. o.id)
end

local heads = {}
local fresh = {}
for _, it in ipairs(items) do
  fresh[it.id] = { it.nb, it.ch }
  local rid = nextRid()
  local ik = kItem(it.ck, it.id)
  redis.call('HSET', ik, 'd', it.d, 'st', it.st, 'att', it.att, 'nb', it.nb, 'rid', rid, 'seq', it.seq, 'ch', it.ch)
  if it.hasErr == '1' then redis.call('HSET', ik, 'err', it.err) end
  if it.hasPids == '1' then redis.call('HSET', ik, 'pids', it.pids) end
  if it.hasDs == '1' then redis.call('HSET', ik, 'ds', it.ds) end
  redis.call('HSET', G('oloc'), it.id, it.ck)
  redis.call('ZADD', kItems(it.ck), it.seq, it.id)
  redis.call('ZADD', G('oall'), rid, it.id)
  setStatusIndex(it.id, rid, nil, it.st)
  if it.st == 'pending' then redis.call('ZADD', kPend(it.ck), it.seq, it.id) end
  heads[it.ck] = true
end
local leasedItems = {}
for ck in pairs(heads) do
  if outUntil ~= '' then claimOHead(ck, outUntil, outNow, leasedItems, fresh) else refreshOHead(ck) end
end

local out = { 0 }
if eck then
  redis.call('DEL', kEntry(eck, entryId))
  redis.call('HDEL', G('jloc'), entryId)
  redis.call('ZREM', kQueue(eck), entryId)
  local head = redis.call('ZRANGE', kQueue(eck), 0, 0, 'WITHSCORES')
  local h = head[1]
  local f = h and inWorker ~= '' and redis.call('HMGET', kEntry(eck, h), 'st', 'until')
  if f and not (f[1] == 'claimed' and f[2] and tonumber(f[2]) > tonumber(inNow)) then
    leaseJHead(eck, h, inWorker, inUntil, out)
    out[1] = 1
  elseif h then
    refreshJHead(eck, head)
  else
    -- the queue is empty: the conversation leaves the lease index (a claimed entry's
    -- conversation is never in jready)
    redis.call('ZREM', G('jleased'), eck)
    if est ~= 'claimed' then redis.call('ZREM', G('jready'), eck) end
  end
end
for _, v in ipairs(leasedItems) do out[#out + 1] = v end
return out
