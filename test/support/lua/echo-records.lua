-- Test only (test/redis.lua.test.ts): reads what the store's encoders write with the
-- library's own readers and answers it, so a drift between the two sides shows.
-- ARGV: P, a contact (contactArgs), a conversation section (conversationArgs), the
-- touchpoint, order and outbox item lists. Answers cjson of what was read, then each
-- item as pushItem lays it out (FIELDS.outItem) from what was read of it.
local contact = readContact()
local conv = nil
if nx() == '1' then
  conv = readRecord(FIELDS.conversation)
  conv.timers = readList(FIELDS.timer)
end
local tps = readList(FIELDS.touchpoint)
local orders = readList(FIELDS.order)
local items = readList(FIELDS.item)
local out = { cjson.encode({ contact = contact, conv = conv or false, tps = tps, orders = orders, items = items }) }
for _, it in ipairs(items) do
  pushRecord(out, FIELDS.outItem, {
    id = it.id, ck = it.ck, d = it.d, st = it.st, att = it.att, nb = it.nb,
    err = it.hasErr == '1' and it.err or false,
    pids = it.hasPids == '1' and it.pids or false,
    ds = it.hasDs == '1' and it.ds or false,
    wait = '',
  })
end
return out
