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
