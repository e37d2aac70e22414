-- Test only (test/redis.lua.test.ts): fails where asked, to show where errors point.
-- ARGV: P, 'script' (a bad command on line 5 of this file) or 'library' (inside pad)
local what = nx()
if what == 'script' then
  return redis.call('NO_SUCH_COMMAND')
end
return pad('not a number')
