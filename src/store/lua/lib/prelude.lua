local P = ARGV[1]
local ai = 1
local function nx() ai = ai + 1; return ARGV[ai] end
local function G(name) return P .. ':' .. name end
local function kConv(ck) return P .. ':{c:' .. ck .. '}' end
local function kQueue(ck) return kConv(ck) .. ':q' end
local function kEntry(ck, id) return kConv(ck) .. ':j:' .. id end
local function kItem(ck, id) return kConv(ck) .. ':o:' .. id end
local function kPend(ck) return kConv(ck) .. ':op' end
local function kItems(ck) return kConv(ck) .. ':oa' end
local function kTimers(ck) return kConv(ck) .. ':tm' end
local function kContact(id) return P .. ':{p:' .. id .. '}' end
local function kIdents(id) return kContact(id) .. ':id' end
local function kContactConvs(id) return kContact(id) .. ':cv' end
local function kContactOrders(id) return kContact(id) .. ':or' end
local function kContactTps(id) return kContact(id) .. ':tp' end
local function kReferred(id) return kContact(id) .. ':rf' end
local function kStages(id) return kContact(id) .. ':st' end
local function kOrder(id) return P .. ':or:' .. id end
-- zero-padded insertion counter: members "<rid>|<id>" sort by rid within a score
local function pad(n) return string.format('%012d', tonumber(n)) end
local function nextRid() return tostring(redis.call('INCR', G('rid'))) end
-- the reports' change log (src/store/report-cache.ts): "c:<id>" / "o:<id>" under a new number per write
local function reportChanged(k) redis.call('ZADD', G('rchg'), redis.call('INCR', G('rseq')), k) end
local function split(s)
  local t = {}
  local pos = 1
  while true do
    local i = string.find(s, '\n', pos, true)
    if not i then t[#t + 1] = string.sub(s, pos); return t end
    t[#t + 1] = string.sub(s, pos, i - 1)
    pos = i + 1
  end
end
-- one record of the given fields (FIELDS.*, declared in redis-records.ts), in order
local function readRecord(fields)
  local r = {}
  for _, f in ipairs(fields) do r[f] = nx() end
  return r
end
-- a count, then that many records
local function readList(fields)
  local list = {}
  for i = 1, tonumber(nx()) do list[i] = readRecord(fields) end
  return list
end
-- appends a record's fields to a reply in FIELDS order (absent: '', false stays nil)
local function pushRecord(out, fields, r)
  for _, f in ipairs(fields) do
    local v = r[f]
    if v == nil then v = '' end
    out[#out + 1] = v
  end
end
-- variadic commands take their arguments in chunks: Lua's unpack has a stack limit
local CHUNK = 2000
-- cmd key args... in chunks of whole records (width: arguments per record)
local function callChunked(cmd, key, args, width)
  local step = CHUNK - CHUNK % width
  for i = 1, #args, step do
    redis.call(cmd, key, unpack(args, i, math.min(i + step - 1, #args)))
  end
end
-- the larger of two numeric strings, as given
local function maxStr(a, b)
  if b and b ~= '' and tonumber(b) > tonumber(a) then return b end
  return a
end

-- journal: a conversation is in jready (score: head seq) or jleased (score: lease end)
-- exactly while its queue holds a live entry
local function refreshJHead(ck, head)
  local h = head or redis.call('ZRANGE', kQueue(ck), 0, 0, 'WITHSCORES')
  if not h[1] then
    redis.call('ZREM', G('jready'), ck)
    redis.call('ZREM', G('jleased'), ck)
    return
  end
  local f = redis.call('HMGET', kEntry(ck, h[1]), 'st', 'until')
  if f[1] == 'claimed' and f[2] then
    redis.call('ZREM', G('jready'), ck)
    redis.call('ZADD', G('jleased'), f[2], ck)
  else
    redis.call('ZREM', G('jleased'), ck)
    redis.call('ZADD', G('jready'), h[2], ck)
  end
end

-- lease the conversation's journal head to worker: the caller made sure nobody holds it;
-- appends it to out as FIELDS.entry
local function leaseJHead(ck, id, worker, untilMs, out)
  local ek = kEntry(ck, id)
  local att = redis.call('HINCRBY', ek, 'att', 1)
  redis.call('HSET', ek, 'st', 'claimed', 'by', worker, 'until', untilMs)
  redis.call('ZREM', G('jready'), ck)
  redis.call('ZADD', G('jleased'), untilMs, ck)
  local f = redis.call('HMGET', ek, 'ev', 'at')
  pushRecord(out, FIELDS.entry, { id = id, ck = ck, ev = f[1], at = f[2], att = tostring(att) })
end

-- outbox: a conversation is in oheads, scored max(notBefore, lease end) of its lowest
-- pending item, exactly while it has one
local function refreshOHead(ck)
  local h = redis.call('ZRANGE', kPend(ck), 0, 0)
  if not h[1] then
    redis.call('ZREM', G('oheads'), ck)
    return
  end
  local f = redis.call('HMGET', kItem(ck, h[1]), 'nb', 'until')
  redis.call('ZADD', G('oheads'), maxStr(f[1], f[2]), ck)
end

local function setStatusIndex(id, rid, old, new)
  if old and old ~= new then redis.call('ZREM', G('ost:' .. old), id) end
  redis.call('ZADD', G('ost:' .. new), rid, id)
end

-- step index: active conversations (a step, no handoff) in sx:<audience>\n<flow>\n<step>
-- (sxk keeps a group that became empty: groups are few, audience x flow x step, and
-- stepCounts skips empty ones; the caller that writes the conversation hash anyway
-- passes keepField and stores sx itself)
local function moveSx(ck, oldsx, newsx, score, keepField)
  if oldsx and oldsx ~= '' and oldsx ~= newsx then redis.call('ZREM', G('sx:' .. oldsx), ck) end
  if newsx ~= '' then
    redis.call('ZADD', G('sx:' .. newsx), score, ck)
    if oldsx ~= newsx then redis.call('SADD', G('sxk'), newsx) end
  end
  if not keepField then redis.call('HSET', kConv(ck), 'sx', newsx) end
end

-- a contact (contactArgs in redis-records.ts): its fields, its identities, its stages
local function readContact()
  local c = readRecord(FIELDS.contact)
  c.idents = {}
  for i = 1, tonumber(nx()) do c.idents[i] = nx() end
  c.stages = readList(FIELDS.stage)
  return c
end

-- The funnel log (read by RedisStore.stageColumns): per UTC day of a first-reached
-- time, fl:<day> appends 13-byte records <contact number u32, stage u8, at f64> as
-- stages are first reached (or reached earlier than known: the old time then gets the
-- same record with stage + 128, "no longer first"). fc holds per contact number the
-- number of its audience|source (a u32 at number * 4; 0: merged away), fm the numbers.
local DAY = 86400000
local function logStage(cn, stage, at, flag)
  local day = math.floor(tonumber(at) / DAY)
  redis.call('APPEND', G('fl:' .. day), struct.pack(LOG_FORMAT, tonumber(cn), STAGE_NO[stage] + flag, tonumber(at)))
end
local function setFunnelMeta(cn, meta, live)
  local n = 0
  if live then
    n = redis.call('HGET', G('fm'), meta)
    if not n then
      n = redis.call('INCR', G('fmn'))
      redis.call('HSET', G('fm'), meta, n)
    end
  end
  redis.call('SETRANGE', G('fc'), tonumber(cn) * 4, struct.pack('<I', tonumber(n)))
end

local function upsertContact(c)
  local key = kContact(c.id)
  local old = redis.call('HMGET', key, 'ph', 'rc', 'rb', 'aud', 'rid', 'mi', 'meta', 'ids', 'stg', 'bal', 'upd', 'ca', 'cn')
  local rid = old[5] or nextRid()
  -- a contact without a number yet (new, or stored before the funnel log) gets one,
  -- and all its stages go into the log below
  local cn = old[13]
  local numbered = not cn
  if numbered then
    cn = tostring(redis.call('INCR', G('cn')))
    redis.call('HSET', G('cnid'), cn, c.id)
  end
  local m = pad(rid) .. '|' .. c.id
  local merged = c.mi ~= ''
  -- most steps change neither the contact's identities, codes, audience nor merge
  -- state: what was indexed under the same values is left as it is
  local same = old[5] and old[6] == c.mi and old[4] == c.aud and old[12] == c.ca
  -- lookups by phone and referral code prefer live contacts, then the oldest
  local rank = tonumber(c.ca)
  if merged then rank = rank + 1e15 end
  if not (same and old[1] == c.ph) then
    if old[1] and old[1] ~= '' and old[1] ~= c.ph then redis.call('ZREM', G('ph:' .. old[1]), c.id) end
    if c.ph ~= '' then redis.call('ZADD', G('ph:' .. c.ph), rank, c.id) end
  end
  if not (same and old[2] == c.rc) then
    if old[2] and old[2] ~= c.rc then redis.call('ZREM', G('rc:' .. old[2]), c.id) end
    redis.call('ZADD', G('rc:' .. c.rc), rank, c.id)
  end
  if old[3] ~= c.rb then
    if old[3] and old[3] ~= '' then redis.call('SREM', kReferred(old[3]), c.id) end
    if c.rb ~= '' then redis.call('SADD', kReferred(c.rb), c.id) end
  end

  -- identities: every wanted one points here; a dropped one is removed if still ours
  local ids = table.concat(c.idents, '\t')
  local pointed = old[8] == ids and #c.idents > 0
  if pointed then
    for _, owner in ipairs(redis.call('HMGET', G('ident'), unpack(c.idents))) do
      if owner ~= c.id then pointed = false end
    end
  end
  if not pointed then
    local want = {}
    for _, ik in ipairs(c.idents) do
      want[ik] = true
      redis.call('HSET', G('ident'), ik, c.id)
    end
    for _, ik in ipairs(redis.call('SMEMBERS', kIdents(c.id))) do
      if not want[ik] and redis.call('HGET', G('ident'), ik) == c.id then redis.call('HDEL', G('ident'), ik) end
    end
    redis.call('DEL', kIdents(c.id))
    for _, ik in ipairs(c.idents) do redis.call('SADD', kIdents(c.id), ik) end
  end

  local oldAud = old[4] or ''
  if oldAud ~= '' and oldAud ~= c.aud then
    redis.call('ZREM', G('cu:' .. oldAud), m)
    redis.call('ZREM', G('cb:' .. oldAud), m)
  end
  if merged then
    if not same then
      redis.call('ZREM', G('cu'), m)
      redis.call('ZREM', G('cu:' .. c.aud), m)
      redis.call('ZREM', G('cb'), m)
      redis.call('ZREM', G('cb:' .. c.aud), m)
    end
  else
    if not (same and old[11] == c.upd) then
      redis.call('ZADD', G('cu'), c.upd, m)
      redis.call('ZADD', G('cu:' .. c.aud), c.upd, m)
    end
    if not (same and old[10] == c.bal) then
      redis.call('ZADD', G('cb'), c.bal, m)
      redis.call('ZADD', G('cb:' .. c.aud), c.bal, m)
    end
  end

  -- first-reached stages: the contact's own hash is the truth (SQLite's stage rows,
  -- earliest wins), the funnel log their history for reports. The same stages
  -- written again (most steps) change nothing.
  local sparts = {}
  for _, st in ipairs(c.stages) do sparts[#sparts + 1] = st.stage .. '=' .. st.at end
  local stg = table.concat(sparts, ' ')
  if numbered or old[7] ~= c.meta or old[6] ~= c.mi then setFunnelMeta(cn, c.meta, not merged) end
  if numbered or not (same and old[9] == stg and old[7] == c.meta) then
    local sk = kStages(c.id)
    local stored = {}
    local final = {}
    local flat = redis.call('HGETALL', sk)
    for i = 1, #flat, 2 do
      stored[flat[i]] = flat[i + 1]
      final[flat[i]] = flat[i + 1]
    end
    if numbered then
      for stage, at in pairs(stored) do logStage(cn, stage, at, 0) end
    end
    if not merged then
      for _, st in ipairs(c.stages) do
        local cur = final[st.stage]
        if not cur or tonumber(st.at) < tonumber(cur) then
          final[st.stage] = st.at
          redis.call('HSET', sk, st.stage, st.at)
          logStage(cn, st.stage, st.at, 0)
          if cur then logStage(cn, st.stage, cur, 128) end
        end
      end
    end
  end
  redis.call('HSET', key, 'd', c.d, 'ph', c.ph, 'rc', c.rc, 'rb', c.rb, 'aud', c.aud, 'rid', rid, 'mi', c.mi, 'meta', c.meta,
    'ids', ids, 'stg', stg, 'bal', c.bal, 'upd', c.upd, 'ca', c.ca, 'cn', cn)
  reportChanged('c:' .. c.id)

  -- the step index counts conversations under their contact's audience
  if oldAud ~= c.aud then
    for _, cm in ipairs(redis.call('ZRANGE', kContactConvs(c.id), 0, -1)) do
      local ck = string.sub(cm, PAD + 1)
      local f = redis.call('HMGET', kConv(ck), 'sx', 'upd')
      if f[1] and f[1] ~= '' then
        local nl = string.find(f[1], '\n', 1, true)
        moveSx(ck, f[1], c.aud .. string.sub(f[1], nl), f[2])
      end
    end
  end
end

local function timerMember(ck, name, token, channel, chat)
  return ck .. '\n' .. name .. '\n' .. token .. '\n' .. channel .. '\n' .. chat
end
