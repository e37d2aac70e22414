/**
 * Lua for the Redis store (layout and guarantees: see the top of redis.ts). Every
 * script takes the key prefix as ARGV[1] and reads the rest of ARGV in order with
 * `nx()`. Scripts that write check everything that can refuse the write before the
 * first write: Redis does not roll a script back when it fails half-way.
 *
 * Values are passed and stored as strings (JS formats the numbers), so no float
 * formatting of Lua's gets into the data; no JSON is decoded or encoded here.
 */

import { STAGES } from "../model/domain.ts";
import { REPORT_INDEX_LUA } from "./redis-report-reads.ts";

/** stage name -> its number in the funnel log (STAGES order, from 0) */
const STAGE_NUMBERS = STAGES.map((stage, i) => `['${stage}'] = ${i}`).join(", ");

const PRELUDE = String.raw`
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
-- a count, then that many records of the given fields, in order
local function readList(fields)
  local list = {}
  for i = 1, tonumber(nx()) do
    local r = {}
    for _, f in ipairs(fields) do r[f] = nx() end
    list[i] = r
  end
  return list
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
-- appends id, conversation, event, enqueuedAt, attempts to out
local function leaseJHead(ck, id, worker, untilMs, out)
  local ek = kEntry(ck, id)
  local att = redis.call('HINCRBY', ek, 'att', 1)
  redis.call('HSET', ek, 'st', 'claimed', 'by', worker, 'until', untilMs)
  redis.call('ZREM', G('jready'), ck)
  redis.call('ZADD', G('jleased'), untilMs, ck)
  local f = redis.call('HMGET', ek, 'ev', 'at')
  out[#out + 1] = id
  out[#out + 1] = ck
  out[#out + 1] = f[1]
  out[#out + 1] = f[2]
  out[#out + 1] = tostring(att)
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

local function readContact()
  local c = {}
  c.id = nx()
  c.d = nx()
  c.ph = nx()
  c.rc = nx()
  c.rb = nx()
  c.aud = nx()
  c.meta = nx()
  c.bal = nx()
  c.mi = nx()
  c.ca = nx()
  c.upd = nx()
  c.idents = {}
  local n = tonumber(nx())
  for i = 1, n do c.idents[i] = nx() end
  c.stages = {}
  n = tonumber(nx())
  for i = 1, n do
    local stage = nx()
    local at = nx()
    c.stages[i] = { stage, at }
  end
  return c
end

-- The funnel log (read by RedisStore.stageColumns): per UTC day of a first-reached
-- time, fl:<day> appends 13-byte records <contact number u32, stage u8, at f64> as
-- stages are first reached (or reached earlier than known: the old time then gets the
-- same record with stage + 128, "no longer first"). fc holds per contact number the
-- number of its audience|source (a u32 at number * 4; 0: merged away), fm the numbers.
local STAGE_NO = { ${STAGE_NUMBERS} }
local DAY = 86400000
local function logStage(cn, stage, at, flag)
  local day = math.floor(tonumber(at) / DAY)
  redis.call('APPEND', G('fl:' .. day), struct.pack('<IBd', tonumber(cn), STAGE_NO[stage] + flag, tonumber(at)))
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
  for _, st in ipairs(c.stages) do sparts[#sparts + 1] = st[1] .. '=' .. st[2] end
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
        local cur = final[st[1]]
        if not cur or tonumber(st[2]) < tonumber(cur) then
          final[st[1]] = st[2]
          redis.call('HSET', sk, st[1], st[2])
          logStage(cn, st[1], st[2], 0)
          if cur then logStage(cn, st[1], cur, 128) end
        end
      end
    end
  end
  redis.call('HSET', key, 'd', c.d, 'ph', c.ph, 'rc', c.rc, 'rb', c.rb, 'aud', c.aud, 'rid', rid, 'mi', c.mi, 'meta', c.meta,
    'ids', ids, 'stg', stg, 'bal', c.bal, 'upd', c.upd, 'ca', c.ca, 'cn', cn)

  -- the step index counts conversations under their contact's audience
  if oldAud ~= c.aud then
    for _, cm in ipairs(redis.call('ZRANGE', kContactConvs(c.id), 0, -1)) do
      local ck = string.sub(cm, 14)
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
`;

const ENQUEUE = String.raw`
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
`;

const CLAIM_INBOUND = String.raw`
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
`;

const RELEASE_INBOUND = String.raw`
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
`;

const DEAD_INBOUND = String.raw`
-- ARGV: P, stop; returns id, conversationKey, event, enqueuedAt, attempts, error per entry
local out = {}
for _, id in ipairs(redis.call('ZREVRANGE', G('jdead'), 0, tonumber(nx()))) do
  local ck = redis.call('HGET', G('jloc'), id)
  if ck then
    local f = redis.call('HMGET', kEntry(ck, id), 'ev', 'at', 'att', 'err')
    if f[1] then
      out[#out + 1] = id
      out[#out + 1] = ck
      out[#out + 1] = f[1]
      out[#out + 1] = f[2]
      out[#out + 1] = f[3]
      out[#out + 1] = f[4] or ''
    end
  end
end
return out
`;

const DEAD_INBOUND_ACTION = String.raw`
-- ARGV: P, id, new id ('' to discard). A dead entry leaves the journal; with a new id
-- its event is queued again at the back of its conversation, attempts 0. Answers the
-- conversation key, event and enqueuedAt, or 0 when no dead entry has that id.
local id = nx()
local nid = nx()
local ck = redis.call('HGET', G('jloc'), id)
if not ck then return 0 end
local ek = kEntry(ck, id)
local f = redis.call('HMGET', ek, 'st', 'ev', 'at')
if f[1] ~= 'dead' then return 0 end
redis.call('DEL', ek)
redis.call('HDEL', G('jloc'), id)
redis.call('ZREM', G('jdead'), id)
if nid ~= '' then
  local seq = redis.call('INCR', G('jseq'))
  redis.call('HSET', G('jloc'), nid, ck)
  redis.call('ZADD', kQueue(ck), seq, nid)
  redis.call('HSET', kEntry(ck, nid), 'ev', f[2], 'at', f[3], 'att', '0', 'st', 'pending', 'seq', tostring(seq))
  refreshJHead(ck)
end
return { ck, f[2], f[3] }
`;

const COMMIT = String.raw`
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
  conv = {}
  conv.ck = nx()
  conv.d = nx()
  conv.cid = nx()
  conv.flow = nx()
  conv.hasStep = nx()
  conv.step = nx()
  conv.ho = nx()
  conv.upd = nx()
  conv.channel = nx()
  conv.chat = nx()
  conv.timers = {}
  local n = tonumber(nx())
  for i = 1, n do
    local name = nx()
    local at = nx()
    local token = nx()
    conv.timers[i] = { name, at, token }
  end
end
local contacts = {}
local n = tonumber(nx())
for i = 1, n do contacts[i] = readContact() end
local tps = readList({ 'id', 'cid', 'at', 'd' })
local orders = readList({ 'id', 'cid', 'st', 'ca', 'd' })
local items = readList({ 'id', 'ck', 'seq', 'ch', 'st', 'att', 'nb', 'hasErr', 'err', 'hasPids', 'pids', 'hasDs', 'ds', 'd' })

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
  for _, t in ipairs(conv.timers) do parts[#parts + 1] = t[1] .. '\n' .. t[2] .. '\n' .. t[3] end
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
      local name, at, token = t[1], t[2], t[3]
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
`;

const MERGE = String.raw`
-- ARGV: P, fromId, intoId, expected JSON of from and into, n, (id, expected JSON) of the
-- contacts from referred, then the contacts to write: source, merged, n, referred...
-- Answers RETRY when any of them changed since the caller read it.
local fromId = nx()
local intoId = nx()
local expect = { { fromId, nx() }, { intoId, nx() } }
local n = tonumber(nx())
for i = 1, n do
  local id = nx()
  local d = nx()
  expect[#expect + 1] = { id, d }
end
for _, e in ipairs(expect) do
  if (redis.call('HGET', kContact(e[1]), 'd') or '') ~= e[2] then return 'RETRY' end
end
local source = readContact()
local merged = readContact()
local referred = {}
n = tonumber(nx())
for i = 1, n do referred[i] = readContact() end

upsertContact(source)
upsertContact(merged)
-- from is merged now, so none of its stages is listed; SQLite deletes its rows too
-- (and the funnel log forgets them: should the contact be written live again, it
-- starts with no stages, as in SQLite)
local fromCn = redis.call('HGET', kContact(fromId), 'cn')
local gone = redis.call('HGETALL', kStages(fromId))
if fromCn then
  for i = 1, #gone, 2 do logStage(fromCn, gone[i], gone[i + 1], 128) end
end
redis.call('DEL', kStages(fromId))
redis.call('ZUNIONSTORE', kContactTps(intoId), 2, kContactTps(intoId), kContactTps(fromId))
redis.call('DEL', kContactTps(fromId))
local flat = redis.call('ZRANGE', kContactOrders(fromId), 0, -1, 'WITHSCORES')
for i = 1, #flat, 2 do
  redis.call('ZADD', kContactOrders(intoId), flat[i + 1], flat[i])
  redis.call('HSET', kOrder(string.sub(flat[i], 14)), 'c', intoId)
end
redis.call('DEL', kContactOrders(fromId))
local aud = redis.call('HGET', kContact(intoId), 'aud') or ''
flat = redis.call('ZRANGE', kContactConvs(fromId), 0, -1, 'WITHSCORES')
for i = 1, #flat, 2 do
  local ck = string.sub(flat[i], 14)
  redis.call('ZADD', kContactConvs(intoId), flat[i + 1], flat[i])
  redis.call('HSET', kConv(ck), 'c', intoId)
  local f = redis.call('HMGET', kConv(ck), 'sx', 'upd')
  if f[1] and f[1] ~= '' then
    local nl = string.find(f[1], '\n', 1, true)
    moveSx(ck, f[1], aud .. string.sub(f[1], nl), f[2])
  end
end
redis.call('DEL', kContactConvs(fromId))
for _, c in ipairs(referred) do upsertContact(c) end
return 'OK'
`;

/**
 * id, conversationKey, data, status, attempts, notBefore, error, platform ids, delivery
 * status, and the wait booked for its send in the channel's budget ('' when none)
 */
const ITEM_FIELDS = String.raw`
local function pushItem(out, id, wait)
  local ck = redis.call('HGET', G('oloc'), id)
  if not ck then return end
  local f = redis.call('HMGET', kItem(ck, id), 'd', 'st', 'att', 'nb', 'err', 'pids', 'ds')
  if not f[1] then return end
  out[#out + 1] = id
  out[#out + 1] = ck
  for i = 1, 7 do out[#out + 1] = f[i] end
  out[#out + 1] = wait and tostring(wait) or ''
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
    out[#out + 1] = h[1]
    out[#out + 1] = ck
    for _ = 1, 7 do out[#out + 1] = '' end
    out[#out + 1] = wait and tostring(wait) or ''
  else
    pushItem(out, h[1], wait)
  end
end
`;

const CLAIM_OUTBOX = String.raw`
-- ARGV: P, max, until, now, budgets (see setBudgets)
local max = nx()
local untilMs = nx()
local now = nx()
setBudgets(nx())
local out = {}
for _, ck in ipairs(redis.call('ZRANGEBYSCORE', G('oheads'), '-inf', now, 'LIMIT', 0, max)) do
  claimOHead(ck, untilMs, now, out)
end
return out
`;

/** markSent / markRetry / markFailed / requeueOutbox / setDeliveryStatus in one script */
const OUTBOX_UPDATE = String.raw`
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
  for i = 1, n do redis.call('HSET', G('opid'), f[4] .. '\n' .. nx(), id) end
  local untilMs = nx()
  local out = {}
  if untilMs ~= '' then
    local now = nx()
    setBudgets(nx())
    claimOHead(ck, untilMs, now, out)
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
`;

const FETCH_OUTBOX = String.raw`
-- ARGV: P, n, ids...
local out = {}
local n = tonumber(nx())
for i = 1, n do pushItem(out, nx()) end
return out
`;

const FIND_OUTBOX = String.raw`
-- ARGV: P, channel\nplatformId
local out = {}
local id = redis.call('HGET', G('opid'), nx())
if id then pushItem(out, id) end
return out
`;

const PRUNE_SENT = String.raw`
-- ARGV: P, before, max. Deletes sent items sent before 'before', oldest first, with
-- their keys and index entries; looks at most max entries of ost:sent. Answers the
-- number deleted and the number looked at (max: there may be more).
local before = tonumber(nx())
local max = tonumber(nx())
local gone = 0
local seen = redis.call('ZRANGE', G('ost:sent'), '-inf', '(' .. before, 'BYSCORE', 'LIMIT', 0, max)
for _, id in ipairs(seen) do
  local ck = redis.call('HGET', G('oloc'), id)
  local f = ck and redis.call('HMGET', kItem(ck, id), 'st', 'sent', 'pids', 'ch') or {}
  local at = tonumber(f[2])
  if f[1] == 'sent' and (not at or at >= before) then
    -- listed by insertion (written before ost:sent was scored by time): put it in place
    redis.call('ZADD', G('ost:sent'), at or '+inf', id)
  elseif f[1] and f[1] ~= 'sent' then
    redis.call('ZREM', G('ost:sent'), id) -- a stale entry; the item itself stays
  else
    redis.call('ZREM', G('ost:sent'), id)
    redis.call('ZREM', G('oall'), id)
    if ck then
      redis.call('DEL', kItem(ck, id))
      redis.call('HDEL', G('oloc'), id)
      redis.call('ZREM', kItems(ck), id)
    end
    if f[3] and f[3] ~= '' then
      for _, pid in ipairs(cjson.decode(f[3])) do
        local pk = f[4] .. '\n' .. tostring(pid)
        if redis.call('HGET', G('opid'), pk) == id then redis.call('HDEL', G('opid'), pk) end
      end
    end
    gone = gone + 1
  end
end
return { gone, #seen }
`;

const MARK_TIMER_FIRED = String.raw`
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
`;

const PENDING_INBOUND = String.raw`
-- ARGV: P. Live entries: every conversation with one is in jready or jleased, and its
-- queue holds them (counted here rather than kept in a counter on every enqueue and
-- commit: only drain checks ask)
local n = 0
local seen = {}
for _, set in ipairs({ 'jready', 'jleased' }) do
  for _, ck in ipairs(redis.call('ZRANGE', G(set), 0, -1)) do
    if not seen[ck] then
      seen[ck] = true
      n = n + redis.call('ZCARD', kQueue(ck))
    end
  end
end
return n
`;

const PAUSE_SENDS = String.raw`
-- ARGV: P, channel, until: no lease books a send on channel before until (a 429)
local k = G('rl:' .. nx())
local untilMs = tonumber(nx())
if untilMs > tonumber(redis.call('HGET', k, 'pause') or '0') then redis.call('HSET', k, 'pause', tostring(untilMs)) end
return 0
`;

const LOAD_TURN = String.raw`
-- ARGV: P, conversationKey, identity, maxHops, ordersLimit (see loadTurn)
return loadTurn(nx(), nx(), tonumber(nx()), tonumber(nx()))
`;

/** what a step reads, for LOAD_TURN and for ENQUEUE's leased entries */
const TURN = String.raw`
-- answers the conversation's JSON and contact id ('' when none), the identity's contact
-- JSON after merges ('' when none), then per order (newest first) its JSON and contact id
local function loadTurn(ck, ident, hops, lim)
local cv = redis.call('HMGET', kConv(ck), 'd', 'c')
local out = { cv[1] or '', cv[2] or '', '' }
local id = redis.call('HGET', G('ident'), ident)
local d = nil
for _ = 0, hops do
  if not id then break end
  local f = redis.call('HMGET', kContact(id), 'd', 'mi')
  d = f[1]
  if not d or not f[2] or f[2] == '' then break end
  id = f[2]
  d = nil
end
if not d then return out end
out[3] = d
for _, m in ipairs(redis.call('ZRANGE', kContactOrders(id), 0, lim - 1, 'REV')) do
  local o = redis.call('HMGET', kOrder(string.sub(m, 14)), 'd', 'c')
  if o[1] then
    out[#out + 1] = o[1]
    out[#out + 1] = o[2] or ''
  end
end
return out
end
`;

export const LUA = {
  enqueue: PRELUDE + TURN + ENQUEUE,
  claimInbound: PRELUDE + CLAIM_INBOUND,
  releaseInbound: PRELUDE + RELEASE_INBOUND,
  deadInbound: PRELUDE + DEAD_INBOUND,
  deadInboundAction: PRELUDE + DEAD_INBOUND_ACTION,
  commit: PRELUDE + ITEM_FIELDS + REPORT_INDEX_LUA + COMMIT,
  loadTurn: PRELUDE + TURN + LOAD_TURN,
  pendingInbound: PRELUDE + PENDING_INBOUND,
  pauseSends: PRELUDE + PAUSE_SENDS,
  merge: PRELUDE + MERGE,
  claimOutbox: PRELUDE + ITEM_FIELDS + CLAIM_OUTBOX,
  outboxUpdate: PRELUDE + ITEM_FIELDS + OUTBOX_UPDATE,
  fetchOutbox: PRELUDE + ITEM_FIELDS + FETCH_OUTBOX,
  findOutbox: PRELUDE + ITEM_FIELDS + FIND_OUTBOX,
  pruneSent: PRELUDE + PRUNE_SENT,
  markTimerFired: PRELUDE + MARK_TIMER_FIRED,
} as const;

export type ScriptName = keyof typeof LUA;
