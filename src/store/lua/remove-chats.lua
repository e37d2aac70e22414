-- ARGV: P, n, n conversation keys. Removes the chats' contacts with everything that
-- hangs off them, as SQLite's removeChats (sqlite-report-reads.ts) does: every
-- conversation of those contacts (journal, outbox, timers, indexes), the contacts'
-- identities, codes, stages (a take-back record in the funnel log, "merged away" in
-- fc), touchpoints (and their report indexes), orders. Answers how many contacts went.
-- For `frontdesk demo --reset`: walks the global timers and platform-id indexes once.
local n = tonumber(nx())
local contacts = {}
local contactList = {}
for _ = 1, n do
  local ck = nx()
  local cid = redis.call('HGET', kConv(ck), 'c')
  if cid and not contacts[cid] then
    contacts[cid] = true
    contactList[#contactList + 1] = cid
  end
end

local convs = {}
local items = {}
local function dropConversation(ck, m)
  convs[ck] = true
  local key = kConv(ck)
  local f = redis.call('HMGET', key, 'sx')
  if f[1] and f[1] ~= '' then redis.call('ZREM', G('sx:' .. f[1]), ck) end
  redis.call('ZREM', G('cv:all'), m)
  redis.call('ZREM', G('cv:open'), m)
  redis.call('ZREM', G('cv:ho'), m)
  -- journal
  for _, id in ipairs(redis.call('ZRANGE', kQueue(ck), 0, -1)) do
    redis.call('DEL', kEntry(ck, id))
    redis.call('HDEL', G('jloc'), id)
    redis.call('ZREM', G('jdead'), id)
  end
  redis.call('DEL', kQueue(ck))
  redis.call('ZREM', G('jready'), ck)
  redis.call('ZREM', G('jleased'), ck)
  -- outbox
  for _, id in ipairs(redis.call('ZRANGE', kItems(ck), 0, -1)) do
    local st = redis.call('HGET', kItem(ck, id), 'st')
    if st then redis.call('ZREM', G('ost:' .. st), id) end
    redis.call('ZREM', G('oall'), id)
    redis.call('HDEL', G('oloc'), id)
    redis.call('DEL', kItem(ck, id))
    items[id] = true
  end
  redis.call('DEL', kItems(ck), kPend(ck), kTimers(ck))
  redis.call('ZREM', G('oheads'), ck)
  redis.call('DEL', key)
end

local removedTps = false
for _, cid in ipairs(contactList) do
  local key = kContact(cid)
  local f = redis.call('HMGET', key, 'ph', 'rc', 'rb', 'aud', 'rid', 'cn', 'meta')
  local m = pad(f[5] or 0) .. '|' .. cid
  for _, z in ipairs({ 'cu', 'cb' }) do
    redis.call('ZREM', G(z), m)
    if f[4] then redis.call('ZREM', G(z .. ':' .. f[4]), m) end
  end
  if f[1] and f[1] ~= '' then redis.call('ZREM', G('ph:' .. f[1]), cid) end
  if f[2] and f[2] ~= '' then redis.call('ZREM', G('rc:' .. f[2]), cid) end
  if f[3] and f[3] ~= '' then redis.call('SREM', kReferred(f[3]), cid) end
  for _, ik in ipairs(redis.call('SMEMBERS', kIdents(cid))) do
    if redis.call('HGET', G('ident'), ik) == cid then redis.call('HDEL', G('ident'), ik) end
  end
  -- the funnel: its first-reached stages taken back, its number no longer live
  if f[6] then
    local flat = redis.call('HGETALL', kStages(cid))
    for i = 1, #flat, 2 do
      if STAGE_NO[flat[i]] then logStage(f[6], flat[i], flat[i + 1], 128) end
    end
    setFunnelMeta(f[6], f[7] or '', false)
  end
  -- touchpoints and the reports' indexes of them
  local rt, sv, ids = {}, {}, {}
  for _, tm in ipairs(redis.call('ZRANGE', kContactTps(cid), 0, -1)) do
    removedTps = true
    rt[#rt + 1] = tm
    local d = string.sub(tm, PAD + 1)
    local ck = string.match(d, '"conversationKey":"([^"]*)"')
    local fl = string.match(d, '"flow":"([^"]*)"')
    local st = string.match(d, '"step":"([^"]*)"')
    if ck and fl and st then sv[#sv + 1] = string.sub(tm, 1, PAD + 1) .. ck .. '\n' .. fl .. '\n' .. st end
    local id = string.match(d, '^{"id":"([^"]*)"')
    if id then ids[#ids + 1] = id end
  end
  if #rt > 0 then callChunked('ZREM', G('rt'), rt, 1) end
  if #sv > 0 then callChunked('ZREM', G('sv'), sv, 1) end
  if #ids > 0 then callChunked('SREM', G('tpid'), ids, 1) end
  -- orders
  for _, om in ipairs(redis.call('ZRANGE', kContactOrders(cid), 0, -1)) do
    local oid = string.sub(om, PAD + 1)
    local st = redis.call('HGET', kOrder(oid), 'st')
    if st then redis.call('ZREM', G('or:st:' .. st), om) end
    redis.call('ZREM', G('or:all'), om)
    redis.call('DEL', kOrder(oid))
    reportChanged('o:' .. oid)
  end
  for _, cm in ipairs(redis.call('ZRANGE', kContactConvs(cid), 0, -1)) do dropConversation(string.sub(cm, PAD + 1), cm) end
  redis.call('DEL', key, kIdents(cid), kContactConvs(cid), kContactOrders(cid), kContactTps(cid), kReferred(cid), kStages(cid))
  reportChanged('c:' .. cid)
end

-- the global timers and platform ids of those chats
local tms = {}
for _, tm in ipairs(redis.call('ZRANGE', G('timers'), 0, -1)) do
  local ck = string.match(tm, '^([^\n]*)\n')
  if ck and convs[ck] then tms[#tms + 1] = tm end
end
if #tms > 0 then callChunked('ZREM', G('timers'), tms, 1) end
if next(items) then
  local gone = {}
  local flat = redis.call('HGETALL', G('opid'))
  for i = 1, #flat, 2 do
    if items[flat[i + 1]] then gone[#gone + 1] = flat[i] end
  end
  if #gone > 0 then callChunked('HDEL', G('opid'), gone, 1) end
end
if removedTps then reportChanged('t:del') end
return #contactList
