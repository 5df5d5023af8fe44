--[[
  Appends SCIM request log entries to an org's stream, in their order, in one command: a MULTI of
  one XADD per entry cost the daemon a command object and a reply per entry, and held the server
  as long (bench/RESULTS.md, 2026-12-06).

  KEYS[1]  the org's scim-log stream
  ARGV[1]  the bound to trim to as entries are added (XADD MAXLEN ~), or '' for none
  ARGV[2…] the entries, JSON

  Returns {'ok', <entries added>}
]]

local cap = ARGV[1]
for i = 2, #ARGV do
  if cap == '' then
    redis.call('XADD', KEYS[1], '*', 'e', ARGV[i])
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', cap, '*', 'e', ARGV[i])
  end
end
return {'ok', #ARGV - 1}
