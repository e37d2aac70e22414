-- ARGV: P, fromId, intoId, expected JSON of from and into, n, (id, expected JSON) of the
-- contacts from referred, then the contacts to write: source, merged, n, referred...
-- Answers RETRY when any of them changed since the caller read it.
local fromId = nx()
local intoId = nx()
local expect = { { fromId, nx() }, { intoId, nx() } }
local n = tonumber(nx())
for _ = 1, n do
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
  redis.call('HSET', kOrder(string.sub(flat[i], PAD + 1)), 'c', intoId)
  reportChanged('o:' .. string.sub(flat[i], PAD + 1))
end
redis.call('DEL', kContactOrders(fromId))
local aud = redis.call('HGET', kContact(intoId), 'aud') or ''
flat = redis.call('ZRANGE', kContactConvs(fromId), 0, -1, 'WITHSCORES')
for i = 1, #flat, 2 do
  local ck = string.sub(flat[i], PAD + 1)
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
