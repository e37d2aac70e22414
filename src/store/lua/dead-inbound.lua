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
