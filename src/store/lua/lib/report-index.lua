-- The owner's reports' two narrow indexes (src/store/redis-report-reads.ts), written by
-- the commit in the same write as each new touchpoint: a report event (REPORT_MARKS: a
-- feedback, handoff, order status, staff reply or a moment) goes to rt with the
-- touchpoint's member; a bot reply at a step (STEP_MARKS) goes to sv as
-- "<seq>|<ck>\n<flow>\n<step>". The marks are JSON fragments TypeScript declares once
-- (report-reads.ts) and the loader puts on line 1.
local function reportIndex(t, member, rt, sv)
  local d = t.d
  for _, mark in ipairs(REPORT_MARKS) do
    if string.find(d, mark, 1, true) then
      rt[#rt + 1] = t.at
      rt[#rt + 1] = member
      break
    end
  end
  if string.find(d, STEP_MARKS.kind, 1, true) and string.find(d, STEP_MARKS.step, 1, true)
    and not string.find(d, STEP_MARKS.staff, 1, true) then
    local ck = string.match(d, '"conversationKey":"([^"]*)"')
    local fl = string.match(d, '"flow":"([^"]*)"')
    local st = string.match(d, '"step":"([^"]*)"')
    if ck and fl and st then
      sv[#sv + 1] = t.at
      sv[#sv + 1] = string.sub(member, 1, PAD + 1) .. ck .. '\n' .. fl .. '\n' .. st
    end
  end
end
