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
