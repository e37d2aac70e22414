-- What a step reads (load-turn.lua, and enqueue.lua for the entries it leases): the
-- conversation's JSON and contact id ('' when none), the identity's contact JSON after
-- merges ('' when none; followed at most hops pointers), then per order (newest first)
-- its JSON and contact id.
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
    local o = redis.call('HMGET', kOrder(string.sub(m, PAD + 1)), 'd', 'c')
    if o[1] then
      out[#out + 1] = o[1]
      out[#out + 1] = o[2] or ''
    end
  end
  return out
end
