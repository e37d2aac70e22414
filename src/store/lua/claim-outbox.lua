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
