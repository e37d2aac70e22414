-- The one walk of mergedInto pointers: the contact that stands for id's person now,
-- following at most hops pointers. Answers its id and JSON, or nil when there is none
-- (no contact, or a chain longer than hops).
local function liveContact(id, hops)
  for _ = 0, hops do
    if not id then return nil end
    local f = redis.call('HMGET', kContact(id), 'd', 'mi')
    if not f[1] then return nil end
    if not f[2] or f[2] == '' then return id, f[1] end
    id = f[2]
  end
  return nil
end

-- What a step reads (load-turn.lua, and enqueue.lua for the entries it leases): the
-- conversation's JSON and contact id ('' when none), the identity's live contact's JSON
-- ('' when none), then per order (newest first) its JSON and contact id.
local function loadTurn(ck, ident, hops, lim)
  local cv = redis.call('HMGET', kConv(ck), 'd', 'c')
  local out = { cv[1] or '', cv[2] or '', '' }
  local id, d = liveContact(redis.call('HGET', G('ident'), ident), hops)
  if not d then return out end
  out[3] = d
  if lim <= 0 then return out end
  for _, m in ipairs(redis.call('ZRANGE', kContactOrders(id), 0, lim - 1, 'REV')) do
    local o = redis.call('HMGET', kOrder(string.sub(m, PAD + 1)), 'd', 'c')
    if o[1] then
      out[#out + 1] = o[1]
      out[#out + 1] = o[2] or ''
    end
  end
  return out
end
