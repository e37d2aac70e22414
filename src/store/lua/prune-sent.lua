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
