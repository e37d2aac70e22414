-- luacheck for the Redis store's scripts (src/store/lua/): `luacheck src/store/lua` (.ci/run).
-- Redis 7 runs them in Lua 5.1 with these globals, and its loader (src/store/redis-scripts.ts)
-- defines FIELDS, PAD, LOG_FORMAT, STAGE_NO, REPORT_MARKS and STEP_MARKS on a script's first line, then the library
-- in lua/lib/, whose top-level names every script may use.
std = "lua51"
max_line_length = 160
read_globals = { "redis", "KEYS", "ARGV", "cjson", "cmsgpack", "bit", "struct", "FIELDS", "PAD", "LOG_FORMAT", "STAGE_NO", "REPORT_MARKS", "STEP_MARKS" }

-- the library's top-level names, as the loader collects them
local library = {}
for _, file in ipairs({ "prelude.lua", "outbox.lua", "turn.lua", "report-index.lua" }) do
  local f = assert(io.open("src/store/lua/lib/" .. file))
  for line in f:lines() do
    local name = line:match("^local function ([%w_]+)") or line:match("^local ([%w_]+) =")
    if name then library[#library + 1] = name end
  end
  f:close()
end

files["src/store/lua/*.lua"] = { read_globals = library }
-- the library files define what the others use (so a name unused in its own file is
-- not a mistake), and use each other's names
local exported = {}
for i, name in ipairs(library) do exported[i] = "211/" .. name end
files["src/store/lua/lib/*.lua"] = { read_globals = library, ignore = exported }
